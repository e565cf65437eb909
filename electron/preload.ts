// The window's one way to main: `window.tollgate`, a function per call of the channel map plus
// `onEvent`. The page never gets ipcRenderer itself, so it can reach no other channel.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { CALL_NAMES, channelOf, EVENT_CHANNEL, type MainEvent, type TollgateBridge } from './ipc/api.ts';

type Listener = (e: MainEvent) => void;

const listeners = new Set<Listener>();
// Events that arrive before the page subscribes (a notification click opening the window on an
// alert) wait here for the first listener.
const early: MainEvent[] = [];
const EARLY_MAX = 50;

ipcRenderer.on(EVENT_CHANNEL, (_event: IpcRendererEvent, e: MainEvent) => {
  if (listeners.size === 0) {
    if (early.length < EARLY_MAX) early.push(e);
    return;
  }
  for (const l of listeners) l(e);
});

const calls = Object.fromEntries(CALL_NAMES.map((name) => [name, (...args: unknown[]) => ipcRenderer.invoke(channelOf(name), ...args)]));

const bridge = {
  ...calls,
  onEvent(listener: Listener): () => void {
    listeners.add(listener);
    for (const e of early.splice(0)) listener(e);
    return () => void listeners.delete(listener);
  },
} as TollgateBridge;

contextBridge.exposeInMainWorld('tollgate', bridge);
