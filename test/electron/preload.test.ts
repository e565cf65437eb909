import { beforeAll, describe, expect, it, vi } from 'vitest';
import { CALL_NAMES, channelOf, EVENT_CHANNEL, type MainEvent, type TollgateBridge } from '../../electron/ipc/api.ts';
import * as electron from './fake-electron.ts';

vi.mock('electron', () => import('./fake-electron.ts'));

let bridge: TollgateBridge;
const push = (e: MainEvent) => electron.ipcRenderer.emit(EVENT_CHANNEL, {}, e);

beforeAll(async () => {
  electron.reset();
  // Sent before the page listens: the preload keeps it for the first listener.
  await import('../../electron/preload.ts');
  push({ type: 'show_alert', id: 9 });
  bridge = electron.contextBridge.exposed.get('tollgate');
});

describe('the preload', () => {
  it('puts exactly one object on the window: a function per call of the channel map, plus onEvent', () => {
    expect([...electron.contextBridge.exposed.keys()]).toEqual(['tollgate']);
    expect(Object.keys(bridge).sort()).toEqual([...CALL_NAMES, 'onEvent'].sort());
    for (const value of Object.values(bridge)) expect(typeof value).toBe('function');
    expect(Object.values(bridge)).not.toContain(electron.ipcRenderer);
  });

  it('sends each call on its own channel, with its arguments', async () => {
    const reply = await bridge.setKey('exa', 'sk-typed-once');
    expect(reply).toEqual({ ok: true, value: channelOf('setKey') });
    await bridge.alerts({ open: true });
    expect(electron.ipcRenderer.invoked).toEqual([
      { channel: 'tollgate:setKey', args: ['exa', 'sk-typed-once'] },
      { channel: 'tollgate:alerts', args: [{ open: true }] },
    ]);
  });

  it('delivers main’s events, the early ones first, until the listener unsubscribes', () => {
    const seen: MainEvent[] = [];
    const off = bridge.onEvent((e) => seen.push(e));
    push({ type: 'changed', what: 'spend' });
    off();
    push({ type: 'changed', what: 'alerts' });
    expect(seen).toEqual([{ type: 'show_alert', id: 9 }, { type: 'changed', what: 'spend' }]);
  });
});
