// The shared ledger's schema in PostgreSQL: numbered migrations applied in order, the last one
// applied recorded in schema_version (as PRAGMA user_version does for each daemon's SQLite).
// Never edit a released migration: add a new one. Several daemons may start at once: each
// migrates in one transaction under a transaction-scoped advisory lock, released at its commit.
import type { Pool, PoolClient } from 'pg';

export const SHARED_MIGRATIONS: readonly string[] = [
  // 1: budgets, their spend per period, the reservations in flight, the spend per machine and day.
  `
  -- The period a budget's spend counts in, derived from the clock (no reset job): the span from
  -- the reset day of one month to the next, in the budget's own time zone (daemon/period.ts).
  CREATE FUNCTION tollgate_period(at timestamptz, tz text, reset_day int) RETURNS date
  LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN extract(day FROM local) >= reset_day THEN start ELSE (start - interval '1 month')::date END
    FROM (SELECT local, make_date(extract(year FROM local)::int, extract(month FROM local)::int, reset_day) AS start
          FROM (SELECT (at AT TIME ZONE tz)::date AS local) l) s
  $$;

  CREATE TABLE budgets (
    name text PRIMARY KEY,
    cap_micros bigint NOT NULL CHECK (cap_micros > 0),
    time_zone text NOT NULL,
    reset_day int NOT NULL CHECK (reset_day BETWEEN 1 AND 28),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
  );

  -- One row a budget and period: the row a reservation updates, conditionally, in one statement.
  CREATE TABLE budget_periods (
    budget text NOT NULL REFERENCES budgets (name),
    period date NOT NULL,
    spent bigint NOT NULL DEFAULT 0,
    reserved bigint NOT NULL DEFAULT 0 CHECK (reserved >= 0),
    PRIMARY KEY (budget, period)
  );

  -- A call about to leave, made durable before it is sent; deleted when settled. run tells this
  -- daemon process from the earlier runs of the same machine, whose open ones it settles on start.
  CREATE TABLE reservations (
    id uuid PRIMARY KEY,
    budget text NOT NULL REFERENCES budgets (name),
    period date NOT NULL,
    day date NOT NULL,
    machine text NOT NULL,
    run uuid NOT NULL,
    integration text NOT NULL,
    amount bigint NOT NULL CHECK (amount > 0),
    created_at timestamptz NOT NULL
  );
  CREATE INDEX reservations_machine ON reservations (machine, budget);

  CREATE TABLE spend_daily (
    budget text NOT NULL REFERENCES budgets (name),
    machine text NOT NULL,
    day date NOT NULL,
    spent bigint NOT NULL DEFAULT 0,
    calls bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (budget, day, machine)
  );
  `,
  // 2: alerts on shared budgets, claimed by the first machine to raise them, so each fires once over the fleet.
  `
  CREATE TABLE fleet_alerts (
    dedupe_key text PRIMARY KEY,
    machine text NOT NULL,
    raised_at timestamptz NOT NULL DEFAULT now()
  );
  `,
  // 3: a call may reserve against two budgets at once (its integration's and the fleet's global one): a row each.
  `
  ALTER TABLE reservations DROP CONSTRAINT reservations_pkey, ADD PRIMARY KEY (id, budget);
  `,
];

/** Any number above the app's own range, so no other user of the database collides with it. */
const MIGRATION_LOCK = 0x746f6c6c; // "toll"

/**
 * Runs `work` in one transaction on a connection of its own: committed when it says so, else
 * rolled back (also when it throws). A connection that failed is dropped, not handed on.
 */
export async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<{ value: T; commit: boolean }>): Promise<T> {
  const client = await pool.connect();
  let failure: Error | undefined;
  try {
    await client.query('BEGIN');
    const { value, commit } = await work(client);
    await client.query(commit ? 'COMMIT' : 'ROLLBACK');
    return value;
  } catch (e) {
    failure = e instanceof Error ? e : new Error(String(e));
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    client.release(failure);
  }
}

/** Brings the shared schema up to date; refuses a database written by a newer Tollgate. */
export function migrateShared(pool: Pool): Promise<number> {
  return inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query('CREATE TABLE IF NOT EXISTS schema_version (version int NOT NULL)');
    const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_version');
    const current = rows[0]?.version ?? 0;
    if (current > SHARED_MIGRATIONS.length) {
      throw new Error(`the shared ledger's schema is version ${current}, newer than this Tollgate knows (${SHARED_MIGRATIONS.length}): update Tollgate on this machine`);
    }
    for (let v = current; v < SHARED_MIGRATIONS.length; v++) await client.query(SHARED_MIGRATIONS[v]!);
    if (rows.length === 0) await client.query('INSERT INTO schema_version (version) VALUES ($1)', [SHARED_MIGRATIONS.length]);
    else await client.query('UPDATE schema_version SET version = $1', [SHARED_MIGRATIONS.length]);
    return { value: SHARED_MIGRATIONS.length, commit: true };
  });
}
