// A programmable HTTPS upstream for tests: records every request (with its whole body) and answers
// with a handler that a test can swap at any time. Listens on 127.0.0.1 with a certificate from
// makeTestPki(), so a client trusts it only when given the test CA.
import https from 'node:https';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { TestPki } from './pki.ts';

export interface RecordedRequest {
  method: string;
  /** Path and query, as received (e.g. `/res/v1/web/search?q=x`). */
  url: string;
  /** Lower-cased header names, as node parses them. */
  headers: IncomingHttpHeaders;
  /** Header names and values as sent, in order (to check exact names or repeated headers). */
  rawHeaders: string[];
  body: Buffer;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void | Promise<void>;

export interface Upstream {
  /** `https://127.0.0.1:<port>` (no trailing slash). */
  url: string;
  port: number;
  /** Every request received so far, in arrival order (recorded once its body is complete). */
  requests: RecordedRequest[];
  setHandler(handler: Handler): void;
  /** Stops listening and drops every open connection (hanging requests included). */
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function writeAsync(res: ServerResponse, chunk: string | Buffer): Promise<void> {
  return new Promise((resolve) => {
    if (res.destroyed) return resolve();
    res.write(chunk, () => resolve());
  });
}

/** Answers `status` with `obj` as JSON (and any extra headers). */
export function json(status: number, obj: unknown, headers: Record<string, string> = {}): Handler {
  return (_req, res) => {
    const body = Buffer.from(JSON.stringify(obj));
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': String(body.length),
      ...headers,
    });
    res.end(body);
  };
}

export interface SseOptions {
  /** Pause before each event after the first, in ms (default 0). */
  delayMs?: number;
  /** After the last event, close the connection without ending the response properly (the
   * stream is cut: the client gets every event, then an error instead of a clean end). */
  cutBeforeEnd?: boolean;
  status?: number;
}

/**
 * Streams server-sent events. Each string is one event: sent as is when its first line is already
 * an SSE field (`data:`, `event:`, `id:`, `retry:` or a `:` comment), else each of its lines is sent
 * as `data: <line>`. Events are separated by a blank line.
 */
export function sse(events: string[], opts: SseOptions = {}): Handler {
  const { delayMs = 0, cutBeforeEnd = false, status = 200 } = opts;
  return async (_req, res) => {
    res.writeHead(status, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.flushHeaders();
    for (const [i, event] of events.entries()) {
      if (i > 0 && delayMs > 0) await sleep(delayMs);
      if (res.destroyed) return;
      const raw = /^(data|event|id|retry):|^:/.test(event)
        ? event
        : event.split('\n').map((line) => `data: ${line}`).join('\n');
      await writeAsync(res, raw.endsWith('\n') ? `${raw}\n` : `${raw}\n\n`);
    }
    if (cutBeforeEnd) {
      // end() of the socket flushes what was written, then closes: no terminating chunk.
      res.socket?.end();
    } else {
      res.end();
    }
  };
}

/** Never answers (the request stays open until the client gives up or close() is called). */
/** Answers as `h` does, after `ms`: so that every call of a burst is in flight at once. */
export function late(ms: number, h: Handler): Handler {
  return async (req, res, body) => {
    await sleep(ms);
    await h(req, res, body);
  };
}

export function hang(): Handler {
  return () => {};
}

/** Sends headers at once, then each chunk after `delayMs` (before each one), then ends. */
export function slowBody(
  chunks: Array<string | Buffer>,
  delayMs: number,
  opts: { status?: number; contentType?: string } = {},
): Handler {
  return async (_req, res) => {
    res.writeHead(opts.status ?? 200, { 'content-type': opts.contentType ?? 'application/octet-stream' });
    res.flushHeaders();
    for (const chunk of chunks) {
      await sleep(delayMs);
      if (res.destroyed) return;
      await writeAsync(res, chunk);
    }
    res.end();
  };
}

// Raw TCP sockets of every upstream, by "<local port>:<remote port>", so that destroy() can reset
// the TCP connection under a TLS socket (a TLS socket itself cannot send a reset).
const rawSockets = new Map<string, Socket>();
const pairKey = (s: Socket) => `${s.localPort}:${s.remotePort}`;

/** Resets the connection (TCP RST) without answering: the client sees ECONNRESET. */
export function destroy(): Handler {
  return (req) => {
    const raw = rawSockets.get(pairKey(req.socket));
    try {
      if (raw) raw.resetAndDestroy();
      else req.socket.destroy();
    } catch {
      req.socket.destroy();
    }
  };
}

/**
 * Declares a body of `declared` bytes (Content-Length) but sends only `sent`, then ends the
 * connection: closed cleanly (a truncated body), or with `reset` a TCP reset as destroy() sends.
 */
export function cutBody(declared: number, sent: string | Buffer, opts: { reset?: boolean } = {}): Handler {
  return async (req, res, body) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(declared) });
    await writeAsync(res, sent);
    if (!opts.reset) {
      res.socket?.end();
      return;
    }
    // A reset makes the client drop what it has not read yet: let the headers and bytes arrive first.
    await sleep(50);
    await destroy()(req, res, body);
  };
}

/** Starts an upstream on 127.0.0.1 (random port). Default handler: `json(200, { ok: true })`. */
export async function startUpstream(
  pki: Pick<TestPki, 'certPem' | 'keyPem'>,
  handler: Handler = json(200, { ok: true }),
): Promise<Upstream> {
  let current = handler;
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();

  const server = https.createServer({ cert: pki.certPem, key: pki.keyPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', () => {});
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      requests.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        body,
      });
      Promise.resolve()
        .then(() => current(req, res, body))
        .catch((err: unknown) => {
          if (!res.headersSent) {
            res.writeHead(500, { 'content-type': 'text/plain' });
            res.end(`upstream test handler failed: ${String(err)}`);
          } else {
            res.destroy();
          }
        });
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    const key = pairKey(socket);
    rawSockets.set(key, socket);
    socket.on('close', () => {
      sockets.delete(socket);
      if (rawSockets.get(key) === socket) rawSockets.delete(key);
    });
  });
  // TLS handshakes that fail (a client without the CA) are expected in tests: no noise.
  server.on('tlsClientError', () => {});

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `https://127.0.0.1:${port}`,
    port,
    requests,
    setHandler(h: Handler) {
      current = h;
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        for (const s of sockets) s.destroy();
      });
    },
  };
}
