// Numbered schema migrations, applied in order; `PRAGMA user_version` records the last one applied.
// Never edit a released migration: add a new one.
import type Database from 'better-sqlite3';

export const MIGRATIONS: readonly string[] = [
  // 1: the first schema.
  `
  CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;

  CREATE TABLE integrations (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    spec TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'decommissioned')),
    status_reason TEXT,
    key_fingerprint TEXT,
    key_length INTEGER,
    key_set_at INTEGER,
    approved_by TEXT NOT NULL,
    approved_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    decommissioned_at INTEGER
  );

  CREATE TABLE spend (
    integration_id INTEGER NOT NULL REFERENCES integrations(id),
    period TEXT NOT NULL,
    spent INTEGER NOT NULL DEFAULT 0,
    reserved INTEGER NOT NULL DEFAULT 0,
    calls INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (integration_id, period)
  ) WITHOUT ROWID;

  CREATE TABLE spend_daily (
    integration_id INTEGER NOT NULL REFERENCES integrations(id),
    day TEXT NOT NULL,
    spent INTEGER NOT NULL DEFAULT 0,
    calls INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (integration_id, day)
  ) WITHOUT ROWID;

  -- A call about to leave: durable before the request is sent, removed when it is settled.
  CREATE TABLE reservations (
    id INTEGER PRIMARY KEY,
    request_id TEXT NOT NULL,
    integration_id INTEGER NOT NULL REFERENCES integrations(id),
    period TEXT NOT NULL,
    day TEXT NOT NULL,
    amount INTEGER NOT NULL,
    started_at INTEGER NOT NULL,
    purpose TEXT NOT NULL,
    method TEXT NOT NULL,
    host TEXT NOT NULL,
    path TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    bytes_out INTEGER NOT NULL
  );

  -- The audit log: one row a call, refused or not; mac chains each row to the one before.
  CREATE TABLE audit (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    request_id TEXT NOT NULL,
    integration TEXT NOT NULL,
    purpose TEXT NOT NULL,
    method TEXT NOT NULL,
    host TEXT NOT NULL,
    path TEXT NOT NULL,
    outcome TEXT NOT NULL,
    code TEXT,
    status INTEGER,
    latency_ms INTEGER NOT NULL,
    bytes_out INTEGER NOT NULL,
    bytes_in INTEGER NOT NULL,
    cost INTEGER NOT NULL,
    fingerprint TEXT,
    mac TEXT NOT NULL
  );
  CREATE INDEX audit_by_integration ON audit (integration, id);

  CREATE TABLE alerts (
    id INTEGER PRIMARY KEY,
    tier TEXT NOT NULL CHECK (tier IN ('info', 'warning', 'critical')),
    kind TEXT NOT NULL,
    dedupe_key TEXT NOT NULL UNIQUE,
    integration TEXT,
    title TEXT NOT NULL,
    message TEXT NOT NULL,
    count INTEGER NOT NULL DEFAULT 1,
    first_at INTEGER NOT NULL,
    last_at INTEGER NOT NULL,
    acked_at INTEGER
  );
  CREATE INDEX alerts_open ON alerts (acked_at, tier);

  CREATE TABLE proposals (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('new_integration', 'raise_cap')),
    body TEXT NOT NULL,
    justification TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    created_at INTEGER NOT NULL,
    decided_at INTEGER,
    decided_by TEXT,
    note TEXT
  ) WITHOUT ROWID;

  CREATE TABLE known_routes (key TEXT PRIMARY KEY) WITHOUT ROWID;
  `,
  // 2: a keyed rolling hash of each key, so the scanner finds a key glued inside other text.
  `
  ALTER TABLE integrations ADD COLUMN key_rolling INTEGER;
  `,
  // 3: MACs and fingerprints as 32-byte BLOBs instead of 64 hex characters (a record shrinks by
  // about 70 bytes). The chain itself is unchanged: MACs are still computed over the hex form.
  `
  CREATE TABLE audit_v3 (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    request_id TEXT NOT NULL,
    integration TEXT NOT NULL,
    purpose TEXT NOT NULL,
    method TEXT NOT NULL,
    host TEXT NOT NULL,
    path TEXT NOT NULL,
    outcome TEXT NOT NULL,
    code TEXT,
    status INTEGER,
    latency_ms INTEGER NOT NULL,
    bytes_out INTEGER NOT NULL,
    bytes_in INTEGER NOT NULL,
    cost INTEGER NOT NULL,
    fingerprint BLOB,
    mac BLOB NOT NULL
  );
  INSERT INTO audit_v3 SELECT id, at, request_id, integration, purpose, method, host, path, outcome, code, status,
    latency_ms, bytes_out, bytes_in, cost, unhex(fingerprint), unhex(mac) FROM audit ORDER BY id;
  DROP TABLE audit;
  ALTER TABLE audit_v3 RENAME TO audit;
  CREATE INDEX audit_by_integration ON audit (integration, id);
  `,
  // 4: keys rotated out, known by fingerprint only, so the scanner still stops them going out
  // (a rotated key may still work at the provider until someone revokes it).
  `
  CREATE TABLE retired_keys (
    fingerprint TEXT PRIMARY KEY,
    length INTEGER NOT NULL,
    rolling INTEGER,
    integration TEXT NOT NULL,
    retired_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  `,
  // 5: the credential format a call carried where its integration records such formats instead
  // of blocking them (the rule's id; never the credential).
  `
  ALTER TABLE audit ADD COLUMN finding TEXT;
  `,
  // 6: sessions (one run of an assistant, on its own socket, with an optional budget of its own
  // over its whole life). Its spend is kept here by the ledger, in the same transactions as the
  // integrations' spend; a reservation and an audit record name the session they belong to.
  `
  CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    purpose TEXT NOT NULL,
    budget INTEGER,
    integrations TEXT,
    owner INTEGER,
    status TEXT NOT NULL CHECK (status IN ('running', 'ended')),
    started_by TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    ended_at INTEGER,
    end_reason TEXT,
    spent INTEGER NOT NULL DEFAULT 0,
    reserved INTEGER NOT NULL DEFAULT 0,
    calls INTEGER NOT NULL DEFAULT 0
  );
  ALTER TABLE reservations ADD COLUMN session TEXT REFERENCES sessions(id);
  ALTER TABLE audit ADD COLUMN session TEXT;
  CREATE INDEX audit_by_session ON audit (session, id) WHERE session IS NOT NULL;
  `,
];

export function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new Error(`the database is from a newer Tollgate (schema ${current}, this one knows ${MIGRATIONS.length}); upgrade Tollgate`);
  }
  for (let v = current; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}
