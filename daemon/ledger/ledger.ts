// Where the spend cap is enforced. A call reserves its worst-case cost before it leaves and is
// settled at its real cost after; both are SQLite transactions, and the reservation check and
// its write happen in one synchronous step, so the cap holds exactly under any concurrency.
import type { AuditLog } from '../audit/log.ts';
import type { AuditEntry } from '../audit/record.ts';
import type { Db } from '../db/open.ts';
import { TollgateError } from '../errors.ts';
import { formatUsd, type Micros } from '../money.ts';
import type { Calendar, Period } from '../period.ts';

export interface Reservation {
  id: number;
  integrationId: number;
  period: string;
  day: string;
  amount: Micros;
}

/** What the audit record will say if the daemon dies before the call is settled. */
export type PendingCall = Pick<AuditEntry, 'requestId' | 'integration' | 'purpose' | 'method' | 'host' | 'path' | 'bytesOut' | 'at'> & {
  fingerprint: string;
};

export interface Caps {
  integration: Micros;
  /** Over all integrations together; null when the operator set none. */
  global: Micros | null;
}

interface Totals {
  spent: Micros;
  reserved: Micros;
}

export class Ledger {
  private readonly audit: AuditLog;
  private readonly calendar: Calendar;
  // Mirror of the spend table for the current period: the daemon is its only writer.
  private mirrorPeriod = '';
  private mirror = new Map<number, Totals>();
  private global: Totals = { spent: 0, reserved: 0 };
  private readonly stmt;

  constructor(db: Db, audit: AuditLog, calendar: Calendar) {
    this.audit = audit;
    this.calendar = calendar;
    this.stmt = {
      insertReservation: db.prepare(`INSERT INTO reservations (request_id, integration_id, period, day, amount, started_at,
        purpose, method, host, path, fingerprint, bytes_out) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      deleteReservation: db.prepare('DELETE FROM reservations WHERE id = ?'),
      addReserved: db.prepare(`INSERT INTO spend (integration_id, period, reserved) VALUES (?, ?, ?)
        ON CONFLICT (integration_id, period) DO UPDATE SET reserved = reserved + excluded.reserved`),
      settle: db.prepare('UPDATE spend SET reserved = reserved - ?, spent = spent + ?, calls = calls + 1 WHERE integration_id = ? AND period = ?'),
      daily: db.prepare(`INSERT INTO spend_daily (integration_id, day, spent, calls) VALUES (?, ?, ?, 1)
        ON CONFLICT (integration_id, day) DO UPDATE SET spent = spent + excluded.spent, calls = calls + 1`),
      periodTotals: db.prepare('SELECT integration_id AS id, spent, reserved FROM spend WHERE period = ?'),
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

  /** Spent and reserved this period over all integrations. */
  globalUsage(at: number): Totals & { period: Period } {
    const { period } = this.totalsNow(at);
    return { ...this.global, period };
  }

  /**
   * What is left under both caps, in micro-dollars; with `settling`, what will be left once that
   * reservation is settled at that cost (a call's answer says so before its settle is written).
   */
  remaining(integrationId: number, caps: Caps, at: number, settling?: { amount: Micros; cost: Micros }): Micros {
    const u = this.usage(integrationId, at);
    const change = settling ? settling.amount - settling.cost : 0;
    const own = caps.integration - u.spent - u.reserved + change;
    const global = caps.global === null ? Infinity : caps.global - this.global.spent - this.global.reserved + change;
    return Math.max(0, Math.min(own, global));
  }

  /**
   * Reserves `amount` against the period's caps, durably, or refuses with budget_exhausted.
   * A write failure becomes audit_unavailable: no reservation, no call.
   */
  reserve(integrationId: number, caps: Caps, amount: Micros, call: PendingCall): Reservation {
    const { period, totals } = this.totalsNow(call.at);
    const t = totals.get(integrationId) ?? { spent: 0, reserved: 0 };
    if (t.spent + t.reserved + amount > caps.integration) {
      throw new TollgateError('budget_exhausted',
        `The monthly cap of ${formatUsd(caps.integration)} USD for ${call.integration} would be crossed ` +
        `(spent ${formatUsd(t.spent)}, in flight ${formatUsd(t.reserved)}, this call reserves up to ${formatUsd(amount)}). ` +
        `It resets on ${new Date(period.resetsAt).toISOString()}. Wait for the reset, or propose a higher cap (POST /v1/proposals).`);
    }
    if (caps.global !== null && this.global.spent + this.global.reserved + amount > caps.global) {
      throw new TollgateError('budget_exhausted',
        `The global cap of ${formatUsd(caps.global)} USD over all integrations would be crossed. ` +
        `It resets on ${new Date(period.resetsAt).toISOString()}. Wait for the reset, or ask the operator.`);
    }
    const day = this.calendar.dayAt(call.at).id;
    let id: number;
    try {
      id = this.audit.transaction(() => {
        const r = this.stmt.insertReservation.run(call.requestId, integrationId, period.id, day, amount, call.at,
          call.purpose, call.method, call.host, call.path, call.fingerprint, call.bytesOut);
        this.stmt.addReserved.run(integrationId, period.id, amount);
        return Number(r.lastInsertRowid);
      });
    } catch (e) {
      throw new TollgateError('audit_unavailable', undefined, { cause: e });
    }
    totals.set(integrationId, { spent: t.spent, reserved: t.reserved + amount });
    this.global = { spent: this.global.spent, reserved: this.global.reserved + amount };
    return { id, integrationId, period: period.id, day, amount };
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
      this.audit.append({ ...entry, cost });
    });
    if (r.period === this.mirrorPeriod) {
      const t = this.mirror.get(r.integrationId) ?? { spent: 0, reserved: 0 };
      this.mirror.set(r.integrationId, { spent: t.spent + cost, reserved: t.reserved - r.amount });
      this.global = { spent: this.global.spent + cost, reserved: this.global.reserved - r.amount };
    }
  }

  /** Writes the audit record of a call that never reserved anything (a refusal). */
  record(entry: AuditEntry): void {
    try {
      this.audit.transaction(() => this.audit.append(entry));
    } catch (e) {
      throw new TollgateError('audit_unavailable', undefined, { cause: e });
    }
  }

  /**
   * At start-up: reservations still open belong to calls the daemon died in the middle of.
   * The provider may have charged for them, so each is settled at its reserved amount, with an
   * audit record saying the outcome is unknown. Returns how many there were.
   */
  recoverOpen(now: number): number {
    const rows = this.stmt.open.all() as {
      id: number; request_id: string; integration_id: number; period: string; day: string; amount: number;
      started_at: number; purpose: string; method: string; host: string; path: string; fingerprint: string;
      bytes_out: number; name: string;
    }[];
    for (const row of rows) {
      this.settle(
        { id: row.id, integrationId: row.integration_id, period: row.period, day: row.day, amount: row.amount },
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
