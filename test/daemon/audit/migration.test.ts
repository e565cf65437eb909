// The audit table's move to BLOB MACs and fingerprints (migration 3): a chain written under
// schema 2 (hex text) must read back identically and still verify, and tampering must still show.
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../../../daemon/audit/log.ts';
import type { AuditEntry, AuditRecord } from '../../../daemon/audit/record.ts';
import { MIGRATIONS, migrate } from '../../../daemon/db/migrations.ts';

const KEY = randomBytes(32);
const COLUMNS = 'id, at, request_id, integration, purpose, method, host, path, outcome, code, status, latency_ms, bytes_out, bytes_in, cost, fingerprint, mac';

const entry = (i: number): AuditEntry => ({
  at: 1_700_000_000_000 + i, requestId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, integration: i % 2 ? 'exa' : 'brave-search',
  purpose: `look up item ${i}`, method: 'GET', host: 'api.example.com', path: '/search', outcome: i % 3 ? 'ok' : 'refused',
  code: i % 3 ? null : 'cap_exceeded', status: i % 3 ? 200 : null, latencyMs: i, bytesOut: 0, bytesIn: 100 * i, cost: 5000 * i,
  fingerprint: i % 3 ? randomBytes(32).toString('hex') : null,
});

/** A database at `version`, as that Tollgate left it. */
function atVersion(version: number): Database.Database {
  const db = new Database(':memory:');
  for (let v = 0; v < version; v++) db.exec(MIGRATIONS[v]!);
  db.pragma(`user_version = ${version}`);
  return db;
}

