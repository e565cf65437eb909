import { screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { api, ApiError } from '../../renderer/api.ts';
import { FakeBridge, ok, refused } from './fake-bridge.ts';
import { daemonDown, daemonUp } from './fixtures.ts';
import { renderApp } from './render.tsx';

const notRunning = () => refused('daemon_not_running', 'the Tollgate daemon is not running');

describe('the window', () => {
  it('navigates between pages from the nav', async () => {
    const { user } = await renderApp();
    for (const page of ['Integrations', 'Sessions', 'Activity', 'Alerts', 'Proposals', 'Settings', 'Overview']) {
      await user.click(screen.getByRole('link', { name: page }));
      expect(await screen.findByRole('heading', { level: 1, name: page })).toBeTruthy();
      expect(screen.getByRole('link', { name: page }).getAttribute('aria-current')).toBe('page');
    }
  });

  it('when the daemon is not running, says so and starts it', async () => {
    const fake = new FakeBridge().respond('daemonState', () => ok(daemonDown));
    const { user } = await renderApp(fake);
    expect(await screen.findByRole('heading', { name: 'The Tollgate daemon is not running' })).toBeTruthy();
    await user.click(screen.getByRole('button', { name: 'Start the daemon' }));
    expect(fake.callsOf('startDaemon')).toEqual([[]]);
    expect(await screen.findByRole('heading', { level: 1, name: 'Overview' })).toBeTruthy();
    expect(screen.getByText('Daemon running · v0.1.0')).toBeTruthy();
  });

  it('a call refused with daemon_not_running shows the same screen', async () => {
    const fake = new FakeBridge().respond('spend', notRunning);
    await renderApp(fake);
    expect(await screen.findByRole('button', { name: 'Start the daemon' })).toBeTruthy();
  });

  it('says so when the daemon does not come up', async () => {
    const fake = new FakeBridge().respond('daemonState', () => ok(daemonDown)).respond('startDaemon', () => ok(daemonDown));
    const { user } = await renderApp(fake);
    await user.click(await screen.findByRole('button', { name: 'Start the daemon' }));
    expect((await screen.findByRole('alert')).textContent).toMatch(/did not start/);
  });

  it('follows the daemon events from main', async () => {
    const fake = new FakeBridge();
    await renderApp(fake);
    await screen.findByRole('heading', { level: 1, name: 'Overview' });
    fake.emit({ type: 'daemon', state: daemonDown });
    expect(await screen.findByRole('button', { name: 'Start the daemon' })).toBeTruthy();
    fake.emit({ type: 'daemon', state: daemonUp });
    expect(await screen.findByRole('heading', { level: 1, name: 'Overview' })).toBeTruthy();
  });

  it('reloads what it shows when main reports a change or an alert', async () => {
    const fake = new FakeBridge();
    await renderApp(fake);
    await screen.findByRole('meter', { name: 'Overall spend' });
    const before = fake.callsOf('spend').length;
    fake.emit({ type: 'changed', what: 'spend' });
    fake.emit({ type: 'alert', alert: { id: 9, tier: 'info', kind: 'cap_50', dedupeKey: 'x', integration: null, title: 't', message: 'm', count: 1, firstAt: 0, lastAt: 0, ackedAt: null } });
    await screen.findByRole('meter', { name: 'Overall spend' });
    expect(fake.callsOf('spend').length).toBeGreaterThan(before);
  });

  it('the api wrapper unwraps replies and throws the daemon’s code and message', async () => {
    window.tollgate = new FakeBridge().respond('integrations', () => refused('not_found', 'No integration x.')).bridge;
    expect(await api.daemonState()).toEqual(daemonUp);
    const error = await api.integrations().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ code: 'not_found', message: 'No integration x.' });
  });
});
