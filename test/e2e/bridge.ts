// Stands in for the Electron main process and preload in a real browser: serves the built window
// on 127.0.0.1 and bridges `window.tollgate` to the very handlers main registers (electron/ipc/
// handlers.ts), over a real control socket to a real daemon. The one stand-in: the native
// confirmation dialog, which the test answers (and reads) through `confirmations`.
import { readFile } from 'node:fs/promises';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { ControlClient } from '../../daemon/client/control-client.ts';
import type { ChangeDescription } from '../../daemon/client/changes.ts';
import { CALL_NAMES, type CallName, type MainEvent } from '../../electron/ipc/api.ts';
import { daemonLink, toMainEvents } from '../../electron/daemon-link.ts';
import { followEvents } from '../../electron/event-stream.ts';
import { createHandlers, toReply } from '../../electron/ipc/handlers.ts';

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png' };

// What the preload would expose, over fetch and an event stream instead of IPC.
const BRIDGE_SCRIPT = `
window.tollgate = Object.fromEntries(${JSON.stringify(CALL_NAMES)}.map((name) => [name, async (...args) => {
  const res = await fetch('/__bridge/call/' + name, { method: 'POST', body: JSON.stringify(args) });
  return res.json();
}]));
window.tollgate.onEvent = (listener) => {
  const source = new EventSource('/__bridge/events');
  source.onmessage = (m) => listener(JSON.parse(m.data));
  return () => source.close();
};
`;

export interface Bridge {
  url: string;
  /** Every confirmation dialog main would have shown, in order. */
  confirmations: ChangeDescription[];
  /** What the operator answers the next dialogs (default: confirm). */
  answer: boolean;
  push(e: MainEvent): void;
  close(): Promise<void>;
}

export async function startBridge(opts: { rendererDir: string; controlSocket: string }): Promise<Bridge> {
  const client = new ControlClient(opts.controlSocket, 'tray');
  const listeners = new Set<ServerResponse>();
  const bridge: Bridge = {
    url: '',
    confirmations: [],
    answer: true,
    push: (e) => {
      for (const res of listeners) res.write(`data: ${JSON.stringify(e)}\n\n`);
    },
    close: async () => {
      follower.stop();
      for (const res of listeners) res.end();
      await new Promise((r) => server.close(r));
      await client.close();
    },
  };
  const handlers = createHandlers({
    client,
    confirm: async (change) => {
      bridge.confirmations.push(change);
      return bridge.answer;
    },
    // The test runs the daemon; "start" has nothing to launch.
    daemon: daemonLink(client, async () => undefined),
  });
  // As main does: the daemon's events, as the window hears them.
  const follower = followEvents({
    client,
    onEvent: (e) => toMainEvents(e).forEach((m) => bridge.push(m)),
    onConnection: () => undefined,
  });

  const server: Server = createServer(async (req, res) => {
    const url = req.url ?? '/';
    if (req.method === 'POST' && url.startsWith('/__bridge/call/')) {
      const name = url.slice('/__bridge/call/'.length) as CallName;
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const args = JSON.parse(Buffer.concat(chunks).toString() || '[]') as unknown[];
      const handler = handlers[name] as ((...a: unknown[]) => Promise<unknown>) | undefined;
      const reply = handler ? await toReply(() => handler(...args)) : { ok: false, error: { code: 'not_found', message: `no call ${name}` } };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(reply));
      return;
    }
    if (url === '/__bridge/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write(': connected\n\n');
      listeners.add(res);
      req.on('close', () => listeners.delete(res));
      return;
    }
    if (url === '/__bridge/preload.js') return void res.writeHead(200, { 'content-type': 'text/javascript' }).end(BRIDGE_SCRIPT);
    const path = normalize(join(opts.rendererDir, url === '/' ? 'index.html' : url.split('?')[0]!));
    if (!path.startsWith(opts.rendererDir)) return void res.writeHead(403).end();
    try {
      let body: string | Buffer = await readFile(path);
      if (path.endsWith('index.html')) {
        // The bridge script comes first; the page's CSP lets the window reach only its own origin.
        body = body.toString()
          .replace(/connect-src 'none'/, "connect-src 'self'")
          .replace('<head>', '<head><script src="/__bridge/preload.js"></script>');
      }
      res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  bridge.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return bridge;
}
