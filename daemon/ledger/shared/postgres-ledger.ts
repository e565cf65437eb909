// The shared ledger in PostgreSQL: one budget enforced exactly by several daemons. A reservation
// is one statement: the budget's row for the period is updated only where spent + reserved + this
// amount stays within the cap (PostgreSQL re-checks that condition on the newest row version
// under its row lock), and the reservation row is inserted by the same statement, so both commit
// before the call leaves or neither does (a call on two budgets: one short transaction over both).
// Settling is one statement too. No lock is held between
// the two: the call to the provider runs with nothing held in the database.
// The period is worked out by the database (tollgate_period) from the caller's clock reading and
// the budget's own time zone and reset day, so every machine counts in the same period.
import type pg from 'pg';
import type { Micros } from '../../money.ts';
import { inTransaction } from './migrations.ts';

export interface SharedBudget {
  name: string;
  cap: Micros;
  timeZone: string;
  resetDay: number;
}

export interface SharedReservation {
  id: string;
  /** The budgets it counts against: an integration's own shared budget, the fleet's global one, or both. */
  budgets: string[];
  amount: Micros;
  /** What its tightest budget had left once it was made (other machines' calls may take more meanwhile). */
  left: Micros;
}

export type ReserveResult =
  | { ok: true; reservation: SharedReservation }
  | { ok: false; reason: 'no_budget'; budget: string }
  | { ok: false; reason: 'exhausted'; budget: string; period: string; resetsAt: number; cap: Micros };

export interface BudgetView extends SharedBudget {
  period: string;
  resetsAt: number;
  spent: Micros;
  reserved: Micros;
  /** Per machine and day in the current period. */
  days: { machine: string; day: string; spent: Micros; calls: number }[];
  /** Reservations still open, per machine: calls in flight, or left by a daemon that died. */
  open: { machine: string; count: number; amount: Micros; oldest: number }[];
}

/** A budget's period right after a settle: whether it crossed a milestone is worked out from it. */
export interface Settled {
  budget: string;
  spent: Micros;
  cap: Micros;
  period: string;
  resetsAt: number;
}

export interface ReserveRequest {
  id: string;
  budgets: string[];
  amount: Micros;
  machine: string;
  /** This daemon process: its earlier runs' open reservations are settled when it starts. */
  run: string;
  integration: string;
  at: number;
}

const AT = 'to_timestamp($1::float8 / 1000)';

const RESERVE = `
  WITH b AS (
    SELECT name, cap_micros, time_zone, tollgate_period(${AT}, time_zone, reset_day) AS period, (${AT} AT TIME ZONE time_zone)::date AS day
    FROM budgets WHERE name = $2
  ), p AS (
    INSERT INTO budget_periods AS bp (budget, period, reserved)
    SELECT name, period, $3::bigint FROM b WHERE $3::bigint <= cap_micros
    ON CONFLICT (budget, period) DO UPDATE SET reserved = bp.reserved + excluded.reserved
    WHERE bp.spent + bp.reserved + excluded.reserved <= (SELECT cap_micros FROM budgets WHERE name = excluded.budget)
    RETURNING bp.spent, bp.reserved
  ), r AS (
    INSERT INTO reservations (id, budget, period, day, machine, run, integration, amount, created_at)
    SELECT $4::uuid, b.name, b.period, b.day, $5, $6::uuid, $7, $3::bigint, ${AT} FROM b, p
    RETURNING id
  )
  SELECT b.cap_micros AS cap, to_char(b.period, 'YYYY-MM-DD') AS period, (b.period + interval '1 month')::timestamp AT TIME ZONE b.time_zone AS resets_at,
    p.spent, p.reserved, (SELECT count(*) FROM r) AS made
  FROM b LEFT JOIN p ON true`;

