import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Alert } from '../../daemon/control-types.ts';
import { AlertNotifier } from '../../electron/notifications.ts';
import * as electron from './fake-electron.ts';

vi.mock('electron', () => import('./fake-electron.ts'));

const alert = (id: number, tier: Alert['tier'], title = `alert ${id}`): Alert => ({
  id, tier, kind: 'test', dedupeKey: `k${id}`, integration: 'exa', title, message: `what to do about ${id}`, count: 1, firstAt: 0, lastAt: 0, ackedAt: null,
});

const popped = () => electron.Notification.instances.filter((n) => n.shown);

beforeEach(() => {
  electron.reset();
  vi.useFakeTimers();
});
afterEach(() => vi.useRealTimers());

describe('notifications by tier', () => {
  it('never pops up an info alert', () => {
    new AlertNotifier({ onClick: () => {} }).alert(alert(1, 'info'));
    expect(electron.Notification.instances).toEqual([]);
  });

  it('pops up a warning that goes away by itself', () => {
    new AlertNotifier({ onClick: () => {} }).alert(alert(1, 'warning', '80 % of the spend cap: exa'));
    expect(popped().map((n) => n.options)).toEqual([{ title: '80 % of the spend cap: exa', body: 'what to do about 1', urgency: 'normal', timeoutType: 'default' }]);
  });

  it('keeps a critical one on screen until its alert is acknowledged', () => {
    const notifier = new AlertNotifier({ onClick: () => {} });
    notifier.alert(alert(7, 'critical', 'Key rejected: exa'));
    const [n] = popped();
    expect(n!.options).toMatchObject({ title: 'Key rejected: exa', urgency: 'critical', timeoutType: 'never' });
    vi.advanceTimersByTime(24 * 3600_000);
    notifier.acked(6);
    expect(n!.closed).toBe(false);
    notifier.acked(7);
    expect(n!.closed).toBe(true);
  });

  it('opens the window on the alert that was clicked', () => {
    const onClick = vi.fn();
    const notifier = new AlertNotifier({ onClick });
    notifier.alert(alert(3, 'warning'));
    notifier.alert(alert(4, 'critical'));
    popped()[1]!.emit('click');
    popped()[0]!.emit('click');
    expect(onClick.mock.calls).toEqual([[4], [3]]);
  });
});

describe('a burst of alerts', () => {
  it('pops up three a minute and folds the rest into one "N more alerts", critical if any of them is', () => {
    const onClick = vi.fn();
    const notifier = new AlertNotifier({ onClick });
    for (let id = 1; id <= 8; id++) notifier.alert(alert(id, id === 6 ? 'critical' : 'warning'));
    expect(popped().map((n) => n.options.title)).toEqual(['alert 1', 'alert 2', 'alert 3']);

    notifier.acked(8); // acknowledged in the window meanwhile: no longer news
    vi.advanceTimersByTime(59_999);
    expect(popped()).toHaveLength(3);
    vi.advanceTimersByTime(1);
    const summary = popped()[3]!;
    expect(summary.options).toEqual({
      title: '4 more alerts',
      body: 'alert 4; alert 5; alert 6 and 1 more. Open Tollgate to review them.',
      urgency: 'critical',
      timeoutType: 'never',
    });
    summary.emit('click');
    expect(onClick).toHaveBeenCalledWith(6);
    // It stands for the critical alert among them, and goes when that one is acknowledged.
    notifier.acked(4);
    expect(summary.closed).toBe(false);
    notifier.acked(6);
    expect(summary.closed).toBe(true);
  });

  it('shows a lone held alert as itself, and pops up again normally once the minute has passed', () => {
    const notifier = new AlertNotifier({ onClick: () => {} });
    for (let id = 1; id <= 4; id++) notifier.alert(alert(id, 'warning'));
    vi.advanceTimersByTime(60_000);
    expect(popped().map((n) => n.options.title)).toEqual(['alert 1', 'alert 2', 'alert 3', 'alert 4']);
    vi.advanceTimersByTime(60_000);
    notifier.alert(alert(5, 'warning'));
    notifier.alert(alert(6, 'warning'));
    expect(popped().map((n) => n.options.title).slice(4)).toEqual(['alert 5', 'alert 6']);
  });

  it('folds nothing when everything held was acknowledged', () => {
    const notifier = new AlertNotifier({ onClick: () => {} });
    for (let id = 1; id <= 5; id++) notifier.alert(alert(id, 'warning'));
    notifier.acked(4);
    notifier.acked(5);
    vi.advanceTimersByTime(60_000);
    expect(popped()).toHaveLength(3);
  });
});
