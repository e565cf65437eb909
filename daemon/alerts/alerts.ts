// Raising alerts: one per dedupe key (repeats only bump its count), delivered to control
// clients as events and, for warning and critical when no tray listens, as native
// notifications, throttled so a flood becomes one summary.
import type { Clock } from '../clock.ts';
import type { Db } from '../db/open.ts';
import type { EventBus } from '../events.ts';
import type { AlertDraft, Tier } from './detectors.ts';
import type { Notifier } from './notifier.ts';

export interface Alert extends AlertDraft {
  id: number;
  count: number;
  firstAt: number;
  lastAt: number;
  ackedAt: number | null;
}

interface Row {
  id: number; tier: Tier; kind: string; dedupe_key: string; integration: string | null; title: string;
  message: string; count: number; first_at: number; last_at: number; acked_at: number | null;
}

const fromRow = (r: Row): Alert => ({
  id: r.id, tier: r.tier, kind: r.kind, dedupeKey: r.dedupe_key, integration: r.integration, title: r.title,
  message: r.message, count: r.count, firstAt: r.first_at, lastAt: r.last_at, ackedAt: r.acked_at,
});

/** Native notifications allowed per window before the rest are folded into one summary. */
const NOTIFY_BURST = 3;
const NOTIFY_WINDOW_MS = 60_000;

export class Alerts {
  private readonly db: Db;
  private readonly bus: EventBus;
  private readonly notifier: Notifier;
  private readonly clock: Clock;
  private readonly stmt;
  private recentNotifications: number[] = [];
  private held: Alert[] = [];
  private summaryTimer: NodeJS.Timeout | null = null;
  /** Dedupe keys already stored, so a repeat costs no query. */
  private readonly seen = new Set<string>();

  constructor(db: Db, bus: EventBus, notifier: Notifier, clock: Clock) {
    this.db = db;
    this.bus = bus;
    this.notifier = notifier;
    this.clock = clock;
    this.stmt = {
      insert: db.prepare(`INSERT INTO alerts (tier, kind, dedupe_key, integration, title, message, first_at, last_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (dedupe_key) DO NOTHING RETURNING *`),
      bump: db.prepare('UPDATE alerts SET count = count + 1, last_at = ? WHERE dedupe_key = ?'),
      ack: db.prepare('UPDATE alerts SET acked_at = ? WHERE id = ? AND acked_at IS NULL RETURNING *'),
      get: db.prepare('SELECT * FROM alerts WHERE id = ?'),
    };
  }

  raise(draft: AlertDraft): void {
    const now = this.clock.now();
    try {
      if (this.seen.has(draft.dedupeKey)) {
        this.stmt.bump.run(now, draft.dedupeKey);
        return;
      }
      if (this.seen.size > 10_000) this.seen.clear();
      const row = this.stmt.insert.get(draft.tier, draft.kind, draft.dedupeKey, draft.integration, draft.title, draft.message, now, now) as Row | undefined;
      this.seen.add(draft.dedupeKey);
      if (!row) {
        this.stmt.bump.run(now, draft.dedupeKey);
        return;
      }
      this.deliver(fromRow(row));
    } catch {
      // The database refused (full disk, read-only): the operator must still hear about it.
      this.deliver({ id: 0, ...draft, count: 1, firstAt: now, lastAt: now, ackedAt: null });
    }
  }

  private deliver(alert: Alert): void {
    this.bus.emit({ type: 'alert', alert });
    if (alert.tier === 'info' || this.bus.trayConnected) return;
    const now = this.clock.now();
    this.recentNotifications = this.recentNotifications.filter((t) => now - t < NOTIFY_WINDOW_MS);
    if (this.recentNotifications.length < NOTIFY_BURST) {
      this.recentNotifications.push(now);
      this.notifier.notify({ tier: alert.tier, title: alert.title, message: alert.message });
      return;
    }
    this.held.push(alert);
    this.summaryTimer ??= setTimeout(() => this.flushHeld(), NOTIFY_WINDOW_MS).unref();
  }

  private flushHeld(): void {
    this.summaryTimer = null;
    const held = this.held;
    this.held = [];
    if (held.length === 0 || this.bus.trayConnected) return;
    const tier: Tier = held.some((a) => a.tier === 'critical') ? 'critical' : 'warning';
    this.notifier.notify({
      tier,
      title: `${held.length} more alerts`,
      message: `${[...new Set(held.map((a) => a.title))].slice(0, 3).join('; ')}. Open Tollgate or run "npx tollgate alerts" to review them.`,
    });
  }

  list(filter: { tier?: Tier; open?: boolean; limit?: number }): Alert[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (filter.tier) { where.push('tier = ?'); args.push(filter.tier); }
    if (filter.open) where.push('acked_at IS NULL');
    const sql = `SELECT * FROM alerts ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY last_at DESC, id DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...args, filter.limit ?? 200) as Row[]).map(fromRow);
  }

  /** Acknowledges an alert; returns it, or null when there is no such alert. */
  ack(id: number): Alert | null {
    const row = (this.stmt.ack.get(this.clock.now(), id) ?? this.stmt.get.get(id)) as Row | undefined;
    if (!row) return null;
    this.bus.emit({ type: 'alert_acked', id });
    return fromRow(row);
  }

  close(): void {
    if (this.summaryTimer) clearTimeout(this.summaryTimer);
  }
}
