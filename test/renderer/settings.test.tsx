import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { Settings } from '../../daemon/control-types.ts';
import { cancelled, done, FakeBridge, ok, refused } from './fake-bridge.ts';
import { settings } from './fixtures.ts';
import { renderApp } from './render.tsx';

const input = (label: string) => screen.getByLabelText(label) as HTMLInputElement;
/** What a control is described by (its error, then its hint), as a screen reader reads it out. */
const description = (el: Element) =>
  (el.getAttribute('aria-describedby') ?? '').split(' ').filter(Boolean).map((id) => document.getElementById(id)?.textContent).join(' ');

/** A daemon whose settings are `initial` and change only when main reports a confirmed change. */
function daemonWith(initial: Settings = settings) {
  let current = initial;
  const fake = new FakeBridge()
    .respond('settings', () => ok(current))
    .respond('updateSettings', (change) => {
      current = { ...current, ...change };
      return done(current);
    });
  return { fake, now: () => current, set: (next: Settings) => (current = next) };
}

const configured: Settings = {
  timeZone: 'Europe/Berlin',
  resetDay: 15,
  globalCapUsd: 50,
  activeHours: { start: '08:00', end: '19:00', days: [1, 2, 3, 4, 5] },
  maxRequestBytes: 2 * 1024 * 1024,
  maxResponseBytes: 10 * 1024 * 1024,
  fullSync: true,
  machineName: 'workstation',
  globalSharedBudget: null,
  upstreamTimeouts: { connectMs: 5_000, headersMs: 30_000, bodyMs: 60_000 },
};

