// Main's side of the channel map: one ipcMain handler per call. Each checks that the message
// comes from the top frame of our own page before anything runs; a refusal is logged (the
// channel and the sender's URL, never the arguments: they may hold a key).
import { ipcMain, type IpcMainInvokeEvent, type WebFrameMain } from 'electron';
import { CALL_NAMES, channelOf, type Reply } from './api.ts';
import { type Handlers, toReply } from './handlers.ts';

export interface RegisterOptions {
  handlers: Handlers;
  /** Whether a frame is our window's own page. */
  trusts(frame: WebFrameMain | null): boolean;
  log?: (line: string) => void;
}

const REFUSED: Reply<never> = { ok: false, error: { code: 'forbidden', message: 'Only the Tollgate window may ask this.' } };

/** Registers every handler; returns a function that removes them. */
export function registerIpc({ handlers, trusts, log = console.warn }: RegisterOptions): () => void {
  for (const name of CALL_NAMES) {
    const channel = channelOf(name);
    // The arguments are checked where they enter the daemon (its control API validates every body).
    const handler = handlers[name] as (...args: unknown[]) => Promise<unknown>;
    ipcMain.handle(channel, (event: IpcMainInvokeEvent, ...args: unknown[]) => {
      if (!trusts(event.senderFrame)) {
        log(`tollgate: refused ${channel} from ${event.senderFrame?.url ?? 'a frame that is gone'}`);
        return REFUSED;
      }
      return toReply(() => handler(...args));
    });
  }
  return () => {
    for (const name of CALL_NAMES) ipcMain.removeHandler(channelOf(name));
  };
}
