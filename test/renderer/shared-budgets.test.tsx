// Shared budgets in the window (issue 13): the Overview shows each budget shared with other
// machines (cap, the fleet's spend, each machine's part) from GET /v1/ledger, and says when the
// ledger is away without hiding this machine's spend; Settings edits machineName and globalSharedBudget.
import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { Settings } from '../../daemon/control-types.ts';
import { done, FakeBridge, ok } from './fake-bridge.ts';
import { ledger, noLedger, settings } from './fixtures.ts';
import { renderApp } from './render.tsx';

describe('Overview: shared budgets', () => {
  it("shows each shared budget's cap, the fleet's spend and each machine's part", async () => {
    await renderApp(new FakeBridge().respond('ledger', () => ok(ledger)));
    const meter = await screen.findByRole('meter', { name: 'shared budget team spend' });
    expect(meter.getAttribute('aria-valuetext')).toBe('$12.50 of $50.00');
    expect(within(screen.getByRole('list', { name: 'Shared budgets' })).getByText(/\+\$0\.25 reserved by calls in flight/)).toBeTruthy();
    const machines = screen.getByRole('list', { name: 'Spend on team by machine' });
    expect(within(machines).getAllByRole('listitem').map((li) => li.textContent)).toEqual([
      'laptop (this machine): $10.00 in 40 calls',
      'server: $2.50 in 1 call',
    ]);
    expect(screen.getByText(/Reservations of other machines still open/).textContent).toContain('server 2 ($0.25)');
    // This machine's own spend is still there.
    expect(screen.getByRole('meter', { name: 'brave-search spend' })).toBeTruthy();
  });

  it('shows nothing of it when no shared ledger is set up', async () => {
    const fake = new FakeBridge().respond('ledger', () => ok(noLedger));
    await renderApp(fake);
    await screen.findByRole('meter', { name: 'brave-search spend' });
    expect(fake.callsOf('ledger')).toHaveLength(1);
    expect(screen.queryByRole('heading', { name: 'Shared budgets' })).toBeNull();
  });

  it('says when the ledger cannot be reached, and the rest of the Overview stays', async () => {
    await renderApp(new FakeBridge().respond('ledger', () => ok({ ...ledger, reachable: false, error: 'connect ECONNREFUSED', budgets: [] })));
    expect((await screen.findByText(/cannot be reached/)).textContent).toContain('connect ECONNREFUSED');
    expect(screen.getByRole('meter', { name: 'brave-search spend' })).toBeTruthy();
  });
});

describe('Settings: this machine in the shared ledger', () => {
  function daemonWith(initial: Settings) {
    let current = initial;
    return new FakeBridge()
      .respond('settings', () => ok(current))
      .respond('updateSettings', (change) => done((current = { ...current, ...change })));
  }
  const input = (label: string) => screen.getByLabelText(label) as HTMLInputElement;

  it('shows the machine name and the shared global budget, and changes them', async () => {
    const { fake, user } = await renderApp(daemonWith({ ...settings, globalSharedBudget: 'fleet' }), 'Settings');
    expect((await screen.findByLabelText('Machine name') as HTMLInputElement).value).toBe('laptop');
    expect(input('Shared global budget').value).toBe('fleet');
    await user.clear(input('Machine name'));
    await user.type(input('Machine name'), 'workstation');
    await user.clear(input('Shared global budget'));
    expect(screen.getByText('Changed: machine name, shared global budget')).toBeTruthy();
    await user.click(screen.getByRole('button', { name: 'Save changes' }));
    // Empty: none (null), as the daemon reads it.
    expect(fake.callsOf('updateSettings')).toEqual([[{ machineName: 'workstation', globalSharedBudget: null }]]);
  });

  it('a shared global budget where there was none', async () => {
    const { fake, user } = await renderApp(daemonWith(settings), 'Settings');
    expect((await screen.findByLabelText('Shared global budget') as HTMLInputElement).value).toBe('');
    await user.type(input('Shared global budget'), 'fleet');
    await user.click(screen.getByRole('button', { name: 'Save changes' }));
    expect(fake.callsOf('updateSettings')).toEqual([[{ globalSharedBudget: 'fleet' }]]);
  });
});