describe('audit migration 3: MACs and fingerprints as BLOBs', () => {
  const open: Database.Database[] = [];
  const track = (db: Database.Database) => (open.push(db), db);
  afterEach(() => { for (const db of open.splice(0)) db.close(); });

  /** The records a schema-2 daemon would have written: the same chain, MACs and fingerprints as hex text. */
  function schema2Chain(n: number): { db: Database.Database; records: AuditRecord[] } {
    const current = track(atVersion(MIGRATIONS.length));
    const log = new AuditLog(current, KEY);
    log.transaction(() => { for (let i = 1; i <= n; i++) log.append(entry(i)); });
    const records = [...log.all()];
    const old = track(atVersion(2));
    const insert = old.prepare(`INSERT INTO audit (${COLUMNS}) VALUES (${COLUMNS.split(', ').map(() => '?').join(', ')})`);
    for (const r of records) {
      insert.run(r.id, r.at, r.requestId, r.integration, r.purpose, r.method, r.host, r.path, r.outcome, r.code, r.status,
        r.latencyMs, r.bytesOut, r.bytesIn, r.cost, r.fingerprint, r.mac);
    }
    return { db: old, records };
  }

  it('keeps every record as it was, and the chain verifies and goes on', () => {
    const { db, records } = schema2Chain(30);
    expect(db.prepare('SELECT typeof(mac) AS t FROM audit LIMIT 1').get()).toEqual({ t: 'text' });
    migrate(db);
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    expect(db.prepare('SELECT DISTINCT typeof(mac) AS t FROM audit').all()).toEqual([{ t: 'blob' }]);
    expect(db.prepare("SELECT DISTINCT length(fingerprint) AS n FROM audit WHERE fingerprint IS NOT NULL").all()).toEqual([{ n: 32 }]);
    // The index by integration came back with the rebuilt table (and migration 6 added the one by session).
    expect(db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'audit'").all()).toEqual([{ name: 'audit_by_integration' }, { name: 'audit_by_session' }]);

    const log = new AuditLog(db, KEY);
    expect([...log.all()]).toEqual(records);
    expect(log.verify({ id: 30, mac: records[29]!.mac })).toEqual({ ok: true, records: 30 });
    expect(log.latest).toEqual({ id: 30, mac: records[29]!.mac });
    log.transaction(() => log.append(entry(31)));
    expect(log.verify()).toEqual({ ok: true, records: 31 });
  });

  it('an edit to a stored MAC or field still breaks the chain at that record', () => {
    const { db } = schema2Chain(10);
    migrate(db);
    db.prepare('UPDATE audit SET mac = zeroblob(32) WHERE id = 4').run();
    expect(new AuditLog(db, KEY).verify()).toEqual({ ok: false, records: 3, firstBad: 4 });
    const { db: other } = schema2Chain(10);
    migrate(other);
    other.prepare('UPDATE audit SET cost = cost + 1 WHERE id = 7').run();
    expect(new AuditLog(other, KEY).verify()).toEqual({ ok: false, records: 6, firstBad: 7 });
  });

  it('a database from a newer Tollgate is refused, not downgraded', () => {
    const db = track(atVersion(MIGRATIONS.length));
    db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    expect(() => migrate(db)).toThrow(/newer Tollgate/);
  });
});

describe('audit migration 5: findings', () => {
  // Records without a finding keep the MAC form they always had (the schema-2 chain above verifies after it).
  it('a chain goes on with findings across the migration, and an edited or erased finding breaks it', () => {
    // What a schema-4 daemon wrote: the same records, without the column.
    const current = atVersion(MIGRATIONS.length);
    const first = new AuditLog(current, KEY);
    first.transaction(() => { for (let i = 1; i <= 5; i++) first.append(entry(i)); });
    const db = atVersion(4);
    try {
      const insert = db.prepare(`INSERT INTO audit (${COLUMNS}) VALUES (${COLUMNS.split(', ').map(() => '?').join(', ')})`);
      for (const r of current.prepare(`SELECT ${COLUMNS} FROM audit ORDER BY id`).raw().all() as unknown[][]) insert.run(...r);
      current.close();
      migrate(db);
      const log = new AuditLog(db, KEY);
      log.transaction(() => log.append({ ...entry(6), finding: 'github-pat' }));
      log.transaction(() => log.append(entry(7)));
      expect([...log.all()].map((r) => r.finding)).toEqual([null, null, null, null, null, 'github-pat', null]);
      expect(log.verify()).toEqual({ ok: true, records: 7 });
      db.prepare("UPDATE audit SET finding = 'aws-access-key-id' WHERE id = 6").run();
      expect(new AuditLog(db, KEY).verify()).toEqual({ ok: false, records: 5, firstBad: 6 });
      db.prepare('UPDATE audit SET finding = NULL WHERE id = 6').run();
      expect(new AuditLog(db, KEY).verify()).toEqual({ ok: false, records: 5, firstBad: 6 });
    } finally {
      db.close();
    }
  });
});

describe('audit migration 6: sessions', () => {
  // Records without a session keep the MAC form they always had (the chains above verify after it).
  it('a chain goes on with sessions across the migration; an edited, erased or moved session breaks it', () => {
    const current = atVersion(MIGRATIONS.length);
    const first = new AuditLog(current, KEY);
    first.transaction(() => { for (let i = 1; i <= 4; i++) first.append(entry(i)); });
    first.transaction(() => first.append({ ...entry(5), finding: 'github-pat' }));
    const db = atVersion(5);
    try {
      const columns = `${COLUMNS}, finding`;
      const insert = db.prepare(`INSERT INTO audit (${columns}) VALUES (${columns.split(', ').map(() => '?').join(', ')})`);
      for (const r of current.prepare(`SELECT ${columns} FROM audit ORDER BY id`).raw().all() as unknown[][]) insert.run(...r);
      current.close();
      migrate(db);
      const log = new AuditLog(db, KEY);
      log.transaction(() => log.append({ ...entry(6), session: '0123456789abcdef' }));
      log.transaction(() => log.append({ ...entry(7), finding: 'aws-access-key-id', session: '0123456789abcdef' }));
      log.transaction(() => log.append(entry(8)));
      expect([...log.all()].map((r) => [r.finding, r.session])).toEqual([
        [null, null], [null, null], [null, null], [null, null], ['github-pat', null],
        [null, '0123456789abcdef'], ['aws-access-key-id', '0123456789abcdef'], [null, null],
      ]);
      expect(log.list({ session: '0123456789abcdef', limit: 10 }).map((r) => r.id)).toEqual([7, 6]);
      expect(log.verify()).toEqual({ ok: true, records: 8 });
      const broken = (sql: string, firstBad: number) => {
        const saved = db.prepare('SELECT id, finding, session FROM audit').all() as { id: number; finding: string | null; session: string | null }[];
        db.prepare(sql).run();
        expect(new AuditLog(db, KEY).verify()).toEqual({ ok: false, records: firstBad - 1, firstBad });
        const restore = db.prepare('UPDATE audit SET finding = ?, session = ? WHERE id = ?');
        for (const r of saved) restore.run(r.finding, r.session, r.id);
        expect(new AuditLog(db, KEY).verify()).toEqual({ ok: true, records: 8 });
      };
      broken("UPDATE audit SET session = 'fedcba9876543210' WHERE id = 6", 6);
      broken('UPDATE audit SET session = NULL WHERE id = 6', 6);
      // A session cannot pass for a finding, nor the other way round.
      broken('UPDATE audit SET finding = session, session = NULL WHERE id = 6', 6);
      broken("UPDATE audit SET session = finding, finding = NULL WHERE id = 5", 5);
      broken("UPDATE audit SET session = '0123456789abcdef' WHERE id = 8", 8);
    } finally {
      db.close();
    }
  });
});
