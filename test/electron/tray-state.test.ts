import { describe, expect, it } from 'vitest';
import type { Alert, IntegrationView, SessionView, SpendReport } from '../../daemon/control-types.ts';
import { zoneSuffix } from '../../daemon/time-text.ts';
import { type TrayInput, trayModel } from '../../electron/tray-state.ts';

type Row = SpendReport['integrations'][number];

function spend(rows: Partial<Row>[], globalCapUsd: number | null = null): SpendReport {
  const integrations = rows.map((r, i) => ({ name: `i${i}`, status: 'active' as const, spentUsd: 0, reservedUsd: 0, capUsd: 10, remainingUsd: 10, ...r }));
  return {
    period: { id: '2026-11', startsAt: '2026-11-01T00:00:00.000Z', resetsAt: '2026-12-01T00:00:00.000Z', timeZone: 'UTC' },
    globalCapUsd,
    totalSpentUsd: integrations.reduce((s, i) => s + i.spentUsd, 0),
    integrations,
    daily: [],
    periods: [],
  };
}

const view = (name: string, status: IntegrationView['status'], statusReason: string | null = null) => ({ name, status, statusReason }) as IntegrationView;

const alert = (id: number, tier: Alert['tier']): Alert => ({
  id, tier, kind: 'test', dedupeKey: `k${id}`, integration: null, title: `alert ${id}`, message: 'm', count: 1, firstAt: 0, lastAt: 0, ackedAt: null,
});

const running = (s: SpendReport, integrations: IntegrationView[] = [], openAlerts: Alert[] = []): TrayInput => ({ running: true, spend: s, integrations, openAlerts });

describe('the tray state', () => {
  it('is ok with nothing open and every integration under 80 % of its cap', () => {
    const m = trayModel(running(spend([{ name: 'brave-search', spentUsd: 1.2 }, { name: 'exa', spentUsd: 7.99 }]), [], [alert(1, 'info')]));
    expect(m.state).toBe('ok');
    expect(m.tooltip).toBe('Tollgate: all well ($9.19 this period)');
  });

  it('is a warning at 80 % of a cap, or with an open warning', () => {
    const near = trayModel(running(spend([{ name: 'brave-search', spentUsd: 8 }])));
    expect(near.state).toBe('warning');
    expect(near.tooltip).toContain('near the cap: brave-search');
    const warned = trayModel(running(spend([{ spentUsd: 1 }]), [], [alert(1, 'warning'), alert(2, 'warning')]));
    expect(warned.state).toBe('warning');
    expect(warned.tooltip).toContain('2 warnings');
  });

  it('is critical with an open critical alert, whatever else is open', () => {
    const m = trayModel(running(spend([{ spentUsd: 9 }]), [], [alert(1, 'warning'), alert(2, 'critical')]));
    expect(m.state).toBe('critical');
    expect(m.tooltip).toMatch(/^Tollgate: 1 critical alert; 1 warning; near the cap: i0/);
  });

  it('is critical while an integration is suspended because its key was rejected, even after the alert was acknowledged', () => {
    const s = spend([{ name: 'exa', status: 'suspended' }]);
    expect(trayModel(running(s, [view('exa', 'suspended', 'the provider rejected its key (HTTP 401)')])).state).toBe('critical');
    // Suspended by the operator is a decision, not a fault.
    expect(trayModel(running(s, [view('exa', 'suspended', 'suspended by the operator')])).state).toBe('ok');
  });

  it('lists this period’s spend against each cap, then the actions', () => {
    const m = trayModel(running(spend([
      { name: 'brave-search', spentUsd: 1.2, capUsd: 10 },
      { name: 'exa', status: 'suspended', spentUsd: 0, capUsd: 5 },
      { name: 'old', status: 'decommissioned', spentUsd: 3, capUsd: 5 },
    ], 20)));
    expect(m.menu).toEqual([
      { kind: 'label', text: `This period (resets 2026-12-01${zoneSuffix('UTC')})` },
      { kind: 'label', text: 'brave-search: $1.20 / $10.00' },
      { kind: 'label', text: 'exa: $0.00 / $5.00 (suspended)' },
      { kind: 'label', text: 'All: $4.20 / $20.00' },
      { kind: 'separator' },
      { kind: 'action', action: 'open', text: 'Open Tollgate', enabled: true },
      { kind: 'action', action: 'suspend_all', text: 'Suspend all', enabled: true },
      { kind: 'separator' },
      { kind: 'action', action: 'quit', text: 'Quit', enabled: true },
    ]);
  });

  it("names the reset day in the daemon's time zone, and amounts below a cent as they are", () => {
    const s = spend([{ name: 'search', spentUsd: 0.005 }]);
    const berlin = { ...s, period: { ...s.period, resetsAt: '2026-11-30T23:00:00.000Z', timeZone: 'Europe/Berlin' } };
    const m = trayModel(running(berlin));
    expect(m.menu.slice(0, 2)).toEqual([
      { kind: 'label', text: `This period (resets 2026-12-01${zoneSuffix('Europe/Berlin')})` },
      { kind: 'label', text: 'search: $0.005 / $10.00' },
    ]);
    expect(m.tooltip).toBe('Tollgate: all well ($0.005 this period)');
  });

  it('lists the sessions running now, each with its spend against its budget where it has one', () => {
    const session = (purpose: string, over: Partial<SessionView>): SessionView => ({
      id: purpose, socket: '', purpose, budgetUsd: null, integrations: null, owner: null, status: 'running', startedAt: '', startedBy: '',
      endedAt: null, endReason: null, spentUsd: 0, reservedUsd: 0, remainingUsd: null, calls: 0, ...over,
    });
    const m = trayModel({
      running: true, spend: spend([{ name: 'brave-search', spentUsd: 1.2, capUsd: 10 }]), integrations: [], openAlerts: [],
      sessions: [
        session('Literature review', { budgetUsd: 5, spentUsd: 1.25 }),
        session('A purpose long enough to be cut short in the tray menu', { spentUsd: 0.5 }),
        session('Done', { status: 'ended' }),
      ],
    });
    expect(m.menu.slice(1, 6)).toEqual([
      { kind: 'label', text: 'brave-search: $1.20 / $10.00' },
      { kind: 'separator' },
      { kind: 'label', text: 'Sessions running (2)' },
      { kind: 'label', text: 'Literature review: $1.25 / $5.00' },
      { kind: 'label', text: 'A purpose long enough to be cut short i…: $0.50' },
    ]);
    expect(m.menu[6]).toEqual({ kind: 'separator' });
  });

  it('offers "Suspend all" only when something is active', () => {
    const m = trayModel(running(spend([{ name: 'exa', status: 'suspended' }])));
    expect(m.menu.find((e) => e.kind === 'action' && e.action === 'suspend_all')).toMatchObject({ enabled: false });
    expect(trayModel(running(spend([]))).menu[1]).toEqual({ kind: 'label', text: 'No integrations yet' });
  });

  it('says when the daemon is not running', () => {
    const m = trayModel({ running: false });
    expect(m.state).toBe('warning');
    expect(m.tooltip).toBe('Tollgate: the daemon is not running');
    expect(m.menu[0]).toEqual({ kind: 'label', text: 'The daemon is not running' });
    expect(m.menu.filter((e) => e.kind === 'action').map((e) => e.kind === 'action' && [e.action, e.enabled])).toEqual([['open', true], ['suspend_all', false], ['quit', true]]);
  });
});
