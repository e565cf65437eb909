// The window's calls as main handles them, against a real daemon (its control socket, SQLite, the
// real keychain). Only Electron is faked: ipcMain, the dialog and the window.
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ControlClient } from '../../daemon/client/control-client.ts';
import { CALL_NAMES, type CallName, channelOf, type Reply } from '../../electron/ipc/api.ts';
import { dialogConfirm } from '../../electron/ipc/confirm.ts';
import { createHandlers } from '../../electron/ipc/handlers.ts';
import { registerIpc } from '../../electron/ipc/register.ts';
import { TollgateWindow } from '../../electron/window.ts';
import { json } from '../helpers/upstream.ts';
import { Harness } from '../helpers/harness.ts';
import * as electron from './fake-electron.ts';

vi.mock('electron', () => import('./fake-electron.ts'));

/** A control client that notes every request it sends to the daemon. */
class RecordingClient extends ControlClient {
  readonly sent: string[] = [];
  override call<T>(method: 'GET' | 'POST' | 'PUT' | 'PATCH', path: string, body?: unknown): Promise<T> {
    this.sent.push(`${method} ${path}`);
    return super.call<T>(method, path, body);
  }
  /** What it asked the daemon to change (everything but reads). */
  get changes(): string[] {
    return this.sent.filter((s) => !s.startsWith('GET '));
  }
}

const INDEX = '/opt/tollgate/out/renderer/index.html';
const OWN = pathToFileURL(INDEX).href;

let h: Harness;
let client: RecordingClient;
let window: TollgateWindow;
let unregister: () => void;
const logged: string[] = [];

/** Calls `name` as a frame at `url` would, through the registered ipcMain handler. */
function invoke<K extends CallName>(name: K, args: unknown[], url = OWN): Promise<Reply<any>> {
  const handler = electron.ipcMain.handlers.get(channelOf(name))!;
  return handler({ senderFrame: { url, parent: null } }, ...args);
}

beforeAll(async () => {
  electron.reset();
  h = await Harness.start({ handler: json(200, { ok: true }) });
  await h.addIntegration({ name: 'search', monthlyCapUsd: 10 }, 'tg-first-key-0001');
  client = new RecordingClient(h.paths.controlSocket, 'tray');
  window = new TollgateWindow({ page: { file: INDEX }, preload: '', icon: '' });
  const handlers = createHandlers({
    client,
    confirm: dialogConfirm(() => window.current),
    daemon: { state: async () => ({ running: true, version: null, controlSocket: client.socketPath }), start: async () => ({ running: true, version: null, controlSocket: client.socketPath }) },
  });
  unregister = registerIpc({ handlers, trusts: (f) => window.trusts(f), log: (l) => logged.push(l) });
});

afterAll(async () => {
  unregister?.();
  await client?.close();
  await h?.close();
});

beforeEach(() => {
  client.sent.length = 0;
  electron.dialog.shown = [];
  electron.dialog.answer = 0;
});

describe('IPC registration', () => {
  it('handles exactly the calls of the channel map', () => {
    expect([...electron.ipcMain.handlers.keys()].sort()).toEqual(CALL_NAMES.map(channelOf).sort());
  });
});

