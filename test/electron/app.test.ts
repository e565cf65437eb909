// The tray app put together (app.ts), over a real daemon: what the operator sees in the tray,
// in notifications and in the window as the daemon's state changes. Electron is faked.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTrayApp, type TrayApp } from '../../electron/app.ts';
import { toMainEvents } from '../../electron/daemon-link.ts';
import { EVENT_CHANNEL } from '../../electron/ipc/api.ts';
import { waitFor } from '../helpers/daemon-process.ts';
import { Harness } from '../helpers/harness.ts';
import { json } from '../helpers/upstream.ts';
import * as electron from './fake-electron.ts';

vi.mock('electron', () => import('./fake-electron.ts'));

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

let h: Harness;
let tray: TrayApp;
const logged: string[] = [];

beforeAll(async () => {
  electron.reset();
  h = await Harness.start({ handler: json(200, { ok: true }) });
  await h.addIntegration({ name: 'search', monthlyCapUsd: 10 });
  tray = startTrayApp({
    root: ROOT,
    paths: h.paths,
    node: process.execPath,
    page: { file: '/opt/tollgate/out/renderer/index.html' },
    preload: '/opt/tollgate/out/preload/preload.cjs',
    iconsDir: '/icons',
    log: (l) => logged.push(l),
  });
});

afterAll(async () => {
  await tray?.stop();
  await h?.close();
});

const icon = () => (electron.Tray.instances[0]!.image as { path: string }).path;
const labels = () => electron.Tray.instances[0]!.menu!.items.map((i) => i.label);

describe('the tray app', () => {
  it('shows this period’s spend against the cap once the daemon answers', async () => {
    await waitFor(() => labels().includes('search: $0.00 / $10.00'), 'the spend in the menu');
    expect(icon()).toBe('/icons/ok.png');
    expect(labels()).toEqual(expect.arrayContaining(['Open Tollgate', 'Suspend all', 'Quit']));
  });

  it('on a critical alert: pops up a notification that stays, turns red, and tells the open window', async () => {
    const r = await h.call('search', '/res/v1/web/search?q=x');
    expect(r.status).toBe(200);
    await waitFor(() => labels().includes('search: $0.005 / $10.00'), 'the spend to move');

    tray.open();
    await waitFor(() => electron.BrowserWindow.instances.length === 1 && electron.BrowserWindow.instances[0]!.visible, 'the window');
    const win = electron.BrowserWindow.instances[0]!;
    h.daemon.alerts.raise({ tier: 'critical', kind: 'test', dedupeKey: 'test:1', integration: 'search', title: 'Something is wrong', message: 'Look at it.' });
    await waitFor(() => icon() === '/icons/critical.png', 'the tray to turn red');
    const n = electron.Notification.instances.at(-1)!;
    expect(n.options).toMatchObject({ title: 'Something is wrong', urgency: 'critical', timeoutType: 'never' });
    const sent = win.webContents.sent.filter((s) => s.channel === EVENT_CHANNEL).map((s) => s.args[0]);
    expect(sent).toContainEqual({ type: 'alert', alert: expect.objectContaining({ title: 'Something is wrong' }) });

    // Clicking it opens the window on that alert; acknowledging it closes the notification.
    n.emit('click');
    const id = (sent.find((e: any) => e.type === 'alert') as any).alert.id;
    await waitFor(() => win.webContents.sent.some((s) => (s.args[0] as any).type === 'show_alert'), 'show_alert');
    expect(win.webContents.sent.at(-1)!.args[0]).toEqual({ type: 'show_alert', id });
    await h.control('POST', `/v1/alerts/${id}/ack`);
    // Back from red to all well: the first call on a route is information, not a warning.
    await waitFor(() => n.closed && icon() === '/icons/ok.png', 'the acknowledgement');
    expect(electron.Tray.instances[0]!.tooltip).toMatch(/^Tollgate: all well /);
  });

  it('acknowledging a backlog at once: the window reloads once, every notification closes', async () => {
    const win = electron.BrowserWindow.instances[0]!;
    const heard = () => win.webContents.sent.filter((s) => s.channel === EVENT_CHANNEL).map((s) => s.args[0] as { type: string; what?: string });
    const before = electron.Notification.instances.length;
    for (const n of [1, 2]) h.daemon.alerts.raise({ tier: 'warning', kind: 'test', dedupeKey: `backlog:${n}`, integration: 'search', title: `Backlog ${n}`, message: 'm' });
    await waitFor(() => electron.Notification.instances.length === before + 2, 'the two notifications');
    const reloads = () => heard().filter((e) => e.type === 'changed' && e.what === 'alerts').length;
    const reloadsBefore = reloads();

    expect((await h.control('POST', '/v1/alerts/ack', { tier: 'warning' })).json).toEqual({ acknowledged: 2 });
    const shown = electron.Notification.instances.slice(before);
    await waitFor(() => shown.every((n) => n.closed), 'both notifications to close');
    expect(reloads() - reloadsBefore).toBe(1);
  });

  it('"Suspend all" from the tray menu asks first, and with Cancel changes nothing', async () => {
    electron.dialog.answer = 0;
    electron.Tray.instances[0]!.menu!.items.find((i) => i.label === 'Suspend all').click();
    await waitFor(() => electron.dialog.shown.length === 1, 'the dialog');
    expect(electron.dialog.shown[0]!.options).toMatchObject({ message: 'Suspend all integrations', buttons: ['Cancel', 'Suspend all integrations'] });
    expect((await h.control('GET', '/v1/integrations/search')).json.integration.status).toBe('active');
  });

  it('quits without stopping the daemon', async () => {
    electron.Tray.instances[0]!.menu!.items.find((i) => i.label === 'Quit').click();
    expect(electron.app.quit).toHaveBeenCalled();
    await tray.stop();
    expect(electron.Tray.instances[0]!.destroyed).toBe(true);
    expect((await h.control('GET', '/v1/health')).status).toBe(200);
    expect(logged).toEqual([]);
  });
});

describe('what the window hears of daemon events', () => {
  it('maps each to what changed', () => {
    expect(toMainEvents({ type: 'alert_acked', ids: [3, 4] })).toEqual([{ type: 'changed', what: 'alerts' }]);
    expect(toMainEvents({ type: 'integration', name: 'x', status: 'suspended' })).toEqual([{ type: 'changed', what: 'integrations' }, { type: 'changed', what: 'spend' }]);
    expect(toMainEvents({ type: 'spend', integration: 'x', spentUsd: 1, capUsd: 2 })).toEqual([{ type: 'changed', what: 'spend' }]);
    expect(toMainEvents({ type: 'proposal', id: 'p', status: 'pending' })).toEqual([{ type: 'changed', what: 'proposals' }]);
    expect(toMainEvents({ type: 'session', change: 'updated', session: {} as never })).toEqual([{ type: 'changed', what: 'sessions' }]);
  });
});
