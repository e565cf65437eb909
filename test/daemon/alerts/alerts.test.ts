// The alert store when its database refuses writes: alerts are delivered all the same, once per
// dedupe key, kept, and stored (dated when they happened) once the database takes writes again.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Alerts } from '../../../daemon/alerts/alerts.ts';
import type { AlertDraft } from '../../../daemon/alerts/detectors.ts';
import type { Notification } from '../../../daemon/alerts/notifier.ts';
import { type Db, openDatabase } from '../../../daemon/db/open.ts';
import { type DaemonEvent, EventBus } from '../../../daemon/events.ts';

const T0 = Date.UTC(2026, 10, 10, 12, 0, 0);

const auditDown: AlertDraft = {
  tier: 'critical', kind: 'audit_unavailable', dedupeKey: 'audit_unavailable:2026-11-10T12', integration: null,
  title: 'Audit log cannot be written', message: 'Check free disk space.',
};
const draft = (n: number, tier: AlertDraft['tier'] = 'info'): AlertDraft => ({
  tier, kind: 'milestone', dedupeKey: `milestone:${n}`, integration: 'search', title: `Alert ${n}`, message: 'm',
});

describe('alerts the database refused', () => {
  let dir: string;
  let db: Db;
  let clock: { at: number; now(): number };
  let events: DaemonEvent[];
  let notifications: Notification[];
  let alerts: Alerts;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tollgate-alerts-'));
    db = openDatabase(join(dir, 'tollgate.db'));
    clock = { at: T0, now: () => clock.at };
    events = [];
    notifications = [];
    const bus = new EventBus();
    bus.subscribe((e) => void events.push(e), { tray: false });
    alerts = new Alerts(db, bus, { notify: (n) => void notifications.push(n) }, clock);
  });
  afterEach(() => {
    vi.useRealTimers();
    alerts.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  // Stands in for a full or read-only disk: every write to the alerts table fails.
  const refuse = () => db.exec(`
    CREATE TRIGGER full_insert BEFORE INSERT ON alerts BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END;
    CREATE TRIGGER full_update BEFORE UPDATE ON alerts BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END;`);
  const recover = () => db.exec('DROP TRIGGER full_insert; DROP TRIGGER full_update;');
  const stored = () => db.prepare('SELECT dedupe_key, count, first_at, last_at FROM alerts ORDER BY id').all();

  it('are delivered once, then stored by the next raise, oldest first, dated when they happened', () => {
    refuse();
    alerts.raise(auditDown);
    clock.at += 60_000;
    alerts.raise(auditDown);
    // The operator heard of it once; the repeat only counts.
    expect(notifications).toEqual([{ tier: 'critical', title: 'Audit log cannot be written', message: 'Check free disk space.' }]);
    expect(events).toHaveLength(1);
    expect(stored()).toEqual([]);

    recover();
    clock.at += 60_000;
    alerts.raise(draft(1, 'warning'));
    expect(stored()).toEqual([
      { dedupe_key: auditDown.dedupeKey, count: 2, first_at: T0, last_at: T0 + 60_000 },
      { dedupe_key: 'milestone:1', count: 1, first_at: T0 + 120_000, last_at: T0 + 120_000 },
    ]);
    // Delivered when it happened, not a second time when stored.
    expect(notifications.map((n) => n.title)).toEqual(['Audit log cannot be written', 'Alert 1']);
    alerts.raise(auditDown);
    expect(stored()[0]).toMatchObject({ count: 3, first_at: T0 });
  });

  it('are in the operator\'s list once the database takes writes, with no other raise', () => {
    refuse();
    alerts.raise(auditDown);
    expect(alerts.list({})).toEqual([]);
    recover();
    clock.at += 5 * 60_000;
    expect(alerts.list({ tier: 'critical' })).toEqual([
      expect.objectContaining({ kind: 'audit_unavailable', count: 1, firstAt: T0, lastAt: T0, ackedAt: null }),
    ]);
  });

  it('are stored by a retry on their own while nothing else happens', () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    refuse();
    alerts.raise(auditDown);
    vi.advanceTimersByTime(10_000);
    expect(stored()).toEqual([]);
    recover();
    vi.advanceTimersByTime(2_000);
    expect(stored()).toEqual([{ dedupe_key: auditDown.dedupeKey, count: 1, first_at: T0, last_at: T0 }]);
    // Nothing left to retry: the timer is gone.
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a repeat of a stored alert the database refused: counted later, not delivered again', () => {
    alerts.raise(auditDown);
    refuse();
    clock.at += 60_000;
    alerts.raise(auditDown);
    expect(notifications).toHaveLength(1);
    recover();
    expect(alerts.list({})).toEqual([expect.objectContaining({ count: 2, firstAt: T0, lastAt: T0 + 60_000 })]);
  });

  it('are kept up to a bound, the least urgent giving way first', () => {
    refuse();
    alerts.raise(auditDown);
    for (let n = 0; n < 150; n++) alerts.raise(draft(n));
    recover();
    const keys = alerts.list({ limit: 1000 }).map((a) => a.dedupeKey);
    expect(keys).toHaveLength(100);
    expect(keys).toContain(auditDown.dedupeKey);
    // The oldest info alerts made room for the newest.
    expect(keys).toContain('milestone:149');
    expect(keys).not.toContain('milestone:50');
    expect(keys).toContain('milestone:51');
  });

  it('are stored when the store closes, if the database takes writes by then', () => {
    refuse();
    alerts.raise(auditDown);
    recover();
    alerts.close();
    expect(stored()).toHaveLength(1);
  });
});
