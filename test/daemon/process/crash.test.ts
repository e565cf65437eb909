// A daemon killed with SIGKILL in the middle of calls (rules 4 and 8): on restart the open
// reservations are counted at their reserved (maximum) amount, each gets an audit record with
// outcome "unknown", and the audit chain still verifies. Then the chain catches an edited and a
// deleted record, over the control socket and with `tollgate audit verify`, and records cut off
// its end, which the operator can accept (`tollgate audit accept-end`), unlike a break inside.
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Testbed, waitFor } from '../../helpers/daemon-process.ts';
import { hang, json } from '../../helpers/upstream.ts';

const IN_FLIGHT = 3;
// Micro-dollars: what a call really costs, and the most it may cost (what it reserves).
const PER_REQUEST = 1_000;
const MAX = 10_000;

describe('a daemon killed with calls in flight', () => {
  let t: Testbed;

  beforeAll(async () => {
    t = await Testbed.create({ handler: json(200, { results: [] }) });
  });
  afterAll(() => t.close());

  /** Runs an edit on the database while no daemon has it open. */
  function withDb<T>(fn: (db: Database.Database) => T): T {
    const db = new Database(t.paths.database);
    try {
      return fn(db);
    } finally {
      db.close();
    }
  }

  it('settles the open reservations at their maximum on restart, recorded as "unknown", with the chain intact', async () => {
    await t.start();
    await t.addIntegration({ pricing: { perRequestUsd: PER_REQUEST / 1e6, maxPerRequestUsd: MAX / 1e6 } });
    const ok = await t.call('search', '/res/v1/web/search?q=before-the-crash');
    expect(ok.status).toBe(200);
    expect(ok.headers['tollgate-cost-usd']).toBe('0.001000');

    t.upstream.setHandler(hang());
    const calls = Array.from({ length: IN_FLIGHT }, (_, i) =>
      t.call('search', `/res/v1/web/search?q=in-flight-${i}`).then(() => 'answered', () => 'cut'));
    // A request that reached the upstream had its reservation written first.
    await waitFor(() => t.upstream.requests.length === 1 + IN_FLIGHT, 'the calls to reach the upstream');
    const during = await t.control('GET', '/v1/spend');
    expect(during.json.integrations[0]).toMatchObject({ spentUsd: 0.001, reservedUsd: (IN_FLIGHT * MAX) / 1e6 });

    expect(await t.kill9()).toEqual({ code: null, signal: 'SIGKILL' });
    expect(await Promise.all(calls)).toEqual(Array(IN_FLIGHT).fill('cut'));
    // The crash left its pid file and sockets behind; the restart replaces them.
    expect(existsSync(t.paths.pidFile)).toBe(true);

    t.upstream.setHandler(json(200, { results: [] }));
    const d = await t.start();
    expect(d.stdout).toContain(`settled ${IN_FLIGHT} call(s) left open by an earlier stop at their reserved amount`);
    // The operator hears of it too, not only whoever reads the daemon's output.
    const alerts = await t.control('GET', '/v1/alerts');
    expect(alerts.json.alerts).toContainEqual(expect.objectContaining({
      tier: 'warning', kind: 'calls_recovered', message: expect.stringContaining(`${IN_FLIGHT} call(s) were still open`),
    }));

    const spend = await t.control('GET', '/v1/spend');
    const total = PER_REQUEST + IN_FLIGHT * MAX;
    expect(spend.json.integrations[0]).toMatchObject({
      name: 'search', spentUsd: total / 1e6, reservedUsd: 0, remainingUsd: (10_000_000 - total) / 1e6,
    });
    expect(spend.json.totalSpentUsd).toBe(total / 1e6);
    const calls4 = spend.json.daily.reduce((n: number, d: { calls: number }) => n + d.calls, 0);
    expect(calls4).toBe(1 + IN_FLIGHT);
    // The assistant sees the same budget.
    const listed = await t.agent('GET', '/v1/integrations');
    expect(listed.json.integrations[0].spentUsd).toBe(total / 1e6);

    const audit = await t.control('GET', '/v1/audit?limit=100');
    const records = [...audit.json.records].reverse();
    expect(records).toHaveLength(1 + IN_FLIGHT);
    expect(records[0]).toMatchObject({ id: 1, outcome: 'ok', status: 200, costUsd: PER_REQUEST / 1e6 });
    const unknown = records.slice(1);
    for (const r of unknown) {
      expect(r).toMatchObject({
        outcome: 'unknown', status: null, costUsd: MAX / 1e6, integration: 'search', method: 'GET',
        path: '/res/v1/web/search', purpose: 'testing Tollgate', bytesIn: 0,
      });
      expect(r.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    }
    expect(new Set(unknown.map((r: { requestId: string }) => r.requestId)).size).toBe(IN_FLIGHT);
    expect(JSON.stringify(audit.json)).not.toContain('in-flight-');

    expect((await t.control('GET', '/v1/audit/verify')).json).toEqual({ ok: true, records: 1 + IN_FLIGHT });
    const cli = await t.cli(['audit', 'verify']);
    expect(cli).toMatchObject({ code: 0, signal: null, stderr: '' });
    expect(cli.stdout).toBe(`audit chain intact: ${1 + IN_FLIGHT} records\n`);

    // Counted once: a second restart settles nothing more.
    await t.stop();
    const again = await t.start();
    expect(again.stdout).not.toMatch(/settled \d+ call/);
    expect((await t.control('GET', '/v1/spend')).json.integrations[0].spentUsd).toBe(total / 1e6);
    await t.stop();
  });

  it('detects an edited record: verify says ok:false at record 2, and the CLI exits 1 naming it', async () => {
    const original = withDb((db) => {
      const { cost } = db.prepare('SELECT cost FROM audit WHERE id = 2').get() as { cost: number };
      db.prepare('UPDATE audit SET cost = 0 WHERE id = 2').run();
      return cost;
    });
    expect(original).toBe(MAX);

    await t.start();
    expect((await t.control('GET', '/v1/audit/verify')).json).toEqual({ ok: false, records: 1, firstBad: 2 });
    const cli = await t.cli(['audit', 'verify']);
    expect(cli.code).toBe(1);
    expect(cli.stdout).toBe('');
    expect(cli.stderr).toMatch(/^tollgate: audit chain broken at record 2\b[^\n]*\n$/);
    await t.stop();

    // Putting the value back makes the chain whole again: it was that edit, nothing else.
    withDb((db) => db.prepare('UPDATE audit SET cost = ? WHERE id = 2').run(original));
    await t.start();
    expect((await t.control('GET', '/v1/audit/verify')).json).toEqual({ ok: true, records: 1 + IN_FLIGHT });
    await t.stop();
  });

  it('detects a deleted record', async () => {
    withDb((db) => db.prepare('DELETE FROM audit WHERE id = 3').run());

    await t.start();
    expect((await t.control('GET', '/v1/audit/verify')).json).toEqual({ ok: false, records: 2, firstBad: 3 });
    const cli = await t.cli(['audit', 'verify']);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toMatch(/^tollgate: audit chain broken at record 3\b[^\n]*\n$/);
    await t.stop();
  });

  it('detects records cut off the end of the log (the chain left is intact), at start-up and in verify', async () => {
    // Each stop writes the newest record to the keychain; now the last two records go.
    const total = withDb((db) => (db.prepare('SELECT max(id) AS n FROM audit').get() as { n: number }).n);
    withDb((db) => db.prepare('DELETE FROM audit WHERE id >= ?').run(total - 1));

    await t.start();
    expect((await t.control('GET', '/v1/audit/verify')).json).toEqual({ ok: false, records: total - 2, firstBad: total - 1 });
    const alerts = await t.control('GET', '/v1/alerts?tier=critical&open=true');
    expect(alerts.json.alerts).toContainEqual(expect.objectContaining({ kind: 'audit_tampered', title: 'Audit log shortened or edited' }));

    // The operator, having saved the evidence, accepts the log as it stands (RUNBOOK section 5).
    const refused = await t.cli(['audit', 'accept-end']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/needs confirmation: run it at a terminal, or add --yes/);
    const accepted = await t.cli(['audit', 'accept-end', '--yes']);
    expect(accepted.stderr).toBe('');
    expect(accepted.stdout).toBe(`audit log accepted: ${total - 2} records, ending at record ${total - 2} (the anchor was at record ${total})\n`);
    expect((await t.control('GET', '/v1/audit/verify')).json).toEqual({ ok: true, records: total - 2 });
    const trace = await t.control('GET', '/v1/alerts?tier=warning');
    expect(trace.json.alerts).toContainEqual(expect.objectContaining({ kind: 'audit_end_accepted', message: expect.stringContaining(`ends at record ${total - 2}`) }));
    // Nothing left to accept; and the next start finds the log as accepted.
    expect((await t.control('POST', '/v1/audit/accept-end')).status).toBe(409);
    await t.stop();
    await t.start();
    expect((await t.control('GET', '/v1/audit/verify')).json).toEqual({ ok: true, records: total - 2 });
    await t.stop();
  });

  it('does not accept a chain broken inside: an edited record stays reported', async () => {
    withDb((db) => db.prepare('UPDATE audit SET cost = cost + 1 WHERE id = 2').run());
    await t.start();
    const r = await t.control('POST', '/v1/audit/accept-end');
    expect(r.status).toBe(409);
    expect(r.json.error.message).toMatch(/broken at record 2: that is an edited or deleted record/);
    expect((await t.control('GET', '/v1/audit/verify')).json).toMatchObject({ ok: false, firstBad: 2 });
    await t.stop();
  });
});
