// Raising alerts: one per dedupe key (repeats only bump its count), delivered to control
// clients as events and, for warning and critical when no tray listens, as native
// notifications, throttled so a flood becomes one summary; acknowledged one by one or in bulk, and
// a proposal's alert along with the decision on it. An alert the database refuses (full
// disk, read-only) is delivered all the same and kept, to be stored once the database takes
// writes again: the operator's list must show that the audit log was unavailable.
import { z } from 'zod';
import type { Clock } from '../clock.ts';
import type { Db } from '../db/open.ts';
import type { EventBus } from '../events.ts';
import type { AlertDraft, Tier } from './detectors.ts';
import { Coalescer } from './coalesce.ts';
import type { Notifier } from './notifier.ts';
import { proposalAlertKey } from './proposal.ts';

/** Which alerts to acknowledge at once: all open ones, the open ones of a tier, or these. */
export const ackSelectionSchema = z.union([
  z.strictObject({ all: z.literal(true) }),
  z.strictObject({ tier: z.enum(['info', 'warning', 'critical']) }),
  z.strictObject({ ids: z.array(z.number().int().positive()).min(1).max(1000) }),
], { error: 'say which alerts: {"all":true}, {"tier":"info"|"warning"|"critical"} or {"ids":[…]} (1 to 1000 ids)' });
export type AckSelection = z.infer<typeof ackSelectionSchema>;

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

/** Native notifications allowed per window before the rest are folded into one summary (as the tray does). */
const NOTIFY_BURST = 3;
const NOTIFY_WINDOW_MS = 60_000;
/** Alerts kept while the database refuses writes; past this, the least urgent give way. */
const MAX_UNSTORED = 100;
const STORE_RETRY_MS = 2_000;
const RANK: Record<Tier, number> = { info: 0, warning: 1, critical: 2 };

/** An alert delivered but not yet stored: its occurrences since, and when it really happened. */
interface Unstored {
  draft: AlertDraft;
  count: number;
  firstAt: number;
  lastAt: number;
}

export class Alerts {
  private readonly db: Db;
  private readonly bus: EventBus;
  private readonly clock: Clock;
  private readonly stmt;
  private readonly notifications: Coalescer<Alert>;
  /** Dedupe keys already stored, so a repeat costs no query. */
  private readonly seen = new Set<string>();
  /** By dedupe key, oldest first. */
  private readonly unstored = new Map<string, Unstored>();
  private retryTimer: NodeJS.Timeout | null = null;

  constructor(db: Db, bus: EventBus, notifier: Notifier, clock: Clock) {
    this.db = db;
    this.bus = bus;
    this.clock = clock;
    this.notifications = new Coalescer({
      burst: NOTIFY_BURST,
      windowMs: NOTIFY_WINDOW_MS,
      now: () => clock.now(),
      review: 'Open Tollgate or run "tollgate alerts" to review them.',
      show: ({ tier, title, message }) => {
        // A tray that connected meanwhile notifies for itself.
        if (!this.bus.trayConnected) notifier.notify({ tier, title, message });
      },
    });
    this.stmt = {
      insert: db.prepare(`INSERT INTO alerts (tier, kind, dedupe_key, integration, title, message, first_at, last_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (dedupe_key) DO NOTHING RETURNING *`),
      bump: db.prepare('UPDATE alerts SET count = count + 1, last_at = ? WHERE dedupe_key = ?'),
      // A kept alert merges into one already stored under its key (a refused bump, or one stored
      // before a restart); first_at stays when it first happened.
      store: db.prepare(`INSERT INTO alerts (tier, kind, dedupe_key, integration, title, message, count, first_at, last_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (dedupe_key) DO UPDATE SET count = count + excluded.count,
        first_at = min(first_at, excluded.first_at), last_at = max(last_at, excluded.last_at)`),
      ack: db.prepare('UPDATE alerts SET acked_at = ? WHERE id = ? AND acked_at IS NULL RETURNING *'),
      get: db.prepare('SELECT * FROM alerts WHERE id = ?'),
      ackAll: db.prepare('UPDATE alerts SET acked_at = ? WHERE acked_at IS NULL RETURNING id').pluck(),
      ackTier: db.prepare('UPDATE alerts SET acked_at = ? WHERE acked_at IS NULL AND tier = ? RETURNING id').pluck(),
      ackIds: db.prepare('UPDATE alerts SET acked_at = ? WHERE acked_at IS NULL AND id IN (SELECT value FROM json_each(?)) RETURNING id').pluck(),
      known: db.prepare('SELECT id FROM alerts WHERE id IN (SELECT value FROM json_each(?))').pluck(),
      ackKey: db.prepare('UPDATE alerts SET acked_at = ? WHERE dedupe_key = ? AND acked_at IS NULL RETURNING id').pluck(),
    };
    bus.subscribe((e) => {
      if (e.type === 'proposal' && e.status !== 'pending') this.proposalDecided(e.id);
    }, { tray: false });
  }

  /** A decided proposal needs nothing more from the operator: its alert is acknowledged with it. */
  private proposalDecided(id: string): void {
    try {
      this.acked(this.stmt.ackKey.all(this.clock.now(), proposalAlertKey(id)) as number[]);
    } catch {
      // A database that refuses writes is alerted on elsewhere; the alert just stays open.
    }
  }