// $3: whether the call counts as one in the machine's daily spend (a call refused before it left does not).
const SETTLE = `
  WITH r AS (
    DELETE FROM reservations WHERE id = $1::uuid RETURNING budget, period, day, machine, amount
  ), p AS (
    UPDATE budget_periods bp SET reserved = bp.reserved - r.amount, spent = bp.spent + $2::bigint
    FROM r WHERE bp.budget = r.budget AND bp.period = r.period
    RETURNING bp.budget, bp.spent
  ), d AS (
    INSERT INTO spend_daily AS sd (budget, machine, day, spent, calls)
    SELECT budget, machine, day, $2::bigint, 1 FROM r WHERE $3::boolean
    ON CONFLICT (budget, day, machine) DO UPDATE SET spent = sd.spent + excluded.spent, calls = sd.calls + 1
    RETURNING 1
  )
  SELECT r.budget, p.spent, b.cap_micros AS cap, to_char(r.period, 'YYYY-MM-DD') AS period,
    (r.period + interval '1 month')::timestamp AT TIME ZONE b.time_zone AS resets_at, (SELECT count(*) FROM d) AS days
  FROM r JOIN p ON p.budget = r.budget JOIN budgets b ON b.name = r.budget`;

export class PostgresLedger {
  private readonly pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.pool = pool;
  }

  /** Creates a budget, or changes its cap (and, when given, its time zone and reset day). */
  async setBudget(name: string, cap: Micros, period: { timeZone: string; resetDay: number }, changePeriod: boolean): Promise<SharedBudget> {
    const { rows } = await this.pool.query<{ name: string; cap_micros: string; time_zone: string; reset_day: number }>(
      `INSERT INTO budgets AS b (name, cap_micros, time_zone, reset_day) VALUES ($1, $2::bigint, $3, $4)
       ON CONFLICT (name) DO UPDATE SET cap_micros = excluded.cap_micros, updated_at = now(),
         time_zone = CASE WHEN $5::boolean THEN excluded.time_zone ELSE b.time_zone END,
         reset_day = CASE WHEN $5::boolean THEN excluded.reset_day ELSE b.reset_day END
       RETURNING name, cap_micros, time_zone, reset_day`,
      [name, cap, period.timeZone, period.resetDay, changePeriod],
    );
    const r = rows[0]!;
    return { name: r.name, cap: Number(r.cap_micros), timeZone: r.time_zone, resetDay: r.reset_day };
  }

  /**
   * Reserves atomically against every budget of the request, or none, and says why not. One budget
   * is one statement; several are one short transaction taking their rows in name order (so two
   * of them never wait on each other), committed or rolled back before the call goes anywhere.
   * Throws only when the database cannot be used.
   */
  async reserve(q: ReserveRequest): Promise<ReserveResult> {
    const budgets = [...new Set(q.budgets)].sort();
    if (budgets.length === 1) return this.reserveIn(this.pool, q, budgets);
    return inTransaction(this.pool, async (client) => {
      const result = await this.reserveIn(client, q, budgets);
      return { value: result, commit: result.ok };
    });
  }

  private async reserveIn(db: pg.Pool | pg.PoolClient, q: ReserveRequest, budgets: string[]): Promise<ReserveResult> {
    let left = Infinity;
    for (const budget of budgets) {
      const { rows } = await db.query<{ cap: string; period: string; resets_at: Date; spent: string | null; reserved: string | null; made: string }>(
        RESERVE, [q.at, budget, q.amount, q.id, q.machine, q.run, q.integration]);
      const row = rows[0];
      if (!row) return { ok: false, reason: 'no_budget', budget };
      const cap = Number(row.cap);
      if (row.made !== '1') return { ok: false, reason: 'exhausted', budget, period: row.period, resetsAt: row.resets_at.getTime(), cap };
      left = Math.min(left, cap - Number(row.spent) - Number(row.reserved));
    }
    return { ok: true, reservation: { id: q.id, budgets, amount: q.amount, left } };
  }

  /**
   * Moves a reservation to spent at its real cost in each of its budgets, in one statement. Returns none when it was
   * already settled (by an earlier try whose answer was lost, or by an operator from another machine).
   */
  async settle(id: string, cost: Micros, counts = true): Promise<Settled[]> {
    const { rows } = await this.pool.query<{ budget: string; spent: string; cap: string; period: string; resets_at: Date }>(SETTLE, [id, cost, counts]);
    return rows.map((r) => ({ budget: r.budget, spent: Number(r.spent), cap: Number(r.cap), period: r.period, resetsAt: r.resets_at.getTime() }));
  }

  /** Claims an alert for the whole fleet: true for the one machine that claims it first. */
  async claimAlert(dedupeKey: string, machine: string): Promise<boolean> {
    const { rows } = await this.pool.query('INSERT INTO fleet_alerts (dedupe_key, machine) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1', [dedupeKey, machine]);
    return rows.length > 0;
  }

  /** Open reservations (calls) of a machine (all runs but `exceptRun`), each settled at its reserved amount. */
  async settleMachine(machine: string, exceptRun: string | null): Promise<{ count: number; amount: Micros }> {
    const { rows } = await this.pool.query<{ id: string; amount: string }>(
      `SELECT id, max(amount) AS amount FROM reservations WHERE machine = $1 AND ($2::uuid IS NULL OR run <> $2::uuid)
       GROUP BY id ORDER BY min(created_at)`, [machine, exceptRun]);
    let count = 0;
    let amount = 0;
    for (const r of rows) {
      // One at a time, each its own statement: a reservation settled meanwhile is skipped.
      if ((await this.settle(r.id, Number(r.amount))).length > 0) {
        count++;
        amount += Number(r.amount);
      }
    }
    return { count, amount };
  }

  /** What each of these budgets has left in its current period (a budget that does not exist is not in the map). */
  async remaining(names: string[], at: number): Promise<Map<string, Micros>> {
    const { rows } = await this.pool.query<{ name: string; left: string }>(
      `SELECT b.name, b.cap_micros - coalesce(bp.spent, 0) - coalesce(bp.reserved, 0) AS left
       FROM budgets b CROSS JOIN LATERAL (SELECT tollgate_period(${AT}, b.time_zone, b.reset_day) AS period) cur
       LEFT JOIN budget_periods bp ON bp.budget = b.name AND bp.period = cur.period
       WHERE b.name = ANY($2::text[])`, [at, names]);
    return new Map(rows.map((r) => [r.name, Math.max(0, Number(r.left))]));
  }

  /** Every budget in its current period, with spend per machine and day and what is still open. */
  async view(at: number): Promise<BudgetView[]> {
    const budgets = await this.pool.query<{
      name: string; cap_micros: string; time_zone: string; reset_day: number; period: string; resets_at: Date; spent: string; reserved: string;
    }>(
      `SELECT b.name, b.cap_micros, b.time_zone, b.reset_day, to_char(cur.period, 'YYYY-MM-DD') AS period,
         (cur.period + interval '1 month')::timestamp AT TIME ZONE b.time_zone AS resets_at,
         coalesce(bp.spent, 0) AS spent, coalesce(bp.reserved, 0) AS reserved
       FROM budgets b CROSS JOIN LATERAL (SELECT tollgate_period(${AT}, b.time_zone, b.reset_day) AS period) cur
       LEFT JOIN budget_periods bp ON bp.budget = b.name AND bp.period = cur.period
       ORDER BY b.name`, [at]);
    const days = await this.pool.query<{ budget: string; machine: string; day: string; spent: string; calls: string }>(
      `SELECT sd.budget, sd.machine, to_char(sd.day, 'YYYY-MM-DD') AS day, sd.spent, sd.calls
       FROM spend_daily sd JOIN budgets b ON b.name = sd.budget
       WHERE sd.day >= tollgate_period(${AT}, b.time_zone, b.reset_day)
       ORDER BY sd.day, sd.machine`, [at]);
    const open = await this.pool.query<{ budget: string; machine: string; count: string; amount: string; oldest: Date }>(
      `SELECT budget, machine, count(*) AS count, sum(amount) AS amount, min(created_at) AS oldest
       FROM reservations GROUP BY budget, machine ORDER BY machine`);
    return budgets.rows.map((b) => ({
      name: b.name,
      cap: Number(b.cap_micros),
      timeZone: b.time_zone,
      resetDay: b.reset_day,
      period: b.period,
      resetsAt: b.resets_at.getTime(),
      spent: Number(b.spent),
      reserved: Number(b.reserved),
      days: days.rows.filter((d) => d.budget === b.name).map((d) => ({ machine: d.machine, day: d.day, spent: Number(d.spent), calls: Number(d.calls) })),
      open: open.rows.filter((o) => o.budget === b.name).map((o) => ({ machine: o.machine, count: Number(o.count), amount: Number(o.amount), oldest: o.oldest.getTime() })),
    }));
  }
}
