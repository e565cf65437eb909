// Every date the window shows is read in the daemon's time zone (settings.timeZone, the zone its
// periods are read in), named when it is not this machine's: in another zone the day can differ.
import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { SpendReport } from '../../daemon/control-types.ts';
import { FakeBridge, ok } from './fake-bridge.ts';
import { alert, integration, raiseCapProposal, settings, spendReport } from './fixtures.ts';
import { renderApp } from './render.tsx';

const here = Intl.DateTimeFormat().resolvedOptions().timeZone;
// A zone ahead of UTC, whose midnight falls on the day before in UTC; not this machine's.
const [away, offsetHours] = here === 'Asia/Tokyo' ? ['Pacific/Kiritimati', 14] : ['Asia/Tokyo', 9];
const midnight = (y: number, m: number, d: number) => Date.UTC(y, m - 1, d) - offsetHours * 3_600_000;
const spend: SpendReport = {
  ...spendReport,
  period: { id: '2026-09-01', startsAt: new Date(midnight(2026, 9, 1)).toISOString(), resetsAt: new Date(midnight(2026, 10, 1)).toISOString(), timeZone: away },
};
const date = (at: number | string) => `${new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', year: 'numeric', timeZone: away }).format(new Date(at))} ${away}`;
const dateTime = (at: number) => `${new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', second: '2-digit', timeZone: away }).format(at)} ${away}`;
const daemonAway = () => new FakeBridge().respond('spend', () => ok(spend)).respond('settings', () => ok({ ...settings, timeZone: away }));

describe("dates in the daemon's time zone", () => {
  it('Overview: the period starts and caps reset on the days of that zone', async () => {
    await renderApp(daemonAway());
    const since = await screen.findByText(/caps reset on/);
    expect(since.textContent).toBe(`Since ${date(spend.period.startsAt)}; caps reset on ${date(spend.period.resetsAt)}.`);
    // The first of the month there; in UTC it is still the last day of the one before.
    expect(new Date(spend.period.resetsAt).getUTCDate()).toBe(30);
  });

  it('Alerts: when each was seen and acknowledged', async () => {
    const [first, last, acked] = [Date.UTC(2026, 8, 3, 20), Date.UTC(2026, 8, 3, 23, 30), Date.UTC(2026, 8, 4, 1)];
    await renderApp(daemonAway().respond('alerts', () => ok([alert(1, { count: 2, firstAt: first, lastAt: last, ackedAt: acked })])), 'Alerts');
    const item = await screen.findByRole('article', { name: 'Alert 1' });
    expect(await within(item).findByText(`brave-search · 2 times, first ${dateTime(first)}, last ${dateTime(last)}`)).toBeTruthy();
    expect(within(item).getByText(`Acknowledged ${dateTime(acked)}`)).toBeTruthy();
  });

  it('Proposals: when each was asked and decided', async () => {
    const decided = { ...raiseCapProposal, id: 'a1', status: 'rejected' as const, decidedAt: Date.UTC(2026, 8, 4, 22), decidedBy: 'operator' };
    await renderApp(daemonAway().respond('proposals', () => ok([raiseCapProposal, decided])), 'Proposals');
    const [pending] = await screen.findAllByRole('article', { name: 'Raise the cap of brave-search to $20.00' });
    expect(within(pending!).getByText(`Asked ${dateTime(raiseCapProposal.createdAt)}`)).toBeTruthy();
    expect(screen.getByText(`Rejected ${dateTime(decided.decidedAt)} by operator`)).toBeTruthy();
  });

  it('Integrations: when a key was set, and when one was decommissioned', async () => {
    const keySetAt = '2026-09-02T20:00:00.000Z';
    const decommissionedAt = '2026-09-05T22:00:00.000Z';
    await renderApp(daemonAway().respond('integrations', () => ok([
      integration('brave-search', { keySetAt }),
      integration('old-search', { status: 'decommissioned', keySet: false, keySetAt: null, decommissionedAt }),
    ])), 'Integrations');
    const card = await screen.findByRole('article', { name: 'brave-search' });
    expect(within(card).getByText(`Set on ${date(keySetAt)}`)).toBeTruthy();
    expect(screen.getByText(`— ${date(decommissionedAt)}`)).toBeTruthy();
  });
});
