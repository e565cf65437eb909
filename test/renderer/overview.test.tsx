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

  it('has a clear empty state', async () => {
    await renderApp(new FakeBridge().respond('spend', () => ok(emptySpend)));
    expect(await screen.findByText('No integrations yet — add one from a template.')).toBeTruthy();
    expect(screen.getByText('No spend yet this period.')).toBeTruthy();
    expect(screen.getByText('No open alerts.')).toBeTruthy();
  });
});
