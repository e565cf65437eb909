// The daemon's event stream (GET /v1/events, server-sent events), followed for as long as the
// tray runs: when the daemon stops or restarts, it reconnects with a growing delay. As a `tray`
// client it tells the daemon that native notifications are raised here.
import type { ControlClient } from '../daemon/client/control-client.ts';
import type { DaemonEvent } from '../daemon/events.ts';

export interface FollowOptions {
  client: Pick<ControlClient, 'events'>;
  onEvent(e: DaemonEvent): void;
  /** True once the stream is open, false when it is lost (then again true after a reconnect). */
  onConnection(connected: boolean): void;
  /** First and longest wait between attempts. */
  backoff?: { initialMs: number; maxMs: number };
}

/** The events in a chunk of the stream; `rest` is an unfinished event to prepend to the next chunk. */
export function parseEvents(text: string): { events: DaemonEvent[]; rest: string } {
  const blocks = text.replace(/\r\n/g, '\n').split('\n\n');
  const rest = blocks.pop() ?? '';
  const events: DaemonEvent[] = [];
  for (const block of blocks) {
    const data = block.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trimStart()).join('\n');
    if (!data) continue; // a comment (": heartbeat")
    try {
      events.push(JSON.parse(data) as DaemonEvent);
    } catch {
      // not ours to guess at
    }
  }
  return { events, rest };
}

/** Follows the stream until `stop()`. */
export function followEvents({ client, onEvent, onConnection, backoff = { initialMs: 500, maxMs: 15_000 } }: FollowOptions): { stop(): void } {
  const abort = new AbortController();
  let delay = backoff.initialMs;
  let timer: NodeJS.Timeout | undefined;

  const attempt = async (): Promise<void> => {
    let connected = false;
    try {
      const body = await client.events({ tray: true, signal: abort.signal });
      connected = true;
      delay = backoff.initialMs;
      onConnection(true);
      const decoder = new TextDecoder();
      let pending = '';
      for await (const chunk of body) {
        const { events, rest } = parseEvents(pending + decoder.decode(chunk as Uint8Array, { stream: true }));
        pending = rest;
        for (const e of events) onEvent(e);
      }
    } catch {
      // not running, or the stream broke: try again below
    }
    if (abort.signal.aborted) return;
    if (connected) onConnection(false);
    timer = setTimeout(() => void attempt(), delay);
    delay = Math.min(delay * 2, backoff.maxMs);
  };

  void attempt();
  return {
    stop() {
      abort.abort();
      clearTimeout(timer);
    },
  };
}
