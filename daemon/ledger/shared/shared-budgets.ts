// The daemon's side of the shared ledger: the connection (its string kept only in the keychain),
// the gate the pipeline reserves and settles through, and the operator's view and actions.
// Fail closed: while PostgreSQL cannot be reached a shared reservation is refused
// ledger_unavailable (and the operator alerted); nothing else in the daemon waits on it, and it
// recovers by itself, since the pool reconnects on the next call. A settle that fails is kept and
// retried: until it lands its reservation stays counted in PostgreSQL, at its full amount.
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { z } from 'zod';
import type { AlertDraft } from '../../alerts/detectors.ts';
import { capReached, crossedThreshold } from '../../alerts/thresholds.ts';
import type { Clock } from '../../clock.ts';
import type { LedgerView } from '../../control-types.ts';
import { ControlError, TollgateError } from '../../errors.ts';
import { NAME_PATTERN } from '../../integrations/schema.ts';
import { LEDGER_URL_ACCOUNT } from '../../keychain/daemon-secrets.ts';
import { type Keychain, KeychainUnavailableError } from '../../keychain/keychain.ts';
import { type Micros, microsToUsd, usdOfMicros, usdToMicros } from '../../money.ts';
import { isValidTimeZone } from '../../period.ts';
import { checkUrl, createPool, describeUrl, urlPassword } from './connection.ts';
import { migrateShared } from './migrations.ts';
import { type BudgetView, PostgresLedger, type Settled, type SharedReservation } from './postgres-ledger.ts';

export type { SharedReservation };

/** What the pipeline needs: reserve before a call leaves, settle after. */
export interface SharedGate {
  /** Against every budget named, or none; throws ledger_unavailable or budget_exhausted; resolves once the reservation is durable. */
  reserve(q: SharedCall): Promise<SharedReservation>;
  /** Never throws: a settle that fails is retried until it lands. `counts`: the call left (it counts in the daily calls). */
  settle(r: SharedReservation, cost: Micros, counts: boolean): void;
}

export interface SharedCall {
  budgets: string[];
  integration: string;
  amount: Micros;
}

export interface SharedBudgetsDeps {
  keychain: Keychain;
  clock: Clock;
  /** This daemon's name in the ledger (the machineName setting). */
  machine: () => string;
  /** The period of a budget created from this machine, unless the operator gives one: the daemon's own. */
  period: () => { timeZone: string; resetDay: number };
  raise: (alert: AlertDraft) => void;
  /** The database password in use changed (null: none): the credential scanner blocks it in requests, like a stored key. */
  password: (password: string | null) => void;
}

export const connectSchema = z.strictObject({ url: z.string().min(1).max(2000) });
export const budgetSchema = z.strictObject({
  monthlyCapUsd: z.number().finite().positive().max(1_000_000),
  timeZone: z.string().refine(isValidTimeZone, 'must be an IANA time zone such as Europe/Berlin').optional(),
  resetDay: z.number().int().min(1).max(28).optional(),
});

interface Connection {
  url: string;
  pool: pg.Pool;
  ledger: PostgresLedger;
  /** Migrated and this machine's earlier runs settled: done once per connection, retried until it succeeds. */
  ready: Promise<void> | null;
}

const SETTLE_RETRY_MS = 2_000;

/** A settle still to be written: the reservation stays counted at its full amount until it is. */
interface Unsettled {
  id: string;
  cost: Micros;
  counts: boolean;
}

export class SharedBudgets implements SharedGate {
  private readonly d: SharedBudgetsDeps;
  private conn: Connection | null = null;
  /** This run of the daemon: reservations of earlier runs of this machine are settled when it connects. */
  private run = randomUUID();
  private readonly unsettled: Unsettled[] = [];
  private retryTimer: NodeJS.Timeout | null = null;
  private retrying = false;
  /** While the database is away, the one call finding out whether it is back. */
  private probing = false;
  /** Fleet alerts this run has already claimed or seen claimed: a runaway loop's refusals cost no round trip each. */
  private readonly claimed = new Set<string>();
  /** When the current outage began (null: reachable), so it alerts once. */
  private downSince: number | null = null;
  private closed = false;

  constructor(deps: SharedBudgetsDeps) {
    this.d = deps;
  }

  /**
   * At start, before any call is taken: the connection string from the keychain (no connection
   * yet), so that its password is blocked in requests from the first one.
   */
  async load(): Promise<void> {
    try {
      await this.connection();
    } catch {
      // None set up, or the keychain did not answer: read again on first use.
    }
  }

