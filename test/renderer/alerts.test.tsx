import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { FakeBridge, ok } from './fake-bridge.ts';
import { alert } from './fixtures.ts';
import { renderApp } from './render.tsx';

const alerts = [
  alert(1, { tier: 'critical', title: 'brave-search reached its cap' }),
  alert(2, { tier: 'warning', title: 'Repeated request to exa' }),
  alert(3, { tier: 'info', title: 'Half of the cap used', ackedAt: Date.UTC(2026, 8, 3, 13) }),
];

describe('Alerts', () => {
  it('groups alerts by tier', async () => {
    await renderApp(new FakeBridge().respond('alerts', () => ok(alerts)), 'Alerts');
    const critical = await screen.findByRole('region', { name: 'Critical' });
    expect(within(critical).getByRole('article', { name: 'brave-search reached its cap' })).toBeTruthy();
    expect(within(screen.getByRole('region', { name: 'Warning' })).getByRole('article', { name: 'Repeated request to exa' })).toBeTruthy();
    const info = within(screen.getByRole('region', { name: 'Info' })).getByRole('article', { name: 'Half of the cap used' });
    expect(within(info).queryByRole('button', { name: 'Acknowledge' })).toBeNull();
    expect(within(info).getByText(/^Acknowledged/)).toBeTruthy();
  });

  it('acknowledges an alert', async () => {
    const fake = new FakeBridge().respond('alerts', () => ok(alerts));
    const { user } = await renderApp(fake, 'Alerts');
    const critical = await screen.findByRole('article', { name: 'brave-search reached its cap' });
    await user.click(within(critical).getByRole('button', { name: 'Acknowledge' }));
    expect(fake.callsOf('ackAlert')).toEqual([[1]]);
    expect((await screen.findByRole('status')).textContent).toBe('Acknowledged: Alert 1.');
  });

  it('acknowledges the open alerts shown in a tier at once', async () => {
    const fake = new FakeBridge().respond('alerts', () => ok([
      ...alerts,
      alert(4, { tier: 'warning', title: 'Burst of calls to exa' }),
      alert(5, { tier: 'warning', title: 'exa used outside active hours', ackedAt: Date.UTC(2026, 8, 3, 13) }),
    ]));
    const { user } = await renderApp(fake, 'Alerts');
    const warnings = await screen.findByRole('region', { name: 'Warning' });
    // One open critical alert has its own button; "all" is for more than one.
    expect(within(screen.getByRole('region', { name: 'Critical' })).queryByRole('button', { name: /^Acknowledge all/ })).toBeNull();
    await user.click(within(warnings).getByRole('button', { name: 'Acknowledge all 2' }));
    expect(fake.callsOf('ackAlerts')).toEqual([[{ ids: [2, 4] }]]);
    expect((await screen.findByRole('status')).textContent).toBe('Acknowledged 2 alerts.');
  });

  it('has an empty state', async () => {
    await renderApp(undefined, 'Alerts');
    expect(await screen.findByText(/^No alerts\./)).toBeTruthy();
  });

  it('a clicked notification (show_alert) opens Alerts on that alert', async () => {
    const fake = new FakeBridge().respond('alerts', () => ok(alerts));
    await renderApp(fake);
    await screen.findByRole('heading', { level: 1, name: 'Overview' });
    fake.emit({ type: 'show_alert', id: 2 });
    const shown = await screen.findByRole('article', { name: 'Repeated request to exa' });
    expect(screen.getByRole('link', { name: 'Alerts' }).getAttribute('aria-current')).toBe('page');
    expect(shown.getAttribute('aria-current')).toBe('true');
    expect(shown.className).toContain('highlighted');
    await waitFor(() => expect(document.activeElement).toBe(shown));
    expect(screen.getByRole('article', { name: 'brave-search reached its cap' }).getAttribute('aria-current')).toBeNull();
  });
});
