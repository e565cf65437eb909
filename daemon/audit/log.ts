// The audit log in SQLite, each record chained to the one before by an HMAC keyed from the
// keychain, so an edit or a deletion shows up in verify().
import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import type { Db } from '../db/open.ts';
import { type AuditEntry, type AuditRecord, canonical } from './record.ts';

const GENESIS = 'tollgate-audit-genesis';

interface Row {
  id: number;
  at: number;
  request_id: string;
  integration: string;
  purpose: string;
  method: string;
  host: string;
  path: string;
  outcome: AuditRecord['outcome'];
  code: string | null;
  status: number | null;
  latency_ms: number;
  bytes_out: number;
  bytes_in: number;
  cost: number;
  fingerprint: Buffer | null;
  mac: Buffer;
  finding: string | null;
  session: string | null;
}

// Stored as raw bytes, handled as hex: the chain MACs cover the hex form.
const hex = (b: Buffer): string => b.toString('hex');
const bytes = (h: string): Buffer => Buffer.from(h, 'hex');

function fromRow(r: Row): AuditRecord {
  return {
    id: r.id, at: r.at, requestId: r.request_id, integration: r.integration, purpose: r.purpose,
    method: r.method, host: r.host, path: r.path, outcome: r.outcome, code: r.code, status: r.status,
    latencyMs: r.latency_ms, bytesOut: r.bytes_out, bytesIn: r.bytes_in, cost: r.cost,
    fingerprint: r.fingerprint && hex(r.fingerprint), mac: hex(r.mac), finding: r.finding, session: r.session,
  };
}

export interface Anchor {
  id: number;
  mac: string;
}

export type VerifyResult = { ok: true; records: number } | { ok: false; records: number; firstBad: number };

export interface AuditQuery {
  integration?: string;
  outcome?: string;
  session?: string;
  /** Only records with id below this (paging backwards from newest). */
  before?: number;
  since?: number;
  until?: number;
  limit: number;
}

export class AuditLog {
  private readonly db: Db;
  private readonly key: KeyObject;
  private head: Anchor;
  private readonly insert;
  private readonly tx: (fn: () => unknown) => unknown;

  constructor(db: Db, key: Buffer) {
    this.db = db;
    this.key = createSecretKey(key);
    this.insert = db.prepare(`INSERT INTO audit (id, at, request_id, integration, purpose, method, host, path, outcome, code,
      status, latency_ms, bytes_out, bytes_in, cost, fingerprint, mac, finding, session)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    const last = db.prepare('SELECT id, mac FROM audit ORDER BY id DESC LIMIT 1').get() as { id: number; mac: Buffer } | undefined;
    this.head = last ? { id: last.id, mac: hex(last.mac) } : { id: 0, mac: GENESIS };
    this.tx = db.transaction((fn: () => unknown) => fn());
  }

  private mac(prev: string, id: number, e: AuditEntry): string {
    return createHmac('sha256', this.key).update(prev).update('\n').update(canonical(id, e)).digest('hex');
  }

  /** Appends a record. Call it inside `transaction`, so the ledger change and the record land together. */
  append(e: AuditEntry): number {
    const id = this.head.id + 1;
    const mac = this.mac(this.head.mac, id, e);
    this.insert.run(id, e.at, e.requestId, e.integration, e.purpose, e.method, e.host, e.path, e.outcome, e.code,
      e.status, e.latencyMs, e.bytesOut, e.bytesIn, e.cost, e.fingerprint && bytes(e.fingerprint), bytes(mac), e.finding ?? null, e.session ?? null);
    this.head = { id, mac };
    return id;
  }

  /** Runs `fn` in one SQLite transaction; if it fails, the chain head goes back to where it was. */
  transaction<T>(fn: () => T): T {
    const saved = this.head;
    try {
      return this.tx(fn) as T;
    } catch (e) {
      this.head = saved;
      throw e;
    }
  }

  list(q: AuditQuery): AuditRecord[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (q.integration) { where.push('integration = ?'); args.push(q.integration); }
    if (q.outcome) { where.push('outcome = ?'); args.push(q.outcome); }
    if (q.session) { where.push('session = ?'); args.push(q.session); }
    if (q.before) { where.push('id < ?'); args.push(q.before); }
    if (q.since) { where.push('at >= ?'); args.push(q.since); }
    if (q.until) { where.push('at < ?'); args.push(q.until); }
    const sql = `SELECT * FROM audit ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...args, q.limit) as Row[]).map(fromRow);
  }

  /** Every record of one integration, oldest first, for an archive. */
  *forIntegration(name: string): Generator<AuditRecord> {
    for (const r of this.db.prepare('SELECT * FROM audit WHERE integration = ? ORDER BY id').iterate(name)) yield fromRow(r as Row);
  }

  *all(): Generator<AuditRecord> {
    for (const r of this.db.prepare('SELECT * FROM audit ORDER BY id').iterate()) yield fromRow(r as Row);
  }

  /** The newest record: what an anchor kept outside the database must still find. */
  get latest(): Anchor {
    return { ...this.head };
  }

  /** Whether the record an anchor names is still here, unchanged. */
  holds(anchor: Anchor): boolean {
    if (anchor.id === 0) return true;
    const row = this.db.prepare('SELECT mac FROM audit WHERE id = ?').get(anchor.id) as { mac: Buffer } | undefined;
    return row !== undefined && hex(row.mac) === anchor.mac;
  }

  /**
   * Walks the whole chain; the first record whose MAC or position does not fit is reported. With an
   * anchor (the newest record once seen, kept in the keychain), records cut off the end show too.
   */
  verify(anchor: Anchor | null = null): VerifyResult {
    let prev = GENESIS;
    let expectedId = 1;
    let count = 0;
    let anchorSeen = anchor === null || anchor.id === 0;
    for (const r of this.all()) {
      if (r.id !== expectedId || this.mac(prev, r.id, r) !== r.mac) return { ok: false, records: count, firstBad: expectedId };
      if (anchor && r.id === anchor.id) {
        if (r.mac !== anchor.mac) return { ok: false, records: count, firstBad: r.id };
        anchorSeen = true;
      }
      prev = r.mac;
      expectedId++;
      count++;
    }
    // The chain ends before the anchored record: records were removed from the end.
    return anchorSeen ? { ok: true, records: count } : { ok: false, records: count, firstBad: expectedId };
  }
}