  /** At start: connects if a ledger is set up, and settles what this machine's last run left open. */
  async start(): Promise<void> {
    try {
      await this.ready();
    } catch {
      // Not set up, or away: calls on shared budgets are refused until it answers.
    }
  }

  async reserve(q: SharedCall): Promise<SharedReservation> {
    return this.oneAtATimeWhileDown(() => this.attempt(q));
  }

  /**
   * What each budget named has left in its current period, for the agent's listing (one that does
   * not exist is left out); null when the ledger cannot be used (none set up, or unreachable). Never throws.
   */
  async remaining(budgets: string[]): Promise<Map<string, Micros> | null> {
    try {
      return await this.oneAtATimeWhileDown(async () => {
        const conn = await this.ready();
        let left: Map<string, Micros>;
        try {
          left = await conn.ledger.remaining(budgets, this.d.clock.now());
        } catch (e) {
          throw this.unreachable(e);
        }
        this.up();
        return left;
      });
    } catch {
      return null;
    }
  }

  /**
   * While the database is away, one caller at a time waits to find out whether it is back; the
   * others are refused at once rather than each waiting out the connection timeout.
   */
  private async oneAtATimeWhileDown<T>(run: () => Promise<T>): Promise<T> {
    if (this.downSince === null) return run();
    if (this.probing) throw new TollgateError('ledger_unavailable');
    this.probing = true;
    try {
      return await run();
    } finally {
      this.probing = false;
    }
  }

  private async attempt(q: SharedCall): Promise<SharedReservation> {
    const conn = await this.ready();
    this.retryUnsettled(conn);
    const id = randomUUID();
    let result;
    try {
      result = await conn.ledger.reserve({ id, ...q, machine: this.d.machine(), run: this.run, at: this.d.clock.now() });
    } catch (e) {
      // Whether it committed is unknown: released (it never left), to be retried until that lands.
      this.queue({ id, cost: 0, counts: false }, conn);
      throw this.unreachable(e);
    }
    this.up();
    if (result.ok) return result.reservation;
    const { budget } = result;
    if (result.reason === 'no_budget') {
      throw new TollgateError('ledger_unavailable', `The shared ledger has no budget named ${budget}. The operator creates it with PUT /v1/ledger/budgets/${budget} (tollgate ledger budget).`);
    }
    this.raiseOnce(conn, capReached(subject(budget), result.cap, result.cap, result.period, result.resetsAt, this.d.period().timeZone));
    throw new TollgateError('budget_exhausted',
      `The shared budget ${budget} of ${usdOfMicros(result.cap)}, shared by several machines, would be crossed (this call reserves up to ${usdOfMicros(q.amount)}). ` +
      `It resets on ${new Date(result.resetsAt).toISOString()}. Wait for the reset, or ask the operator.`);
  }

  settle(r: SharedReservation, cost: Micros, counts: boolean): void {
    const conn = this.conn;
    if (!conn) return; // Disconnected meanwhile: the reservation is settled at its amount when this machine connects again.
    conn.ledger.settle(r.id, cost, counts).then((s) => this.settled(conn, cost, s), () => this.queue({ id: r.id, cost, counts }, conn));
  }

  /** A settle landed: the milestones it crossed (50, 80, 100 %) are raised, once over the fleet. */
  private settled(conn: Connection, cost: Micros, budgets: Settled[]): void {
    this.up();
    for (const s of budgets) {
      const draft = crossedThreshold(subject(s.budget), s.spent - cost, s.spent, s.cap, s.period, s.resetsAt, this.d.period().timeZone);
      if (draft) this.raiseOnce(conn, draft);
    }
  }

  /** Raised here only if no machine of the fleet raised it before: shared budgets alert once, not once a machine. */
  private raiseOnce(conn: Connection, draft: AlertDraft): void {
    if (this.claimed.has(draft.dedupeKey)) return;
    this.claimed.add(draft.dedupeKey);
    // The subject names a shared budget, not an integration of this machine.
    conn.ledger.claimAlert(draft.dedupeKey, this.d.machine())
      .then((mine) => mine && this.d.raise({ ...draft, integration: null }), () => this.claimed.delete(draft.dedupeKey));
  }