describe('Settings', () => {
  it('shows every setting as the daemon has it', async () => {
    await renderApp(daemonWith(configured).fake, 'Settings');
    expect((await screen.findByLabelText('Time zone') as HTMLInputElement).value).toBe('Europe/Berlin');
    expect(input('Reset day').value).toBe('15');
    expect((screen.getByRole('checkbox', { name: 'Cap the spend of all integrations together' }) as HTMLInputElement).checked).toBe(true);
    expect(input('Global cap (USD)').value).toBe('50');
    expect((screen.getByRole('checkbox', { name: 'Warn about calls outside active hours' }) as HTMLInputElement).checked).toBe(true);
    expect(input('From').value).toBe('08:00');
    expect(input('Until').value).toBe('19:00');
    const days = within(screen.getByRole('group', { name: 'Days' })).getAllByRole('checkbox') as HTMLInputElement[];
    expect(days.filter((d) => d.checked).map((d) => d.labels?.[0]?.textContent)).toEqual(['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday']);
    expect(input('Largest request body (bytes)').value).toBe('2097152');
    expect(description(input('Largest request body (bytes)'))).toContain('Now 2.0 MB.');
    expect(input('Largest response body (bytes)').value).toBe('10485760');
    expect(input('Connect (ms)').value).toBe('5000');
    expect(input('Response headers (ms)').value).toBe('30000');
    expect(input('Response body (ms)').value).toBe('60000');
    expect((screen.getByRole('checkbox', { name: 'Write every record to disk before going on' }) as HTMLInputElement).checked).toBe(true);
    // Nothing to save until something differs.
    expect((screen.getByRole('button', { name: 'Save changes' }) as HTMLButtonElement).disabled).toBe(true);
  });

  it('sends only what changed, through the confirmed call, and then shows the saved values', async () => {
    const daemon = daemonWith();
    const { fake, user } = await renderApp(daemon.fake, 'Settings');
    await user.clear(await screen.findByLabelText('Time zone'));
    await user.type(input('Time zone'), 'Europe/Berlin');
    await user.click(screen.getByRole('checkbox', { name: 'Cap the spend of all integrations together' }));
    await user.type(input('Global cap (USD)'), '25');
    await user.click(screen.getByRole('checkbox', { name: 'Write every record to disk before going on' }));
    expect(screen.getByText('Changed: time zone, global cap, durability')).toBeTruthy();
    await user.click(screen.getByRole('button', { name: 'Save changes' }));

    expect(fake.callsOf('updateSettings')).toEqual([[{ timeZone: 'Europe/Berlin', globalCapUsd: 25, fullSync: true }]]);
    expect((await screen.findByRole('status')).textContent).toBe('Saved: time zone, global cap, durability.');
    expect(daemon.now()).toMatchObject({ timeZone: 'Europe/Berlin', globalCapUsd: 25, fullSync: true });
    expect(input('Global cap (USD)').value).toBe('25');
    expect((screen.getByRole('button', { name: 'Save changes' }) as HTMLButtonElement).disabled).toBe(true);
  });

  it('removing the global cap and changing limits sends each whole setting', async () => {
    const { fake, user } = await renderApp(daemonWith(configured).fake, 'Settings');
    await user.click(await screen.findByRole('checkbox', { name: 'Cap the spend of all integrations together' }));
    expect(screen.queryByLabelText('Global cap (USD)')).toBeNull();
    await user.clear(input('Connect (ms)'));
    await user.type(input('Connect (ms)'), '2000');
    await user.click(within(screen.getByRole('group', { name: 'Days' })).getByRole('checkbox', { name: 'Saturday' }));
    await user.click(within(screen.getByRole('group', { name: 'Days' })).getByRole('checkbox', { name: 'Monday' }));
    await user.click(screen.getByRole('button', { name: 'Save changes' }));
    expect(fake.callsOf('updateSettings')).toEqual([[{
      globalCapUsd: null,
      activeHours: { start: '08:00', end: '19:00', days: [2, 3, 4, 5, 6] },
      upstreamTimeouts: { connectMs: 2000, headersMs: 30_000, bodyMs: 60_000 },
    }]]);
  });

  it('turning active hours on starts from office hours', async () => {
    const { fake, user } = await renderApp(daemonWith().fake, 'Settings');
    expect(screen.queryByLabelText('From')).toBeNull();
    await user.click(await screen.findByRole('checkbox', { name: 'Warn about calls outside active hours' }));
    await user.clear(input('Until'));
    await user.type(input('Until'), '18:30');
    await user.click(screen.getByRole('button', { name: 'Save changes' }));
    expect(fake.callsOf('updateSettings')).toEqual([[{ activeHours: { start: '09:00', end: '18:30', days: [1, 2, 3, 4, 5] } }]]);
  });

  it('a cancelled confirmation changes nothing and keeps every edit', async () => {
    const daemon = daemonWith();
    daemon.fake.respond('updateSettings', () => cancelled());
    const { fake, user } = await renderApp(daemon.fake, 'Settings');
    await user.clear(await screen.findByLabelText('Reset day'));
    await user.type(input('Reset day'), '10');
    await user.click(screen.getByRole('button', { name: 'Save changes' }));
    expect((await screen.findByRole('status')).textContent).toBe('Cancelled — nothing changed');
    expect(fake.callsOf('updateSettings')).toEqual([[{ resetDay: 10 }]]);
    expect(input('Reset day').value).toBe('10');
    expect((screen.getByRole('button', { name: 'Save changes' }) as HTMLButtonElement).disabled).toBe(false);
  });

  it('shows the daemon’s refusal beside each field it names, and keeps the edits', async () => {
    const daemon = daemonWith();
    daemon.fake.respond('updateSettings', () =>
      refused('invalid', 'timeZone: must be an IANA time zone such as Europe/Berlin; resetDay: Too big: expected number to be <=28'));
    const { user } = await renderApp(daemon.fake, 'Settings');
    await user.clear(await screen.findByLabelText('Time zone'));
    await user.type(input('Time zone'), 'Mars/Olympus');
    await user.clear(input('Reset day'));
    await user.type(input('Reset day'), '31');
    await user.click(screen.getByRole('button', { name: 'Save changes' }));

    expect((await screen.findByRole('alert')).textContent).toBe('Not saved; your edits are kept. The daemon said: timeZone: must be an IANA time zone such as Europe/Berlin; resetDay: Too big: expected number to be <=28');
    expect(input('Time zone').getAttribute('aria-invalid')).toBe('true');
    expect(description(input('Time zone'))).toMatch(/^must be an IANA time zone such as Europe\/Berlin /);
    expect(description(input('Reset day'))).toMatch(/^Too big: expected number to be <=28 /);
    expect(input('Connect (ms)').getAttribute('aria-invalid')).toBeNull();
    expect(input('Time zone').value).toBe('Mars/Olympus');
    expect(input('Reset day').value).toBe('31');
    expect(daemon.now()).toEqual(settings);
  });

  it('a number it cannot read stops at the form (a blank global cap is not "no cap")', async () => {
    const { fake, user } = await renderApp(daemonWith().fake, 'Settings');
    await user.click(await screen.findByRole('checkbox', { name: 'Cap the spend of all integrations together' }));
    expect(description(input('Global cap (USD)'))).toBe('Enter a number.');
    expect((screen.getByRole('button', { name: 'Save changes' }) as HTMLButtonElement).disabled).toBe(true);
    await user.type(input('Global cap (USD)'), '40');
    await user.click(screen.getByRole('button', { name: 'Save changes' }));
    expect(fake.callsOf('updateSettings')).toEqual([[{ globalCapUsd: 40 }]]);
  });

  it('keeps the operator’s edits while showing a change made meanwhile elsewhere', async () => {
    const daemon = daemonWith();
    const { user } = await renderApp(daemon.fake, 'Settings');
    await user.clear(await screen.findByLabelText('Reset day'));
    await user.type(input('Reset day'), '5');
    daemon.set({ ...settings, timeZone: 'America/New_York', resetDay: 20 });
    daemon.fake.emit({ type: 'changed', what: 'spend' });
    await screen.findByDisplayValue('America/New_York');
    expect(input('Reset day').value).toBe('5');
    await user.click(screen.getByRole('button', { name: 'Discard changes' }));
    expect(input('Reset day').value).toBe('20');
  });
});
