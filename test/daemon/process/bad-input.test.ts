// Hostile bytes on the agent socket, straight from net.connect: each gets a 4xx with a clear
// error or a closed connection, none reaches the upstream, and the daemon keeps serving.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HEADERS_TIMEOUT_MS, MAX_HEADER_BYTES, TIMEOUT_CHECK_INTERVAL_MS } from '../../../daemon/server/agent-server.ts';
import { Testbed } from '../../helpers/daemon-process.ts';

interface Exchange {
  /** Everything the daemon sent, latin1. */
  data: string;
  /** The daemon closed the connection (false: our own deadline ran out first). */
  closed: boolean;
  /** Errors on our side of the socket (EPIPE once the daemon stopped reading, ...). */
  errors: string[];
}

/** Connects to `path`, lets `send` write, and collects the answer until the connection closes or `deadlineMs` passes. */
function exchange(path: string, send: (s: net.Socket) => void | Promise<void>, deadlineMs = 10_000): Promise<Exchange> {
  return new Promise((resolve) => {
    const s = net.connect(path);
    let data = '';
    const errors: string[] = [];
    const timer = setTimeout(() => {
      s.destroy();
      resolve({ data, closed: false, errors });
    }, deadlineMs);
    s.on('data', (d: Buffer) => { data += d.toString('latin1'); });
    s.on('error', (e: NodeJS.ErrnoException) => errors.push(e.code ?? e.message));
    s.on('close', () => {
      clearTimeout(timer);
      resolve({ data, closed: true, errors });
    });
    s.on('connect', () => {
      Promise.resolve(send(s)).catch((e: unknown) => errors.push(String(e)));
    });
  });
}

