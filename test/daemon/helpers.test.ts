// Tests of the test helpers themselves: the throwaway PKI and the programmable HTTPS upstream.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, fetch } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeTestPki } from '../helpers/pki.ts';
import type { TestPki } from '../helpers/pki.ts';
import { destroy, hang, json, slowBody, sse, startUpstream } from '../helpers/upstream.ts';
import type { Handler, Upstream } from '../helpers/upstream.ts';

let dir: string;
let pki: TestPki;
let upstream: Upstream | undefined;
const agents: Agent[] = [];

function trusting(): Agent {
  const agent = new Agent({ connect: { ca: pki.caPem } });
  agents.push(agent);
  return agent;
}

/** The first error code found along an error's cause chain. */
function causeCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let i = 0; i < 5 && e; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

async function start(handler?: Handler): Promise<Upstream> {
  upstream = await startUpstream(pki, handler);
  return upstream;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tollgate-helpers-'));
  pki = makeTestPki(join(dir, 'pki'));
});

afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.destroy()));
  await upstream?.close();
  upstream = undefined;
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('makeTestPki', () => {
  it('makes a CA that issued a server certificate for 127.0.0.1, ::1 and localhost', () => {
    expect(existsSync(pki.caCertPath)).toBe(true);
    const ca = new X509Certificate(pki.caPem);
    const cert = new X509Certificate(pki.certPem);
    expect(ca.ca).toBe(true);
    expect(cert.ca).toBe(false);
    expect(cert.checkIssued(ca)).toBe(true);
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(cert.checkIP('::1')).toBe('::1');
    expect(cert.checkHost('localhost')).toBe('localhost');
    expect(cert.checkHost('example.org')).toBeUndefined();
    expect(cert.publicKey.asymmetricKeyType).toBe('ec');
    expect(cert.checkPrivateKey(createPrivateKey(pki.keyPem))).toBe(true);
  });

  it('makes a fresh CA each time', () => {
    const other = makeTestPki(join(dir, 'pki2'));
    expect(other.caPem).not.toBe(pki.caPem);
  });
});

describe('startUpstream', () => {
  it('is trusted with the test CA and refused without it (TLS error)', async () => {
    const up = await start(json(200, { hello: 'world' }));
    expect(up.url).toBe(`https://127.0.0.1:${up.port}`);

    const res = await fetch(`${up.url}/ping`, { dispatcher: trusting() });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({ hello: 'world' });

    const untrusting = new Agent();
    agents.push(untrusting);
    const err = await fetch(`${up.url}/ping`, { dispatcher: untrusting }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect(causeCode(err)).toMatch(/CERT|VERIFY|SIGNATURE|SELF_SIGNED/);
  });

  it('records method, path with query, headers and body', async () => {
    const up = await start();
    const res = await fetch(`${up.url}/v1/things?q=a%20b&n=2`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'X-Test-Header': 'yes' },
      body: JSON.stringify({ a: 1 }),
      dispatcher: trusting(),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });

    expect(up.requests).toHaveLength(1);
    const r = up.requests[0]!;
    expect(r.method).toBe('POST');
    expect(r.url).toBe('/v1/things?q=a%20b&n=2');
    expect(r.headers['x-test-header']).toBe('yes');
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.rawHeaders).toContain('X-Test-Header');
    expect(Buffer.isBuffer(r.body)).toBe(true);
    expect(r.body.toString('utf8')).toBe('{"a":1}');
  });

  it('passes the body to the handler, and setHandler swaps it', async () => {
    const up = await start(async (_req, res, body) => {
      res.writeHead(201, { 'content-type': 'text/plain' });
      res.end(`got ${body.length} bytes`);
    });
    const a = await fetch(`${up.url}/x`, { method: 'PUT', body: 'hello', dispatcher: trusting() });
    expect(a.status).toBe(201);
    expect(await a.text()).toBe('got 5 bytes');

    up.setHandler(json(429, { error: 'slow down' }, { 'retry-after': '7' }));
    const b = await fetch(`${up.url}/x`, { dispatcher: trusting() });
    expect(b.status).toBe(429);
    expect(b.headers.get('retry-after')).toBe('7');
    expect(await b.json()).toEqual({ error: 'slow down' });
    expect(up.requests.map((r) => r.method)).toEqual(['PUT', 'GET']);
  });

  it('answers 500 when a handler throws', async () => {
    const up = await start(() => {
      throw new Error('boom');
    });
    const res = await fetch(`${up.url}/`, { dispatcher: trusting() });
    expect(res.status).toBe(500);
    expect(await res.text()).toContain('boom');
  });
});

describe('ready-made handlers', () => {
  it('sse() streams events as they come, then ends', async () => {
    const up = await start(
      sse(['{"n":1}', 'event: usage\ndata: {"tokens":5}', 'data: [DONE]'], { delayMs: 40 }),
    );
    const res = await fetch(`${up.url}/stream`, { dispatcher: trusting() });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = res.body!.getReader();
    const first = await reader.read();
    const tFirst = Date.now(); // the first event is not held back until the end
    expect(new TextDecoder().decode(first.value)).toBe('data: {"n":1}\n\n');
    let rest = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      rest += new TextDecoder().decode(value);
    }
    expect(rest).toBe('event: usage\ndata: {"tokens":5}\n\ndata: [DONE]\n\n');
    expect(Date.now() - tFirst).toBeGreaterThanOrEqual(60);
  });

  it('sse() with cutBeforeEnd delivers the events, then the body fails', async () => {
    const up = await start(sse(['a', 'b'], { cutBeforeEnd: true }));
    const res = await fetch(`${up.url}/stream`, { dispatcher: trusting() });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let text = '';
    const err = await (async () => {
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return undefined;
          text += new TextDecoder().decode(value);
        }
      } catch (e) {
        return e;
      }
    })();
    expect(text).toBe('data: a\n\ndata: b\n\n');
    expect(err).toBeInstanceOf(Error);
  });

  it('hang() never answers, and close() still returns at once', async () => {
    const up = await start(hang());
    const err = await fetch(`${up.url}/`, {
      dispatcher: trusting(),
      signal: AbortSignal.timeout(150),
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as Error).name).toBe('TimeoutError');
    expect(up.requests).toHaveLength(1);

    // A request still hanging while the upstream closes.
    const pending = fetch(`${up.url}/again`, { dispatcher: trusting() }).then(
      () => 'answered',
      () => 'failed',
    );
    await waitFor(() => up.requests.length === 2);
    const t0 = Date.now();
    await up.close();
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(await pending).toBe('failed');
  });

  it('slowBody() sends headers at once and the chunks with pauses', async () => {
    const up = await start(slowBody(['ab', 'cd', 'ef'], 50, { contentType: 'text/plain' }));
    const res = await fetch(`${up.url}/`, { dispatcher: trusting() });
    const tHeaders = Date.now(); // headers come before the body's pauses
    expect(res.headers.get('content-type')).toBe('text/plain');
    expect(await res.text()).toBe('abcdef');
    expect(Date.now() - tHeaders).toBeGreaterThanOrEqual(100);
  });

  it('destroy() resets the connection', async () => {
    const up = await start(destroy());
    const err = await fetch(`${up.url}/`, { dispatcher: trusting() }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect(causeCode(err)).toMatch(/ECONNRESET|UND_ERR_SOCKET/);
    expect(up.requests).toHaveLength(1);
  });
});

async function waitFor(cond: () => boolean, timeoutMs = 2000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('waitFor: timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}
