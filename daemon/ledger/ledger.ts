// Where the spend cap is enforced. A call reserves its worst-case cost before it leaves and is
// settled at its real cost after; both are SQLite transactions, and the reservation check and
// its write happen in one synchronous step, so the cap holds exactly under any concurrency.
// The same step checks and reserves the session's budget, when the call runs in a session: the
// integration's cap, the global cap and the session's budget all hold at once.
import type { AuditLog } from '../audit/log.ts';
import type { AuditEntry } from '../audit/record.ts';
import type { Db } from '../db/open.ts';
import { TollgateError } from '../errors.ts';
import { type Micros, usdOfMicros } from '../money.ts';
import type { Calendar, Period } from '../period.ts';

export interface Reservation {
  id: number;
  integrationId: number;
  period: string;
  day: string;
  amount: Micros;
  /** The session the call runs in, whose own total counts it too. */
  session: string | null;
}

/** What the audit record will say if the daemon dies before the call is settled. */
export type PendingCall = Pick<AuditEntry, 'requestId' | 'integration' | 'purpose' | 'method' | 'host' | 'path' | 'bytesOut' | 'at'> & {
  fingerprint: string;
};

export interface Caps {
  integration: Micros;
  /** Over all integrations together; null when the operator set none. */
  global: Micros | null;
  /** The session the call runs in, and its budget (null: none of its own) over its whole life, not a period. */
  session?: { id: string; budget: Micros | null };
}

interface Totals {
  spent: Micros;
  reserved: Micros;
}

/** A session's own totals: they span periods. `calls` counts every call, refused ones too. */
export interface SessionTotals extends Totals {
  calls: number;
}

export type BudgetLimit = 'integration' | 'global' | 'session';

/** budget_exhausted, saying which of the three limits the call would have crossed. */
export class BudgetExhausted extends TollgateError {
  readonly limit: BudgetLimit;
  constructor(limit: BudgetLimit, message: string) {
    super('budget_exhausted', message);
    this.limit = limit;
  }
}

export class Ledger {
  private readonly audit: AuditLog;
  private readonly calendar: Calendar;
  // Mirror of the spend table for the current period: the daemon is its only writer.
  private mirrorPeriod = '';
  private mirror = new Map<number, Totals>();
  private global: Totals = { spent: 0, reserved: 0 };
  // Mirror of the sessions' totals, filled as they are used; the sessions table is the truth.
  private readonly sessions = new Map<string, SessionTotals>();
  private readonly stmt;