  raise(draft: AlertDraft): void {
    const now = this.clock.now();
    const kept = this.unstored.get(draft.dedupeKey);
    if (kept) {
      // Delivered already: a repeat only counts, and is stored with it.
      kept.count += 1;
      kept.lastAt = now;
      this.storeUnstored();
      return;
    }
    // Older alerts first, so the list keeps the order they happened in.
    if (!this.storeUnstored()) return this.keep(draft, now, !this.seen.has(draft.dedupeKey));
    try {
      if (this.seen.has(draft.dedupeKey)) {
        this.stmt.bump.run(now, draft.dedupeKey);
        return;
      }
      if (this.seen.size > 10_000) this.seen.clear();
      // all(), not get(): get() returns the row without checking the commit, which a full disk fails.
      const [row] = this.stmt.insert.all(draft.tier, draft.kind, draft.dedupeKey, draft.integration, draft.title, draft.message, now, now) as Row[];
      this.seen.add(draft.dedupeKey);
      if (!row) {
        this.stmt.bump.run(now, draft.dedupeKey);
        return;
      }
      this.deliver(fromRow(row));
    } catch {
      // The database refused (full disk, read-only): the operator must still hear about it, and
      // find it in the list later. A repeat of a stored alert was delivered when it was stored.
      this.keep(draft, now, !this.seen.has(draft.dedupeKey));
    }
  }

  /** Keeps an alert the database refused, to store it later; delivers it when it is new. */
  private keep(draft: AlertDraft, now: number, deliver: boolean): void {
    if (deliver) this.deliver({ id: 0, ...draft, count: 1, firstAt: now, lastAt: now, ackedAt: null });
    if (this.unstored.size >= MAX_UNSTORED) {
      let victim: Unstored | undefined;
      for (const u of this.unstored.values()) if (!victim || RANK[u.draft.tier] < RANK[victim.draft.tier]) victim = u;
      if (RANK[victim!.draft.tier] > RANK[draft.tier]) return;
      this.unstored.delete(victim!.draft.dedupeKey);
    }
    this.unstored.set(draft.dedupeKey, { draft, count: 1, firstAt: now, lastAt: now });
    this.retryTimer ??= setInterval(() => this.storeUnstored(), STORE_RETRY_MS).unref();
  }

  /** Stores the kept alerts, oldest first; false when the database still refuses. */
  private storeUnstored(): boolean {
    for (const [key, u] of this.unstored) {
      const { draft } = u;
      try {
        this.stmt.store.run(draft.tier, draft.kind, key, draft.integration, draft.title, draft.message, u.count, u.firstAt, u.lastAt);
      } catch {
        return false;
      }
      this.unstored.delete(key);
      this.seen.add(key);
    }
    if (this.retryTimer) clearInterval(this.retryTimer);
    this.retryTimer = null;
    return true;
  }

  private deliver(alert: Alert): void {
    this.bus.emit({ type: 'alert', alert });
    if (alert.tier === 'info' || this.bus.trayConnected) return;
    this.notifications.add(alert);
  }

  list(filter: { tier?: Tier; open?: boolean; limit?: number }): Alert[] {
    // The operator reads what happened, including what could not be stored until now.
    this.storeUnstored();
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (filter.tier) { where.push('tier = ?'); args.push(filter.tier); }
    if (filter.open) where.push('acked_at IS NULL');
    const sql = `SELECT * FROM alerts ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY last_at DESC, id DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...args, filter.limit ?? 200) as Row[]).map(fromRow);
  }

  /** Acknowledges an alert; returns it, or null when there is no such alert. */
  ack(id: number): Alert | null {
    const row = ((this.stmt.ack.all(this.clock.now(), id) as Row[])[0] ?? this.stmt.get.get(id)) as Row | undefined;
    if (!row) return null;
    this.acked([id]);
    return fromRow(row);
  }

  /**
   * Acknowledges the open alerts selected; returns the ids it acknowledged (already acknowledged
   * ones are left as they were). Ids that name no alert are returned as `unknown`, and then
   * nothing is acknowledged: the operator meant something else.
   */
  ackMany(selection: AckSelection): { acknowledged: number[]; unknown: number[] } {
    // Alerts the database could not take yet are open too.
    this.storeUnstored();
    const now = this.clock.now();
    let ids: number[];
    if ('ids' in selection) {
      const unique = [...new Set(selection.ids)];
      const wanted = JSON.stringify(unique);
      const known = new Set(this.stmt.known.all(wanted) as number[]);
      const unknown = unique.filter((id) => !known.has(id));
      if (unknown.length > 0) return { acknowledged: [], unknown };
      ids = this.stmt.ackIds.all(now, wanted) as number[];
    } else {
      ids = ('tier' in selection ? this.stmt.ackTier.all(now, selection.tier) : this.stmt.ackAll.all(now)) as number[];
    }
    this.acked(ids);
    return { acknowledged: ids, unknown: [] };
  }

  /** Tells control clients, and drops them from the notifications still held back: no longer news. */
  private acked(ids: number[]): void {
    if (ids.length === 0) return;
    this.notifications.drop(new Set(ids));
    this.bus.emit({ type: 'alert_acked', ids });
  }

  close(): void {
    this.notifications.close();
    // A last chance before the database closes; what still fails is lost with the process.
    this.storeUnstored();
    if (this.retryTimer) clearInterval(this.retryTimer);
    this.retryTimer = null;
  }
}
