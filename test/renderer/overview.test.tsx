import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { FakeBridge, ok } from './fake-bridge.ts';
import { alert, emptySpend, spendReport } from './fixtures.ts';
import { renderApp } from './render.tsx';

describe('Overview', () => {
  it('shows spend against each cap and overall, with readable figures', async () => {
    await renderApp();
    const brave = await screen.findByRole('meter', { name: 'brave-search spend' });
    expect(brave.getAttribute('aria-valuetext')).toBe('$1.20 of $10.00');
    expect(screen.getByText('$1.20 of $10.00')).toBeTruthy();
    // No global cap: the overall bar is against the sum of the caps.
    expect(screen.getByRole('meter', { name: 'Overall spend' }).getAttribute('aria-valuetext')).toBe('$5.20 of $15.00');
    expect(screen.getByText(/no global cap is set/)).toBeTruthy();
    // 80 % of its cap: amber.
    expect(screen.getByRole('meter', { name: 'exa spend' }).className).toContain('tone-warning');
    expect(screen.getByText(/\+\$0\.25 reserved/)).toBeTruthy();
  });

  it('says when caps reset', async () => {
    await renderApp();
    const since = await screen.findByText(/caps reset on/);
    expect(since.textContent).toContain(new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', year: 'numeric' }).format(new Date(spendReport.period.resetsAt)));
  });

  it('charts daily spend for every day of the period, stacked by integration', async () => {
    await renderApp();
    const chart = await screen.findByRole('img', { name: /^Daily spend from (1 Sep|Sep 1) to (30 Sep|Sep 30): \$5\.20 in total, at most \$3\.70 a day$/ });
    expect(chart.querySelectorAll('g[data-day]')).toHaveLength(30);
    const sept2 = chart.querySelector('g[data-day="2026-09-02"]')!;
    expect([...sept2.querySelectorAll('rect')].map((r) => r.getAttribute('data-integration'))).toEqual(['brave-search', 'exa']);
    // Bars are to scale: all of them together against the tallest day ($3.70).
    const height = (rects: Iterable<Element>) => [...rects].reduce((s, r) => s + Number(r.getAttribute('height')), 0);
    expect(height(chart.querySelectorAll('rect')) / height(sept2.querySelectorAll('rect'))).toBeCloseTo(5.2 / 3.7);
    expect(within(screen.getByRole('list', { name: 'Integrations in the chart' })).getAllByRole('listitem').map((li) => li.textContent)).toEqual(['brave-search', 'exa']);
  });

  it('summarises open alerts by tier and leads to them', async () => {
    const fake = new FakeBridge().respond('alerts', () => ok([alert(1, { tier: 'critical', title: 'brave-search reached its cap' }), alert(2), alert(3, { tier: 'info' })]));
    const { user } = await renderApp(fake);
    expect(await screen.findByText('1 critical')).toBeTruthy();
    expect(screen.getByText('brave-search reached its cap')).toBeTruthy();
    expect(fake.callsOf('alerts')).toEqual([[{ open: true }]]);
    await user.click(screen.getByRole('button', { name: 'View alerts' }));
    expect(await screen.findByRole('heading', { level: 1, name: 'Alerts' })).toBeTruthy();
  });

  it('after the last integration is decommissioned, says so, and still shows what it spent this period', async () => {
    const gone = { ...spendReport.integrations[0]!, status: 'decommissioned' as const, spentUsd: 1.2, remainingUsd: 0 };
    const never = { ...spendReport.integrations[1]!, name: 'old-search', status: 'decommissioned' as const, spentUsd: 0, reservedUsd: 0 };
    const report = { ...spendReport, totalSpentUsd: 1.2, integrations: [gone, never], daily: spendReport.daily.filter((d) => d.integration === 'brave-search') };
    await renderApp(new FakeBridge().respond('spend', () => ok(report)));
    expect(await screen.findByText('No active integrations — 2 decommissioned. Add one from a template to let the assistant call again.')).toBeTruthy();
    expect(screen.queryByText(/No integrations yet/)).toBeNull();
    expect(screen.getByText(/^Spent this period:/).textContent).toBe('Spent this period: $1.20, by integrations since decommissioned.');
    const spent = screen.getByRole('list', { name: 'Spend by decommissioned integrations' });
    expect(within(spent).getAllByRole('listitem').map((li) => li.textContent)).toEqual(['brave-search decommissioned$1.20 spent']);
    expect(screen.getByRole('img', { name: /\$1\.20 in total/ })).toBeTruthy();
    expect(within(screen.getByRole('list', { name: 'Integrations in the chart' })).getAllByRole('listitem').map((li) => li.textContent)).toEqual(['brave-search']);
  });

  it('lists spend by integrations decommissioned this period beside the live ones, so the figures add up', async () => {
    const report = {
      ...spendReport,
      totalSpentUsd: 6.2,
      integrations: [...spendReport.integrations, { name: 'old-search', status: 'decommissioned' as const, spentUsd: 1, reservedUsd: 0, capUsd: 2, remainingUsd: 0 }],
    };
    await renderApp(new FakeBridge().respond('spend', () => ok(report)));
    expect((await screen.findByRole('meter', { name: 'Overall spend' })).getAttribute('aria-valuetext')).toBe('$6.20 of $15.00');
    expect(screen.queryByRole('meter', { name: 'old-search spend' })).toBeNull();
    expect(within(screen.getByRole('list', { name: 'Spend by decommissioned integrations' })).getByText('$1.00 spent')).toBeTruthy();
  });

  it('has a clear empty state', async () => {
    await renderApp(new FakeBridge().respond('spend', () => ok(emptySpend)));
    expect(await screen.findByText('No integrations yet — add one from a template.')).toBeTruthy();
    expect(screen.getByText('No spend yet this period.')).toBeTruthy();
    expect(screen.getByText('No open alerts.')).toBeTruthy();
  });
});