  constructor(db: Db, audit: AuditLog, calendar: Calendar) {
    this.audit = audit;
    this.calendar = calendar;
    this.stmt = {
      insertReservation: db.prepare(`INSERT INTO reservations (request_id, integration_id, period, day, amount, started_at,
        purpose, method, host, path, fingerprint, bytes_out, session) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      deleteReservation: db.prepare('DELETE FROM reservations WHERE id = ?'),
      addReserved: db.prepare(`INSERT INTO spend (integration_id, period, reserved) VALUES (?, ?, ?)
        ON CONFLICT (integration_id, period) DO UPDATE SET reserved = reserved + excluded.reserved`),
      settle: db.prepare('UPDATE spend SET reserved = reserved - ?, spent = spent + ?, calls = calls + 1 WHERE integration_id = ? AND period = ?'),
      daily: db.prepare(`INSERT INTO spend_daily (integration_id, day, spent, calls) VALUES (?, ?, ?, 1)
        ON CONFLICT (integration_id, day) DO UPDATE SET spent = spent + excluded.spent, calls = calls + 1`),
      periodTotals: db.prepare('SELECT integration_id AS id, spent, reserved FROM spend WHERE period = ?'),
      sessionTotals: db.prepare('SELECT spent, reserved, calls FROM sessions WHERE id = ?'),
      sessionReserved: db.prepare('UPDATE sessions SET reserved = reserved + ? WHERE id = ?'),
      sessionSettle: db.prepare('UPDATE sessions SET reserved = reserved - ?, spent = spent + ?, calls = calls + 1 WHERE id = ?'),
      sessionCall: db.prepare('UPDATE sessions SET calls = calls + 1 WHERE id = ?'),
      open: db.prepare(`SELECT r.*, i.name FROM reservations r JOIN integrations i ON i.id = r.integration_id ORDER BY r.id`),
    };
  }

  private totalsNow(at: number): { period: Period; totals: Map<number, Totals> } {
    const period = this.calendar.periodAt(at);
    if (period.id !== this.mirrorPeriod) {
      const rows = this.stmt.periodTotals.all(period.id) as { id: number; spent: number; reserved: number }[];
      this.mirror = new Map(rows.map((r) => [r.id, { spent: r.spent, reserved: r.reserved }]));
      this.global = rows.reduce((g, r) => ({ spent: g.spent + r.spent, reserved: g.reserved + r.reserved }), { spent: 0, reserved: 0 });
      this.mirrorPeriod = period.id;
    }
    return { period, totals: this.mirror };
  }

  /** Spent and reserved this period for one integration. */
  usage(integrationId: number, at: number): Totals & { period: Period } {
    const { period, totals } = this.totalsNow(at);
    const t = totals.get(integrationId) ?? { spent: 0, reserved: 0 };
    return { ...t, period };
  }

  /** A session's spent, reserved and calls over its whole life. */
  sessionUsage(id: string): SessionTotals {
    let t = this.sessions.get(id);
    if (!t) {
      t = (this.stmt.sessionTotals.get(id) as SessionTotals | undefined) ?? { spent: 0, reserved: 0, calls: 0 };
      this.sessions.set(id, t);
    }
    return t;
  }

  /** A session that ended and has nothing in flight need not stay in memory (its row keeps its totals). */
  forgetSession(id: string): void {
    if (this.sessions.get(id)?.reserved === 0) this.sessions.delete(id);
  }

  /** Spent and reserved this period over all integrations. */
  globalUsage(at: number): Totals & { period: Period } {
    const { period } = this.totalsNow(at);
    return { ...this.global, period };
  }

  /**
   * What is left under the caps (and the session's budget), in micro-dollars; with `settling`,
   * what will be left once that reservation is settled at that cost (a call's answer says so
   * before its settle is written).
   */
  remaining(integrationId: number, caps: Caps, at: number, settling?: { amount: Micros; cost: Micros }): Micros {
    const u = this.usage(integrationId, at);
    const change = settling ? settling.amount - settling.cost : 0;
    const own = caps.integration - u.spent - u.reserved + change;
    const global = caps.global === null ? Infinity : caps.global - this.global.spent - this.global.reserved + change;
    const session = caps.session && caps.session.budget !== null ? this.sessionRemaining(caps.session.id, caps.session.budget) + change : Infinity;
    return Math.max(0, Math.min(own, global, session));
  }

  /** What is left of a session's budget. */
  sessionRemaining(id: string, budget: Micros): Micros {
    const s = this.sessionUsage(id);
    return budget - s.spent - s.reserved;
  }

  /**
   * Reserves `amount` against the period's caps and the session's budget, durably, or refuses
   * with budget_exhausted. A write failure becomes audit_unavailable: no reservation, no call.
   */
  reserve(integrationId: number, caps: Caps, amount: Micros, call: PendingCall): Reservation {
    const { period, totals } = this.totalsNow(call.at);
    const t = totals.get(integrationId) ?? { spent: 0, reserved: 0 };
    const session = caps.session ?? null;
    const s = session && this.sessionUsage(session.id);
    if (t.spent + t.reserved + amount > caps.integration) {
      throw new BudgetExhausted('integration',
        `The monthly cap of ${usdOfMicros(caps.integration)} for ${call.integration} would be crossed ` +
        `(spent ${usdOfMicros(t.spent)}, in flight ${usdOfMicros(t.reserved)}, this call reserves up to ${usdOfMicros(amount)}). ` +
        `It resets on ${new Date(period.resetsAt).toISOString()}. Wait for the reset, or propose a higher cap (POST /v1/proposals).`);
    }
    if (caps.global !== null && this.global.spent + this.global.reserved + amount > caps.global) {
      throw new BudgetExhausted('global',
        `The global cap of ${usdOfMicros(caps.global)} over all integrations would be crossed. ` +
        `It resets on ${new Date(period.resetsAt).toISOString()}. Wait for the reset, or ask the operator.`);
    }
    if (session && s && session.budget !== null && s.spent + s.reserved + amount > session.budget) {
      throw new BudgetExhausted('session',
        `The session budget of ${usdOfMicros(session.budget)} would be crossed ` +
        `(spent ${usdOfMicros(s.spent)}, in flight ${usdOfMicros(s.reserved)}, this call reserves up to ${usdOfMicros(amount)}). ` +
        'It does not reset: the operator can start a new session with a higher budget.');
    }
    const day = this.calendar.dayAt(call.at).id;
    let id: number;
    try {
      id = this.audit.transaction(() => {
        const r = this.stmt.insertReservation.run(call.requestId, integrationId, period.id, day, amount, call.at,
          call.purpose, call.method, call.host, call.path, call.fingerprint, call.bytesOut, session?.id ?? null);
        this.stmt.addReserved.run(integrationId, period.id, amount);
        if (session) this.stmt.sessionReserved.run(amount, session.id);
        return Number(r.lastInsertRowid);
      });
    } catch (e) {
      throw new TollgateError('audit_unavailable', undefined, { cause: e });
    }
    totals.set(integrationId, { spent: t.spent, reserved: t.reserved + amount });
    this.global = { spent: this.global.spent, reserved: this.global.reserved + amount };
    if (session && s) this.sessions.set(session.id, { ...s, reserved: s.reserved + amount });
    return { id, integrationId, period: period.id, day, amount, session: session?.id ?? null };
  }

  /**
   * Settles a reservation at its real cost and writes the call's audit record in the same
   * transaction. Throws if the database refuses; the reservation then stays open and is
   * settled at its reserved amount on the next start (counted, never lost).
   */
  settle(r: Reservation, cost: Micros, entry: AuditEntry): void {
    this.audit.transaction(() => {
      this.stmt.deleteReservation.run(r.id);
      this.stmt.settle.run(r.amount, cost, r.integrationId, r.period);
      this.stmt.daily.run(r.integrationId, r.day, cost);
      if (r.session) this.stmt.sessionSettle.run(r.amount, cost, r.session);
      this.audit.append({ ...entry, cost, session: r.session });
    });
    if (r.period === this.mirrorPeriod) {
      const t = this.mirror.get(r.integrationId) ?? { spent: 0, reserved: 0 };
      this.mirror.set(r.integrationId, { spent: t.spent + cost, reserved: t.reserved - r.amount });
      this.global = { spent: this.global.spent + cost, reserved: this.global.reserved - r.amount };
    }
    const s = r.session && this.sessions.get(r.session);
    if (s) this.sessions.set(r.session!, { spent: s.spent + cost, reserved: s.reserved - r.amount, calls: s.calls + 1 });
  }

  /** Writes the audit record of a call that never reserved anything (a refusal); a session counts it. */
  record(entry: AuditEntry): void {
    const session = entry.session ?? null;
    try {
      this.audit.transaction(() => {
        this.audit.append(entry);
        if (session) this.stmt.sessionCall.run(session);
      });
    } catch (e) {
      throw new TollgateError('audit_unavailable', undefined, { cause: e });
    }
    const s = session && this.sessions.get(session);
    if (s) this.sessions.set(session!, { ...s, calls: s.calls + 1 });
  }

  /**
   * At start-up: reservations still open belong to calls the daemon died in the middle of.
   * The provider may have charged for them, so each is settled at its reserved amount, with an
   * audit record saying the outcome is unknown; one made in a session counts to that session.
   * Returns how many there were.
   */
  recoverOpen(now: number): number {
    const rows = this.stmt.open.all() as {
      id: number; request_id: string; integration_id: number; period: string; day: string; amount: number;
      started_at: number; purpose: string; method: string; host: string; path: string; fingerprint: string;
      bytes_out: number; name: string; session: string | null;
    }[];
    for (const row of rows) {
      this.settle(
        { id: row.id, integrationId: row.integration_id, period: row.period, day: row.day, amount: row.amount, session: row.session },
        row.amount,
        {
          at: now, requestId: row.request_id, integration: row.name, purpose: row.purpose, method: row.method,
          host: row.host, path: row.path, outcome: 'unknown', code: null, status: null,
          latencyMs: Math.max(0, now - row.started_at), bytesOut: row.bytes_out, bytesIn: 0, cost: row.amount,
          fingerprint: row.fingerprint,
        },
      );
    }
    return rows.length;
  }
}
