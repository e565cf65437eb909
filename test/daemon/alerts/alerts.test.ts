// The alert store when its database refuses writes: alerts are delivered all the same, once per
// dedupe key, kept, and stored (dated when they happened) once the database takes writes again.
// Acknowledging in bulk; one alert per proposal; native notifications coalesced, alerts not.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Alerts } from '../../../daemon/alerts/alerts.ts';
import type { AlertDraft } from '../../../daemon/alerts/detectors.ts';
import type { Notification } from '../../../daemon/alerts/notifier.ts';
import { proposalAlert } from '../../../daemon/alerts/proposal.ts';
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

describe('acknowledging and notifying', () => {
  let dir: string;
  let db: Db;
  let clock: { at: number; now(): number };
  let bus: EventBus;
  /** The ids of each alert_acked event, in order. */
  let acked: number[][];
  let notifications: Notification[];
  let alerts: Alerts;

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    dir = mkdtempSync(join(tmpdir(), 'tollgate-alerts-'));
    db = openDatabase(join(dir, 'tollgate.db'));
    clock = { at: T0, now: () => clock.at };
    acked = [];
    notifications = [];
    bus = new EventBus();
    bus.subscribe((e) => void (e.type === 'alert_acked' && acked.push([...e.ids].sort((a, b) => a - b))), { tray: false });
    alerts = new Alerts(db, bus, { notify: (n) => void notifications.push(n) }, clock);
  });
  afterEach(() => {
    vi.useRealTimers();
    alerts.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const open = () => alerts.list({ open: true }).map((a) => a.dedupeKey).sort();
  const idOf = (key: string) => alerts.list({}).find((a) => a.dedupeKey === key)!.id;

  it('acknowledges the open alerts of a tier, all of them, or the ids given; each acknowledgement is one event, however many alerts it took', () => {
    for (const [n, tier] of [[1, 'info'], [2, 'warning'], [3, 'warning'], [4, 'critical'], [5, 'critical']] as const) alerts.raise(draft(n, tier));
    expect(alerts.ackMany({ tier: 'warning' })).toEqual({ acknowledged: [idOf('milestone:2'), idOf('milestone:3')], unknown: [] });
    expect(open()).toEqual(['milestone:1', 'milestone:4', 'milestone:5']);
    // Already acknowledged: left as they were, not counted again.
    expect(alerts.ackMany({ tier: 'warning' }).acknowledged).toEqual([]);
    expect(alerts.ackMany({ ids: [idOf('milestone:4'), idOf('milestone:4'), idOf('milestone:2')] }).acknowledged).toEqual([idOf('milestone:4')]);
    expect(alerts.ackMany({ all: true }).acknowledged.sort()).toEqual([idOf('milestone:1'), idOf('milestone:5')].sort());
    expect(open()).toEqual([]);
    // Nothing acknowledged, nothing announced: three events for the three that acknowledged some.
    const ids = (...ns: number[]) => ns.map((n) => idOf(`milestone:${n}`)).sort((a, b) => a - b);
    expect(acked).toEqual([ids(2, 3), ids(4), ids(1, 5)]);
    // One by one, one event each.
    alerts.raise(draft(6, 'warning'));
    alerts.ack(idOf('milestone:6'));
    expect(acked.at(-1)).toEqual(ids(6));
  });

  it('acknowledges nothing when an id names no alert', () => {
    alerts.raise(draft(1, 'critical'));
    expect(alerts.ackMany({ ids: [idOf('milestone:1'), 4242] })).toEqual({ acknowledged: [], unknown: [4242] });
    expect(open()).toEqual(['milestone:1']);
    expect(acked).toEqual([]);
  });

  it('raises one alert per proposal, and acknowledges it when the proposal is decided', () => {
    alerts.raise(proposalAlert('11111111-aaaa-4aaa-8aaa-aaaaaaaaaaaa', { kind: 'raise_cap', integration: 'exa', monthlyCapUsd: 20, justification: 'more' }));
    clock.at += 60_000;
    alerts.raise(proposalAlert('22222222-bbbb-4bbb-8bbb-bbbbbbbbbbbb', { kind: 'new_integration', name: 'tavily', purpose: 'extracts', justification: 'more' }));
    expect(alerts.list({}).map((a) => [a.tier, a.title, a.count])).toEqual([
      ['info', 'Proposal: a new integration, tavily', 1],
      ['info', 'Proposal: raise the cap of exa to $20.00', 1],
    ]);
    bus.emit({ type: 'proposal', id: '11111111-aaaa-4aaa-8aaa-aaaaaaaaaaaa', status: 'approved' });
    expect(open()).toEqual(['proposal:22222222-bbbb-4bbb-8bbb-bbbbbbbbbbbb']);
    expect(notifications).toEqual([]);
  });

  it('pops up three a minute, then one summary for the rest; one left over pops up as itself', () => {
    for (let n = 1; n <= 6; n++) alerts.raise(draft(n, n === 5 ? 'critical' : 'warning'));
    expect(notifications.map((n) => n.title)).toEqual(['Alert 1', 'Alert 2', 'Alert 3']);
    vi.advanceTimersByTime(60_000);
    expect(notifications.slice(3)).toEqual([{ tier: 'critical', title: '3 more alerts', message: expect.stringMatching(/^Alert 4; Alert 5; Alert 6\. /) }]);
    // Each alert stays its own in the list: a burst folds notifications, never alerts.
    expect(alerts.list({}).map((a) => a.dedupeKey).sort()).toEqual([1, 2, 3, 4, 5, 6].map((n) => `milestone:${n}`));

    clock.at += 120_000;
    for (let n = 7; n <= 10; n++) alerts.raise(draft(n, 'warning'));
    vi.advanceTimersByTime(60_000);
    expect(notifications.slice(4).map((n) => n.title)).toEqual(['Alert 7', 'Alert 8', 'Alert 9', 'Alert 10']);
  });

  it('leaves out of the summary what was acknowledged meanwhile', () => {
    for (let n = 1; n <= 5; n++) alerts.raise(draft(n, 'warning'));
    alerts.ackMany({ ids: [idOf('milestone:4'), idOf('milestone:5')] });
    vi.advanceTimersByTime(60_000);
    expect(notifications.map((n) => n.title)).toEqual(['Alert 1', 'Alert 2', 'Alert 3']);
  });
});
