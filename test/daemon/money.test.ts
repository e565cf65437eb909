// One way to write dollars (issue 12): the formatter, and the places that show money — the CLI,
// the tray, the window, the daemon's alerts, the sandbox's last line — all reading the same.
import { describe, expect, it } from 'vitest';
import { crossedThreshold } from '../../daemon/alerts/thresholds.ts';
import { describeTokenPrices } from '../../daemon/client/prices-text.ts';
import { table, usd as cliUsd } from '../../daemon/cli/format.ts';
import type { SpendReport } from '../../daemon/control-types.ts';
import { usd, usdOfMicros } from '../../daemon/money.ts';
import { machineZone } from '../../daemon/time-text.ts';
import { trayModel } from '../../electron/tray-state.ts';
import { usd as windowUsd, usdOf } from '../../renderer/format.ts';

describe('usd', () => {
  it('writes cents, and the digits below a cent only where the amount has them', () => {
    expect(usd(12.34)).toBe('$12.34');
    expect(usd(10)).toBe('$10.00');
    expect(usd(0)).toBe('$0.00');
    expect(usd(0.0051)).toBe('$0.0051');
    expect(usd(0.005)).toBe('$0.005');
    expect(usd(0.015)).toBe('$0.015');
    expect(usd(0.000001)).toBe('$0.000001');
    expect(usd(14.283917)).toBe('$14.283917');
  });

  it('groups thousands, keeps per-token prices below the micro-dollar, and hides float noise', () => {
    expect(usd(1234.5)).toBe('$1,234.50');
    expect(usd(1_000_000)).toBe('$1,000,000.00');
    expect(usd(0.00000015)).toBe('$0.00000015');
    expect(usd(0.1 + 0.2)).toBe('$0.30');
    expect(usd(1.2 + 7.99)).toBe('$9.19');
    expect(usd(-3)).toBe('-$3.00');
  });

  it('reads micro-dollars the same', () => {
    expect(usdOfMicros(5000)).toBe('$0.005');
    expect(usdOfMicros(12_340_000)).toBe('$12.34');
  });
});

describe('every place that shows money uses it', () => {
  const spent = 0.015;
  const cap = 10;
  const report: SpendReport = {
    period: { id: '2026-12-01', startsAt: '2026-12-01T00:00:00.000Z', resetsAt: '2027-01-01T00:00:00.000Z', timeZone: machineZone() },
    globalCapUsd: null,
    totalSpentUsd: spent,
    integrations: [{ name: 'search', status: 'active', spentUsd: spent, reservedUsd: 0, capUsd: cap, remainingUsd: cap - spent }],
    daily: [],
    periods: [],
  };

  it('the CLI, the tray, the window and the alerts write $0.015 of $10.00 alike', () => {
    expect(cliUsd).toBe(usd);
    expect(windowUsd).toBe(usd);
    const cli = table(['INTEGRATION', 'SPENT', 'CAP'], [['search', cliUsd(spent), cliUsd(cap)]], [1, 2]);
    expect(cli.split('\n')[1]).toBe('search       $0.015  $10.00');
    const tray = trayModel({ running: true, spend: report, integrations: [], openAlerts: [] });
    expect(tray.menu).toContainEqual({ kind: 'label', text: 'search: $0.015 / $10.00' });
    expect(tray.tooltip).toBe('Tollgate: all well ($0.015 this period)');
    expect(usdOf(spent, cap)).toBe('$0.015 of $10.00');
    const alert = crossedThreshold('search', 0, 5_000_000, 10_000_000, '2026-12-01', Date.parse('2027-01-01T00:00:00Z'), 'UTC');
    expect(alert?.message).toMatch(/^\$5\.00 of \$10\.00 spent this period by search\./);
  });

  it("a model's prices read as any other amount", () => {
    const lines = describeTokenPrices({ format: 'anthropic', models: { 'claude-sonnet-4-5': { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 } } });
    expect(lines[1]).toBe('claude-sonnet-4-5: $3.00 input, $15.00 output, $0.30 cache read, $3.75 cache write');
  });
});