/** Writes `chunk` unless the socket is gone; resolves when it is flushed (or failed). */
function write(s: net.Socket, chunk: string | Buffer): Promise<void> {
  return new Promise((resolve) => {
    if (s.destroyed || !s.writable) return resolve();
    s.write(chunk, () => resolve());
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface ParsedResponse {
  status: number;
  headers: Record<string, string>;
  json: { error?: { code: string; message: string } } | undefined;
}

function parse(data: string): ParsedResponse {
  const end = data.indexOf('\r\n\r\n');
  expect(end, `a whole HTTP response, got ${JSON.stringify(data.slice(0, 200))}`).toBeGreaterThan(0);
  const [statusLine, ...lines] = data.slice(0, end).split('\r\n');
  const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(statusLine!)?.[1]);
  const headers: Record<string, string> = {};
  for (const l of lines) {
    const i = l.indexOf(':');
    headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
  }
  let json: ParsedResponse['json'];
  try {
    json = JSON.parse(data.slice(end + 4));
  } catch {
    json = undefined;
  }
  return { status, headers, json };
}

/** A refusal of ours: 4xx, Tollgate-Error, and a JSON error whose message says what went wrong. */
function expectRefusal(x: Exchange, status: number, code: string, message: RegExp): void {
  expect(x.closed).toBe(true);
  const r = parse(x.data);
  expect(r.status).toBe(status);
  expect(r.headers['tollgate-error']).toBe(code);
  expect(r.json?.error?.code).toBe(code);
  expect(r.json?.error?.message).toMatch(message);
}

const CALL = '/v1/call/search/res/v1/web/search';
const LIMIT = 1024 * 1024; // the default maxRequestBytes

describe('bad input on the agent socket', () => {
  let t: Testbed;
  let slowloris: Promise<Exchange>;
  // How long a client that trickles its headers can hold a connection: the headers timeout, plus
  // one period of Node's timeout check, plus slack for a busy machine. Not a speed claim: the
  // bound only keeps the test from waiting forever if nothing cuts the client off.
  const slowlorisBound = HEADERS_TIMEOUT_MS + TIMEOUT_CHECK_INTERVAL_MS + 4_000;

  beforeAll(async () => {
    t = await Testbed.create();
    await t.start();
    await t.addIntegration({
      routes: [{ method: 'GET', path: '/res/v1/web/search' }, { method: 'POST', path: '/res/v1/web/search' }],
    });
    // Runs alongside the other cases: one header byte a second, never finishing its headers.
    slowloris = exchange(t.paths.agentSocket, async (s) => {
      const head = `GET /v1/health HTTP/1.1\r\nHost: tollgate\r\nX-Slow: `;
      for (let i = 0; !s.destroyed && i < 10_000; i++) {
        await write(s, head[i] ?? 'a');
        await sleep(1_000);
      }
    }, slowlorisBound);
  });
  afterAll(() => t.close());

  it('answers garbage bytes with 400', async () => {
    const x = await exchange(t.paths.agentSocket, (s) => void s.write(Buffer.from([0x00, 0x01, 0xff, 0xfe, 0x13, 0x37, 0x0d, 0x0a, 0x0d, 0x0a])));
    expectRefusal(x, 400, 'bad_request', /malformed/i);
  });

  it('answers a malformed request line with 400', async () => {
    for (const line of ['GET /v1/health HTTP/9.9', 'GET /v1/he alth HTTP/1.1', 'GET /v1/health HTTP/1.1 extra', '/v1/health GET HTTP/1.1']) {
      const x = await exchange(t.paths.agentSocket, (s) => void s.write(`${line}\r\nHost: tollgate\r\n\r\n`));
      expectRefusal(x, 400, 'bad_request', /malformed/i);
    }
  });

  it(`answers a header block over ${MAX_HEADER_BYTES / 1024} KiB with 400 saying so`, async () => {
    const x = await exchange(t.paths.agentSocket, (s) =>
      void s.write(`GET /v1/health HTTP/1.1\r\nHost: tollgate\r\nX-Big: ${'a'.repeat(MAX_HEADER_BYTES + 1024)}\r\n\r\n`));
    expectRefusal(x, 400, 'bad_request', /headers are larger than 16 KiB/);
  });

  it('answers 10 000 headers with 400', async () => {
    const many = Array.from({ length: 10_000 }, (_, i) => `X-H${i}: v\r\n`).join('');
    const x = await exchange(t.paths.agentSocket, (s) => void s.write(`GET /v1/health HTTP/1.1\r\nHost: tollgate\r\n${many}\r\n`));
    expectRefusal(x, 400, 'bad_request', /headers are larger than 16 KiB/);
  });

  it('answers Content-Length together with Transfer-Encoding with 400, in either order, and sends nothing upstream', async () => {
    for (const framing of ['Content-Length: 5\r\nTransfer-Encoding: chunked', 'Transfer-Encoding: chunked\r\nContent-Length: 5']) {
      const x = await exchange(t.paths.agentSocket, (s) =>
        void s.write(`POST ${CALL} HTTP/1.1\r\nHost: tollgate\r\nTollgate-Purpose: testing\r\n${framing}\r\n\r\n0\r\n\r\nhello`));
      expectRefusal(x, 400, 'bad_request', /Content-Length.*Transfer-Encoding/);
    }
    expect(t.upstream.requests).toHaveLength(0);
  });

  it('answers a body over the limit with 413, announced by Content-Length', async () => {
    const x = await exchange(t.paths.agentSocket, async (s) => {
      await write(s, `POST ${CALL} HTTP/1.1\r\nHost: tollgate\r\nTollgate-Purpose: testing\r\nContent-Length: ${2 * LIMIT}\r\n\r\n`);
      // Keep sending, as a real client would, until the daemon hangs up.
      for (let sent = 0; sent < 2 * LIMIT && !s.destroyed; sent += 64 * 1024) await write(s, Buffer.alloc(64 * 1024, 0x61));
    });
    expectRefusal(x, 413, 'body_too_large', /larger than 1048576 bytes/);
    expect(t.upstream.requests).toHaveLength(0);
  });

  it('answers a chunked body over the limit (no Content-Length) with 413', async () => {
    const x = await exchange(t.paths.agentSocket, async (s) => {
      await write(s, `POST ${CALL} HTTP/1.1\r\nHost: tollgate\r\nTollgate-Purpose: testing\r\nTransfer-Encoding: chunked\r\n\r\n`);
      const chunk = `10000\r\n${'a'.repeat(0x10000)}\r\n`;
      for (let sent = 0; sent < 3 * LIMIT && !s.destroyed; sent += 0x10000) await write(s, chunk);
      await write(s, '0\r\n\r\n');
    });
    expectRefusal(x, 413, 'body_too_large', /larger than 1048576 bytes/);
    expect(t.upstream.requests).toHaveLength(0);
  });

  it('copes with a client that disconnects in the middle of its body', async () => {
    const x = await exchange(t.paths.agentSocket, async (s) => {
      await write(s, `POST ${CALL} HTTP/1.1\r\nHost: tollgate\r\nTollgate-Purpose: testing\r\nContent-Length: 100000\r\n\r\n${'a'.repeat(1000)}`);
      await sleep(200);
      s.destroy();
    });
    expect(x.data).toBe('');
    expect(t.upstream.requests).toHaveLength(0);
    // Nothing of it stays reserved.
    const spend = await t.control('GET', '/v1/spend');
    expect(spend.json.integrations[0]).toMatchObject({ spentUsd: 0, reservedUsd: 0 });
  });

  it('cuts off a slowloris client that sends a header byte every second', { timeout: slowlorisBound + 10_000 }, async () => {
    const x = await slowloris;
    expect(x.closed, `still connected after ${slowlorisBound} ms`).toBe(true);
    expectRefusal(x, 400, 'bad_request', /too slowly/);
  });

  it('still answers afterwards: health 200 on both sockets, a normal call 200, the audit chain intact', async () => {
    expect((await t.agent('GET', '/v1/health')).status).toBe(200);
    expect((await t.control('GET', '/v1/health')).status).toBe(200);
    const r = await t.call('search', '/res/v1/web/search?q=after');
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ ok: true });
    expect(t.upstream.requests).toHaveLength(1);
    expect((await t.control('GET', '/v1/audit/verify')).json.ok).toBe(true);
    expect(t.daemon!.exitStatus).toBeNull();
    expect(t.daemon!.stderr).toBe('');
    expect(await t.stop()).toEqual({ code: 0, signal: null });
  });
});