  /** PUT /v1/ledger: checks the database, brings its schema up to date, then keeps the URL in the keychain. */
  async connect(body: unknown): Promise<LedgerView> {
    const { url } = connectSchema.parse(body);
    checkUrl(url);
    const conn = this.open(url);
    try {
      await (conn.ready = this.prepare(conn));
    } catch (e) {
      await conn.pool.end().catch(() => undefined);
      throw new ControlError('ledger_unavailable', `The shared ledger cannot be used: ${reason(e)}`);
    }
    try {
      await this.d.keychain.set(LEDGER_URL_ACCOUNT, url);
    } catch (e) {
      await conn.pool.end().catch(() => undefined);
      if (e instanceof KeychainUnavailableError) throw new ControlError('keychain_unavailable', `${e.message}. Unlock the keychain and try again.`);
      throw e;
    }
    const old = this.conn;
    this.use(conn);
    await old?.pool.end().catch(() => undefined);
    return this.view();
  }

  /** DELETE /v1/ledger: forgets the URL. Shared integrations are refused until a ledger is set up again. */
  async disconnect(): Promise<LedgerView> {
    try {
      await this.d.keychain.delete(LEDGER_URL_ACCOUNT);
    } catch (e) {
      if (e instanceof KeychainUnavailableError) throw new ControlError('keychain_unavailable', `${e.message}. Unlock the keychain and try again.`);
      throw e;
    }
    const old = this.conn;
    this.use(null);
    // What this run leaves open is this machine's earlier run once it connects again: settled at its amount.
    this.run = randomUUID();
    this.unsettled.length = 0;
    await old?.pool.end().catch(() => undefined);
    return this.view();
  }

  async view(): Promise<LedgerView> {
    const machine = this.d.machine();
    let conn: Connection;
    try {
      conn = await this.ready();
    } catch (e) {
      const where = this.conn ? describeUrl(this.conn.url) : null;
      return { configured: this.conn !== null, reachable: false, where, machine, error: this.conn ? reason(e) : null, pendingSettles: this.pendingSettles, budgets: [] };
    }
    let budgets: BudgetView[];
    try {
      budgets = await conn.ledger.view(this.d.clock.now());
    } catch (e) {
      return { configured: true, reachable: false, where: describeUrl(conn.url), machine, error: reason(e), pendingSettles: this.pendingSettles, budgets: [] };
    }
    return { configured: true, reachable: true, where: describeUrl(conn.url), machine, error: null, pendingSettles: this.pendingSettles, budgets: budgets.map(budgetView) };
  }

  /** PUT /v1/ledger/budgets/<name>: creates it, or sets its cap (raising it is confirmed by the client, like any widening). */
  async setBudget(name: string, body: unknown): Promise<LedgerView> {
    if (!NAME_PATTERN.test(name)) throw new ControlError('invalid', 'A budget name is lower-case letters, digits and dashes, up to 63 characters.');
    const b = budgetSchema.parse(body);
    const conn = await this.forOperator();
    const own = this.d.period();
    const period = { timeZone: b.timeZone ?? own.timeZone, resetDay: b.resetDay ?? own.resetDay };
    await this.operatorCall(() => conn.ledger.setBudget(name, usdToMicros(b.monthlyCapUsd), period, b.timeZone !== undefined || b.resetDay !== undefined));
    return this.view();
  }

  /** Settles, at their reserved amounts, the reservations a machine left open (one that died and will not come back). */
  async settleMachine(machine: string): Promise<{ count: number; amountUsd: number }> {
    const conn = await this.forOperator();
    // This machine's own calls in flight are not its to write off.
    const except = machine === this.d.machine() ? this.run : null;
    const r = await this.operatorCall(() => conn.ledger.settleMachine(machine, except));
    return { count: r.count, amountUsd: microsToUsd(r.amount) };
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearInterval(this.retryTimer);
    this.retryTimer = null;
    const conn = this.conn;
    this.conn = null;
    await conn?.pool.end().catch(() => undefined);
  }

  private open(url: string): Connection {
    const pool = createPool(url);
    return { url, pool, ledger: new PostgresLedger(pool), ready: null };
  }

  /** The connection from now on; the scanner is told its password. */
  private use<C extends Connection | null>(conn: C): C {
    this.conn = conn;
    this.d.password(conn && urlPassword(conn.url));
    return conn;
  }

  /** The connection, migrated and recovered; refused ledger_unavailable when there is none or it cannot be reached. */
  private async ready(): Promise<Connection> {
    const conn = await this.connection();
    conn.ready ??= this.prepare(conn).catch((e: unknown) => {
      conn.ready = null;
      throw e;
    });
    try {
      await conn.ready;
    } catch (e) {
      throw this.unreachable(e);
    }
    return conn;
  }