describe('a change from the window', () => {
  it('is shown in a native dialog naming the change, and with Cancel nothing is sent to the daemon', async () => {
    const before = await h.control('GET', '/v1/integrations/search');
    const reply = await invoke('setKey', ['search', 'tg-second-key-0002']);
    expect(reply).toEqual({ ok: true, value: { done: false } });
    expect(client.changes).toEqual([]);
    expect(electron.dialog.shown).toHaveLength(1);
    expect(electron.dialog.shown[0]!.options).toMatchObject({
      message: 'Rotate the key of search',
      buttons: ['Cancel', 'Rotate the key of search'],
      defaultId: 0,
      cancelId: 0,
      type: 'warning',
    });
    expect(electron.dialog.shown[0]!.options.detail).toContain('The old key stops being used at once.');
    expect((await h.control('GET', '/v1/integrations/search')).json).toEqual(before.json);
  });

  it('once confirmed sends exactly that change', async () => {
    electron.dialog.answer = 1;
    const reply = await invoke('updateIntegration', ['search', { monthlyCapUsd: 25 }]);
    expect(reply).toMatchObject({ ok: true, value: { done: true, value: { name: 'search', spec: { monthlyCapUsd: 25 } } } });
    expect(client.changes).toEqual(['PATCH /v1/integrations/search']);
    const { options } = electron.dialog.shown[0]!;
    expect(options.message).toBe('Change search');
    expect(options.detail).toBe('Monthly cap: $10.00 → $25.00');
    expect(options.buttons).toEqual(['Cancel', 'Change search']);
    expect((await h.control('GET', '/v1/integrations/search')).json.integration.spec.monthlyCapUsd).toBe(25);
  });

  it('a narrowing change (suspend) also takes one confirmation, over the open window', async () => {
    await window.show();
    electron.dialog.answer = 1;
    expect(await invoke('suspend', ['search'])).toMatchObject({ ok: true, value: { done: true, value: { status: 'suspended' } } });
    expect(client.changes).toEqual(['POST /v1/integrations/search/suspend']);
    expect(electron.dialog.shown).toHaveLength(1);
    expect(electron.dialog.shown[0]!.parent).toBe(window.current);
    expect(electron.dialog.shown[0]!.options).toMatchObject({ message: 'Suspend search', type: 'question', buttons: ['Cancel', 'Suspend search'] });
  });

  it('reads need no dialog, and a refusal comes back as data', async () => {
    expect(await invoke('spend', [])).toMatchObject({ ok: true, value: { integrations: [{ name: 'search' }] } });
    expect(await invoke('resume', ['nope'])).toEqual({ ok: false, error: { code: 'not_found', message: expect.any(String) } });
    expect(electron.dialog.shown).toEqual([]);
    expect(client.changes).toEqual([]);
  });
});

