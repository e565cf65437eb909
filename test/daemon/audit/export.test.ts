// What an audit record looks like once it leaves the daemon (issue 12): listed with its cost in
// dollars (costUsd); exported and archived in the chain's exact form, its cost in integer
// micro-dollars (costMicros), from which the HMAC chain checks out with the key alone.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { writeArchive } from '../../../daemon/audit/archive.ts';
import { AuditLog } from '../../../daemon/audit/log.ts';
import { type AuditExport, auditExportLine, auditView, canonical } from '../../../daemon/audit/record.ts';
import { migrate } from '../../../daemon/db/migrations.ts';

const KEY = randomBytes(32);
const costs = [5000, 0, 1_234_567, 1];

function chain(): AuditLog {
  const db = new Database(':memory:');
  migrate(db);
  const log = new AuditLog(db, KEY);
  log.transaction(() => costs.forEach((cost, i) => log.append({
    at: 1_780_000_000_000 + i, requestId: `req-${i}`, integration: 'search', purpose: 'p', method: 'GET', host: 'api.example.com',
    path: '/s', outcome: 'ok', code: null, status: 200, latencyMs: 5, bytesOut: 0, bytesIn: 10, cost, fingerprint: null, session: i === 3 ? 's1' : null,
  })));
  return log;
}

/** Walks an export's lines as an auditor would: each MAC from the one before, the cost as exported. */
function verifyExport(lines: AuditExport[]): boolean {
  let prev = 'tollgate-audit-genesis';
  for (const { costMicros, mac, id, ...rest } of lines) {
    const expected = createHmac('sha256', KEY).update(prev).update('\n').update(canonical(id, { ...rest, cost: costMicros })).digest('hex');
    if (expected !== mac) return false;
    prev = mac;
  }
  return true;
}

describe('audit records at the edge', () => {
  const dirs: string[] = [];
  afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

  it('are listed with their cost in dollars, and nothing in micro-dollars', () => {
    const listed = chain().list({ limit: 10 }).map(auditView);
    expect(listed.map((r) => r.costUsd)).toEqual([0.000001, 1.234567, 0, 0.005]);
    for (const r of listed) expect(r).not.toHaveProperty('cost');
  });

  it('are exported with their cost as costMicros, and the chain verifies from the export alone', () => {
    const log = chain();
    const lines = [...log.all()].map((r) => JSON.parse(auditExportLine(r)) as AuditExport);
    expect(lines.map((l) => l.costMicros)).toEqual(costs);
    for (const l of lines) expect(l).not.toHaveProperty('cost');
    expect(verifyExport(lines)).toBe(true);
    expect(log.verify()).toEqual({ ok: true, records: costs.length });
    // An edited cost shows.
    expect(verifyExport(lines.map((l) => (l.id === 2 ? { ...l, costMicros: 1 } : l)))).toBe(false);
  });

  it("the decommissioning archive is that export, with its checksum", () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-archive-'));
    dirs.push(dir);
    const log = chain();
    const archive = writeArchive(dir, 'search', Date.parse('2026-12-06T13:00:00Z'), log.forIntegration('search'));
    const text = readFileSync(archive.file, 'utf8');
    expect(text).toBe([...log.all()].map(auditExportLine).join(''));
    expect(archive).toMatchObject({ records: costs.length, sha256: createHash('sha256').update(text).digest('hex') });
    expect(verifyExport(text.trim().split('\n').map((l) => JSON.parse(l) as AuditExport))).toBe(true);
  });
});