  /** The connection set up, its URL read from the keychain when there is none yet (not connected by this). */
  private async connection(): Promise<Connection> {
    if (this.conn) return this.conn;
    let url: string | null;
    try {
      url = await this.d.keychain.get(LEDGER_URL_ACCOUNT);
    } catch (e) {
      throw this.unreachable(e);
    }
    // The daemon stopped while the keychain answered: no pool is opened for nobody.
    if (this.closed) throw new TollgateError('ledger_unavailable');
    if (!url) {
      throw new TollgateError('ledger_unavailable', 'No shared ledger is set up on this machine, so nothing can be reserved on a shared budget. The operator sets one up with tollgate ledger connect (PUT /v1/ledger).');
    }
    // Another call may have read it meanwhile.
    return this.conn ?? this.use(this.open(url));
  }

  private async prepare(conn: Connection): Promise<void> {
    await migrateShared(conn.pool);
    await conn.ledger.settleMachine(this.d.machine(), this.run);
  }

  private async forOperator(): Promise<Connection> {
    try {
      return await this.ready();
    } catch (e) {
      throw new ControlError('ledger_unavailable', e instanceof Error ? e.message : String(e));
    }
  }

  private async operatorCall<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (e) {
      throw new ControlError('ledger_unavailable', `The shared ledger cannot be used: ${reason(e)}`);
    }
  }

  private queue(item: Unsettled, conn: Connection): void {
    if (conn !== this.conn) return;
    this.unsettled.push(item);
    this.retryTimer ??= setInterval(() => this.retryUnsettled(conn), SETTLE_RETRY_MS).unref();
  }

  /** Settles what could not be settled when its call ended, oldest first; stops at the first failure. */
  private retryUnsettled(conn: Connection): void {
    if (this.retrying || this.unsettled.length === 0) return;
    this.retrying = true;
    void (async () => {
      try {
        while (this.unsettled.length > 0 && conn === this.conn) {
          const { id, cost, counts } = this.unsettled[0]!;
          const settled = await conn.ledger.settle(id, cost, counts);
          this.unsettled.shift();
          this.settled(conn, cost, settled);
        }
        if (this.retryTimer) clearInterval(this.retryTimer);
        this.retryTimer = null;
        this.up();
      } catch {
        // Still away: the timer tries again.
      } finally {
        this.retrying = false;
      }
    })();
  }

  /** ledger_unavailable, and the operator told once per outage. */
  private unreachable(e: unknown): TollgateError {
    if (e instanceof TollgateError) return e;
    const at = this.d.clock.now();
    if (this.downSince === null) {
      this.downSince = at;
      this.d.raise({
        tier: 'critical', kind: 'ledger_unavailable', dedupeKey: `ledger_unavailable:${at}`, integration: null,
        title: 'Shared ledger unreachable',
        message: `The shared ledger (PostgreSQL) cannot be reached (${reason(e)}). Calls on shared budgets are refused until it answers again; local integrations are not affected. Check the database and this machine's network.`,
      });
    }
    return new TollgateError('ledger_unavailable', undefined, { cause: e });
  }

  private up(): void {
    this.downSince = null;
  }

  /** Settles still waiting to be written (their reservations stay counted meanwhile). */
  get pendingSettles(): number {
    return this.unsettled.length;
  }
}

const subject = (budget: string): string => `shared budget ${budget}`;

function reason(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  // A driver's message never carries the password, but may carry the URL's user and host: that is fine to show the operator.
  return text.split('\n')[0]!.slice(0, 300);
}

function budgetView(b: BudgetView): LedgerView['budgets'][number] {
  const machines = new Map<string, { spent: Micros; calls: number }>();
  for (const d of b.days) {
    const m = machines.get(d.machine) ?? { spent: 0, calls: 0 };
    machines.set(d.machine, { spent: m.spent + d.spent, calls: m.calls + d.calls });
  }
  return {
    name: b.name, monthlyCapUsd: microsToUsd(b.cap), timeZone: b.timeZone, resetDay: b.resetDay, period: b.period,
    resetsAt: new Date(b.resetsAt).toISOString(),
    spentUsd: microsToUsd(b.spent), reservedUsd: microsToUsd(b.reserved), remainingUsd: microsToUsd(Math.max(0, b.cap - b.spent - b.reserved)),
    machines: [...machines].map(([machine, m]) => ({ machine, spentUsd: microsToUsd(m.spent), calls: m.calls })),
    days: b.days.map((d) => ({ day: d.day, machine: d.machine, spentUsd: microsToUsd(d.spent), calls: d.calls })),
    open: b.open.map((o) => ({ machine: o.machine, count: o.count, amountUsd: microsToUsd(o.amount), oldest: new Date(o.oldest).toISOString() })),
  };
}
