// The window's only way to the daemon: the bridge the preload puts on `window.tollgate`,
// unwrapped so that a refusal becomes a thrown ApiError carrying the daemon's code and message.
import { CALL_NAMES, type CallName, type MainEvent, type Reply, type TollgateBridge, type TollgateCalls } from '../electron/ipc/api.ts';

declare global {
  interface Window {
    tollgate: TollgateBridge;
  }
}

export class ApiError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
  }
}

type Api = { [K in CallName]: (...args: Parameters<TollgateCalls[K]>) => Promise<ReturnType<TollgateCalls[K]>> };

// Read at each call, not at import: the preload (or a test) installs it before the window uses it.
function bridge(): TollgateBridge {
  const b = (window as { tollgate?: TollgateBridge }).tollgate;
  if (!b) throw new ApiError('no_bridge', 'This window is not connected to the Tollgate tray app. Open it from the tray icon.');
  return b;
}

async function call(name: CallName, args: unknown[]): Promise<unknown> {
  const send = bridge()[name] as (...a: unknown[]) => Promise<Reply<unknown>>;
  const reply = await send(...args);
  if (!reply.ok) throw new ApiError(reply.error.code, reply.error.message);
  return reply.value;
}

export const api = Object.fromEntries(CALL_NAMES.map((name) => [name, (...args: unknown[]) => call(name, args)])) as Api;

/** Listens to what main pushes; without a bridge there is nothing to hear (the first call reports why). */
export function onEvent(listener: (e: MainEvent) => void): () => void {
  const b = (window as { tollgate?: TollgateBridge }).tollgate;
  return b ? b.onEvent(listener) : () => {};
}

export const isDaemonDown = (e: unknown): boolean => e instanceof ApiError && e.code === 'daemon_not_running';

export const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));
