import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { cancelled, FakeBridge, ok } from './fake-bridge.ts';
import { session } from './fixtures.ts';
import { renderApp } from './render.tsx';

const running = session('0a1b2c3d4e5f6a7b');
const unbudgeted = session('1111222233334444', { purpose: 'Daily digest', budgetUsd: null, remainingUsd: null, integrations: null, spentUsd: 0.02, reservedUsd: 0.005, calls: 4 });
const ended = session('9f8e7d6c5b4a3921', {
  purpose: 'Yesterday\'s run', status: 'ended', endedAt: '2026-09-04T18:00:00.000Z', endReason: 'its owner process 4242 exited', spentUsd: 0.4, calls: 80,
});
const withSessions = () => new FakeBridge().respond('sessions', () => ok([running, unbudgeted, ended]));

describe('Sessions', () => {
  it('shows the running sessions with purpose, budget, spend, calls and start, and the recent ones', async () => {
    await renderApp(withSessions(), 'Sessions');
    const runningList = within(await screen.findByRole('region', { name: 'Running' }));
    const card = runningList.getByRole('article', { name: 'Literature review for the grant proposal' });
    const facts = within(card);
    expect(facts.getByText('$5.00')).toBeTruthy();
    expect(facts.getByText('$1.25')).toBeTruthy();
    expect(facts.getByText('250')).toBeTruthy();
    expect(facts.getByText('brave-search')).toBeTruthy();
    expect(facts.getByText('/run/tollgate/sessions/0a1b2c3d4e5f6a7b.sock')).toBeTruthy();
    expect(facts.getByRole('meter', { name: 'Session 0a1b2c3d4e5f6a7b spend' }).getAttribute('aria-valuetext')).toBe('$1.25 of $5.00');

    const digest = within(runningList.getByRole('article', { name: 'Daily digest' }));
    expect(digest.getByText('None of its own: the caps hold')).toBeTruthy();
    expect(digest.getByText('Every approved one')).toBeTruthy();
    expect(digest.getByText(/\+\$0\.005 reserved by calls in flight/)).toBeTruthy();
    expect(digest.queryByRole('meter')).toBeNull();

    const recent = within(screen.getByRole('region', { name: 'Recent' }));
    const old = within(recent.getByRole('article', { name: 'Yesterday\'s run' }));
    expect(old.getByText(/its owner process 4242 exited/)).toBeTruthy();
    expect(old.queryByRole('button', { name: 'Stop' })).toBeNull();
  });

  it('stops one: main confirms, then the page says what it spent', async () => {
    const { fake, user } = await renderApp(withSessions(), 'Sessions');
    const card = await screen.findByRole('article', { name: 'Literature review for the grant proposal' });
    await user.click(within(card).getByRole('button', { name: 'Stop' }));
    expect(fake.callsOf('stopSession')).toEqual([['0a1b2c3d4e5f6a7b']]);
    expect((await screen.findByRole('status')).textContent).toBe('Stopped: Literature review for the grant proposal. It spent $1.25 in 250 calls.');
  });

  it('a stop cancelled in main\'s dialog changes nothing', async () => {
    const fake = withSessions().respond('stopSession', () => cancelled());
    const { user } = await renderApp(fake, 'Sessions');
    await user.click(within(await screen.findByRole('article', { name: 'Daily digest' })).getByRole('button', { name: 'Stop' }));
    expect((await screen.findByRole('status')).textContent).toBe('Cancelled — nothing changed');
  });

  it('reloads when main reports that sessions changed (their spend is live)', async () => {
    let spent = 1.25;
    const fake = new FakeBridge().respond('sessions', () => ok([{ ...running, spentUsd: spent }]));
    await renderApp(fake, 'Sessions');
    await screen.findByText('$1.25');
    spent = 2.5;
    fake.emit({ type: 'changed', what: 'sessions' });
    expect(await screen.findByText('$2.50')).toBeTruthy();
  });

  it('has an empty state', async () => {
    await renderApp(undefined, 'Sessions');
    expect(await screen.findByText('No session is running.')).toBeTruthy();
    expect(screen.queryByRole('region', { name: 'Recent' })).toBeNull();
  });
});