describe('what the window confirms is true (issue 12)', () => {
  const propose = async (body: object) =>
    (await h.agent('POST', '/v1/proposals', { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json.id as string;

  it('a new integration from a template: its host, routes, how the key is sent, price, the most one call costs and the cap', async () => {
    const body = { template: 'brave-search', name: 'brave', purpose: 'Web search', account: 'a@example.org', monthlyCapUsd: 4 };
    expect(await invoke('createIntegration', [body])).toEqual({ ok: true, value: { done: false } });
    expect(client.changes).toEqual([]);
    expect(electron.dialog.shown[0]!.options.message).toBe('Approve a new integration: brave');
    expect(electron.dialog.shown[0]!.options.detail).toContain([
      'From the Brave Search template (brave-search)',
      'Host: https://api.search.brave.com',
      'Routes (2): GET /res/v1/web/search, GET /res/v1/news/search',
      'Key sent as: header X-Subscription-Token: <key> (the key itself is never shown)',
      'Pricing: $0.005 a call',
      'Most one call can cost: $0.005 (what each call reserves at worst)',
      'Monthly cap: $4.00',
    ].join('\n'));
  });

  it('approving a proposed integration names the same, after the reason', async () => {
    const id = await propose({ kind: 'new_integration', name: 'tavily', template: 'tavily', purpose: 'Research', monthlyCapUsd: 3, justification: 'Needs extracts' });
    const integration = { template: 'tavily', name: 'tavily', purpose: 'Research', account: 'a@example.org', monthlyCapUsd: 3 };
    expect(await invoke('approveProposal', [id, { integration }])).toEqual({ ok: true, value: { done: false } });
    const { detail } = electron.dialog.shown[0]!.options;
    expect(detail).toMatch(/^The assistant's reason: Needs extracts\n/);
    expect(detail).toContain('\nHost: https://api.tavily.com\n');
    expect(detail).toContain('\nMonthly cap: $3.00');
    expect(detail).toMatch(/\nMost one call can cost: \$[\d.]+ /);
  });

  it('approving a higher cap says the cap before and after', async () => {
    const current = (await h.control('GET', '/v1/integrations/search')).json.integration.spec.monthlyCapUsd as number;
    const id = await propose({ kind: 'raise_cap', integration: 'search', monthlyCapUsd: 80, justification: 'A long review' });
    expect(await invoke('approveProposal', [id, { monthlyCapUsd: 60 }])).toEqual({ ok: true, value: { done: false } });
    expect(electron.dialog.shown[0]!.options.detail).toContain(`Monthly cap: $${current.toFixed(2)} → $60.00 (the assistant asked for $80.00)`);
    expect(client.changes).toEqual([]);
  });

  it('a key set on an integration the operator suspended: it stays suspended, and the dialog says so', async () => {
    await h.addIntegration({ name: 'paused' }, 'tg-paused-key-0001');
    expect((await h.control('POST', '/v1/integrations/paused/suspend', { reason: 'on hold' })).status).toBe(200);
    electron.dialog.answer = 1;
    expect(await invoke('setKey', ['paused', 'tg-paused-key-0002'])).toMatchObject({ ok: true, value: { done: true, value: { status: 'suspended', statusReason: 'on hold' } } });
    expect(electron.dialog.shown[0]!.options.detail).toContain('paused stays suspended (on hold): it makes no calls until it is resumed.');
    expect(electron.dialog.shown[0]!.options.detail).not.toContain('can make calls from now on');
  });

  it('after decommissioning, the window is told its key is not set', async () => {
    await h.addIntegration({ name: 'retired' }, 'tg-retired-key-0001');
    electron.dialog.answer = 1;
    expect(await invoke('decommission', ['retired'])).toMatchObject({ ok: true, value: { done: true, value: { keyRemoved: true, integration: { keySet: false } } } });
    const listed = await invoke('integrations', []);
    expect(listed.ok && listed.value.find((i: { name: string }) => i.name === 'retired')).toMatchObject({ status: 'decommissioned', keySet: false, keySetAt: null });
  });
});

describe('sessions from the window', () => {
  it('lists them, and stops one only after the operator confirms it in a native dialog', async () => {
    const s = (await h.control('POST', '/v1/sessions', { purpose: 'Window test', budgetUsd: 2 })).json;
    expect(await invoke('sessions', [])).toMatchObject({ ok: true, value: [{ id: s.id, status: 'running', purpose: 'Window test' }] });

    const cancelled = await invoke('stopSession', [s.id]);
    expect(cancelled).toEqual({ ok: true, value: { done: false } });
    expect(client.changes).toEqual([]);
    expect((await h.control('GET', `/v1/sessions/${s.id}`)).json.status).toBe('running');
    expect(electron.dialog.shown[0]!.options).toMatchObject({
      message: 'Stop the session: Window test',
      detail: 'Its socket takes no new calls; calls in flight finish, or are cut and settled.\nIt spent $0.00 in 0 call(s).',
      buttons: ['Cancel', 'Stop the session'],
      type: 'question',
    });

    electron.dialog.answer = 1;
    expect(await invoke('stopSession', [s.id])).toMatchObject({ ok: true, value: { done: true, value: { id: s.id, status: 'ended', endReason: 'stopped by the operator' } } });
    expect(client.changes).toEqual([`POST /v1/sessions/${s.id}/stop`]);
    expect(await invoke('stopSession', ['0123456789abcdef'])).toEqual({ ok: false, error: { code: 'not_found', message: expect.any(String) } });
  });
});

describe('the sender check', () => {
  it.each([
    ['another file', pathToFileURL('/tmp/evil.html').href],
    ['a remote page', 'https://evil.example/'],
  ])('refuses a call from %s: no dialog, nothing sent, the refusal logged without the arguments', async (_what, url) => {
    electron.dialog.answer = 1;
    const reply = await invoke('setKey', ['search', 'tg-stolen-key-0003'], url);
    expect(reply).toEqual({ ok: false, error: { code: 'forbidden', message: 'Only the Tollgate window may ask this.' } });
    expect(client.sent).toEqual([]);
    expect(electron.dialog.shown).toEqual([]);
    expect(logged.at(-1)).toBe(`tollgate: refused tollgate:setKey from ${url}`);
    expect(logged.join('\n')).not.toContain('tg-stolen-key');
  });

  it('refuses a subframe of our own page and a frame that is gone', async () => {
    const handler = electron.ipcMain.handlers.get(channelOf('spend'))!;
    expect(await handler({ senderFrame: { url: OWN, parent: { url: OWN, parent: null } } })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await handler({ senderFrame: null })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(client.sent).toEqual([]);
  });
});
