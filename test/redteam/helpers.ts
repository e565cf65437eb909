// Shared tools of the red-team suite: raw bytes on the agent socket, a strict parser of what comes
// back, the refusal contract, and the end-of-file checks every hostile file ends with: nothing
// lost (no reservation left open, the audit chain verifies), nothing leaked (no key in any reply,
// audit record, alert, notification, proposal or file the daemon wrote; the provider got only what
// it may get), and the daemon healthy (health 200 on both sockets, a normal call still works).
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { expect } from 'vitest';
import { ERRORS, type ErrorCode } from '../../daemon/errors.ts';
import { Harness, toReply } from '../helpers/harness.ts';
import type { RecordedRequest } from '../helpers/upstream.ts';

// --- keys that look like real ones ----------------------------------------------------------------

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function randomFrom(alphabet: string, n: number): string {
  const bytes = randomBytes(n);
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
}

/** A Brave-Search-like key: "BSA" and 28 mixed-case letters and digits. */
export const braveLikeKey = (): string => `BSA${randomFrom(ALNUM, 28)}`;
/** A Serper-like key: 40 lower-case hex digits (which is also a valid integration name). */
export const hexKey = (): string => randomBytes(20).toString('hex');

/** A daemon with one integration, "search" (GET and POST on Brave's web search route, a Brave-like key), warmed up by one good call. */
export async function startSearch(): Promise<{ h: Harness; key: string }> {
  const h = await Harness.start();
  const key = await h.addIntegration({
    routes: [{ method: 'GET', path: '/res/v1/web/search' }, { method: 'POST', path: '/res/v1/web/search' }],
  }, braveLikeKey());
  expect((await h.call('search', '/res/v1/web/search?q=warmup')).status).toBe(200);
  return { h, key };
}

// --- raw bytes on a socket ------------------------------------------------------------------------

export interface Exchange {
  /** Everything the daemon sent. */
  data: Buffer;
  /** The daemon closed the connection (false: our deadline ran out first). */
  closed: boolean;
  /** Errors on our side of the socket (EPIPE, ECONNRESET once the daemon hung up). */
  errors: string[];
}

/** Bytes as written in a test: a JS string is taken byte for byte (latin1), so "\xc0\xae" is two raw bytes. */
export const bytes = (s: string | Buffer): Buffer => (typeof s === 'string' ? Buffer.from(s, 'latin1') : s);

/**
 * Connects to `socketPath`, writes `payload` (then half-closes if `end`, or `endAfterMs` later: Node
 * reads a client's FIN as "abort what is in flight", so at once only for bytes that are not a
 * request to answer) and collects the answer until the daemon closes the connection or
 * `deadlineMs` passes.
 */
export function exchange(socketPath: string, payload: string | Buffer, opts: { deadlineMs?: number; end?: boolean; endAfterMs?: number } = {}): Promise<Exchange> {
  const { deadlineMs = 5_000, end = false, endAfterMs } = opts;
  return new Promise((resolve) => {
    const s = net.connect(socketPath);
    const chunks: Buffer[] = [];
    const errors: string[] = [];
    const timer = setTimeout(() => {
      s.destroy();
      resolve({ data: Buffer.concat(chunks), closed: false, errors });
    }, deadlineMs);
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('error', (e: NodeJS.ErrnoException) => errors.push(e.code ?? e.message));
    s.on('close', () => {
      clearTimeout(timer);
      resolve({ data: Buffer.concat(chunks), closed: true, errors });
    });
    s.on('connect', () => {
      s.write(bytes(payload), () => {
        if (end) s.end();
        // A FIN later: lets a whole request be answered first, and still ends one that never will be.
        else if (endAfterMs !== undefined) setTimeout(() => s.end(), endAfterMs).unref();
      });
    });
  });
}

export interface Parsed {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  text: string;
  json: any;
}

export interface ParseResult {
  responses: Parsed[];
  /** Why the bytes are not a sequence of well-formed HTTP/1.1 responses, or null. */
  malformed: string | null;
}

const STATUS_LINE = /^HTTP\/1\.1 (\d{3}) [\x20-\x7e]*$/;
const HEADER_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+): ?([\x20-\x7e\t]*)$/;

/**
 * Reads `data` as HTTP/1.1 responses, strictly: status line, header lines, and a body framed by
 * Content-Length, chunked encoding, or the end of the connection. Interim 1xx answers are kept.
 * (Not for answers to HEAD, whose Content-Length frames no body.)
 */
export function parseResponses(data: Buffer): ParseResult {
  const responses: Parsed[] = [];
  let at = 0;
  const fail = (why: string): ParseResult => ({ responses, malformed: `${why} at byte ${at}: ${JSON.stringify(data.subarray(at, at + 120).toString('latin1'))}` });
  while (at < data.length) {
    const headEnd = data.indexOf('\r\n\r\n', at);
    if (headEnd < 0) return fail('an incomplete response head');
    const [statusLine = '', ...lines] = data.subarray(at, headEnd).toString('latin1').split('\r\n');
    const m = STATUS_LINE.exec(statusLine);
    if (!m) return fail('not a status line');
    const status = Number(m[1]);
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const h = HEADER_LINE.exec(line);
      if (!h) return fail(`not a header line (${JSON.stringify(line)})`);
      const name = h[1]!.toLowerCase();
      headers[name] = headers[name] === undefined ? h[2]!.trim() : `${headers[name]}, ${h[2]!.trim()}`;
    }
    at = headEnd + 4;
    let body: Buffer;
    if (status < 200 || status === 204 || status === 304) {
      body = Buffer.alloc(0);
    } else if (/\bchunked\b/i.test(headers['transfer-encoding'] ?? '')) {
      const parts: Buffer[] = [];
      for (;;) {
        const lineEnd = data.indexOf('\r\n', at);
        if (lineEnd < 0) return fail('an incomplete chunk size line');
        const size = /^([0-9a-fA-F]+)(;[^\r\n]*)?$/.exec(data.subarray(at, lineEnd).toString('latin1'));
        if (!size) return fail('not a chunk size line');
        const n = parseInt(size[1]!, 16);
        at = lineEnd + 2;
        if (n === 0) {
          // Trailers, then an empty line.
          for (;;) {
            const tEnd = data.indexOf('\r\n', at);
            if (tEnd < 0) return fail('incomplete trailers');
            const t = data.subarray(at, tEnd).toString('latin1');
            at = tEnd + 2;
            if (t === '') break;
            if (!HEADER_LINE.test(t)) return fail('not a trailer line');
          }
          break;
        }
        if (at + n + 2 > data.length) return fail('a truncated chunk');
        parts.push(data.subarray(at, at + n));
        if (data.subarray(at + n, at + n + 2).toString('latin1') !== '\r\n') return fail('a chunk without its CRLF');
        at += n + 2;
      }
      body = Buffer.concat(parts);
    } else if (headers['content-length'] !== undefined) {
      if (!/^\d+$/.test(headers['content-length'])) return fail('an invalid Content-Length');
      const n = Number(headers['content-length']);
      if (at + n > data.length) return fail('a body shorter than its Content-Length');
      body = data.subarray(at, at + n);
      at += n;
    } else {
      body = data.subarray(at);
      at = data.length;
    }
    responses.push({ ...toReply(status, headers, body), headers });
  }
  return { responses, malformed: null };
}

/** Writes one request with `Connection: close` and returns the daemon's (single, final) answer. */
export async function rawCall(socketPath: string, request: string | Buffer): Promise<Parsed> {
  const x = await exchange(socketPath, request);
  const { responses, malformed } = parseResponses(x.data);
  expect(malformed, 'the daemon answers with well-formed HTTP').toBeNull();
  const finals = responses.filter((r) => r.status >= 200);
  expect(finals.length, `one answer, got ${JSON.stringify(x.data.toString('latin1').slice(0, 300))}`).toBe(1);
  return finals[0]!;
}

/** A request line and headers, as bytes: `Host` and `Connection: close` are added unless given. */
export function request(method: string, target: string, headers: Array<[string, string]> = [], body = ''): string {
  const names = new Set(headers.map(([n]) => n.toLowerCase()));
  const all: Array<[string, string]> = [
    ...(names.has('host') ? [] : [['Host', 'tollgate'] as [string, string]]),
    ...headers,
    ...(names.has('connection') ? [] : [['Connection', 'close'] as [string, string]]),
    ...(body && !names.has('content-length') && !names.has('transfer-encoding') ? [['Content-Length', String(Buffer.byteLength(body, 'latin1'))] as [string, string]] : []),
  ];
  return `${method} ${target} HTTP/1.1\r\n${all.map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\n${body}`;
}

export const PURPOSE: [string, string] = ['Tollgate-Purpose', 'red team: hostile input'];

// --- the refusal contract -------------------------------------------------------------------------

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: any;
}

/**
 * A refusal of Tollgate's own: the status of its code, the Tollgate-Error header, and
 * {"error":{code,message,requestId}}. `codes` lists the acceptable ones (several where two checks
 * may fairly catch the same trick first). Returns the code.
 */
export function expectRefusal(r: Answer, codes: ErrorCode | readonly ErrorCode[], secrets: readonly string[] = []): ErrorCode {
  const list: readonly ErrorCode[] = typeof codes === 'string' ? [codes] : codes;
  const code = r.headers['tollgate-error'] as ErrorCode;
  expect(list, `refused with one of ${list.join(', ')}; got ${r.status} ${r.text.slice(0, 300)}`).toContain(code);
  expect(r.status).toBe(ERRORS[code].status);
  expect(r.json?.error?.code).toBe(code);
  expect(typeof r.json?.error?.message).toBe('string');
  expect(r.json.error.message.length).toBeGreaterThan(20);
  expect(r.json.error.requestId).toMatch(/^[0-9a-f-]{36}$/);
  for (const s of secrets) expect(r.text, 'the refusal does not repeat a key').not.toContain(s);
  return code;
}

// --- nothing lost, nothing leaked, still healthy --------------------------------------------------

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    const st = statSync(p);
    return st.isDirectory() ? filesUnder(p) : st.isFile() ? [p] : [];
  });
}

/** Where each secret shows up among what the daemon wrote down or said to the operator. */
export async function leaksOf(h: Harness, secrets: readonly string[]): Promise<string[]> {
  const places: [string, string][] = [
    ['audit export', (await h.control('GET', '/v1/audit/export')).text],
    ['alerts', (await h.control('GET', '/v1/alerts?limit=1000')).text],
    ['proposals', (await h.control('GET', '/v1/proposals')).text],
    ['notifications', JSON.stringify(h.notifications)],
    ...filesUnder(h.home).filter((f) => !f.includes('/pki/')).map((f): [string, string] => [f, readFileSync(f).toString('latin1')]),
  ];
  const found: string[] = [];
  for (const s of secrets) {
    for (const [where, text] of places) if (text.includes(s)) found.push(`${s.slice(0, 6)}… in ${where}`);
  }
  return found;
}

export interface UpstreamRule {
  /** Integration name → its key; its key may reach the provider only in that integration's auth header. */
  keys: Record<string, { key: string; header: string }>;
  /** Every path (before '?') the provider may see. */
  allowedPath: RegExp;
  /** Strings that must never reach the provider in any form we can see (other keys, canaries). */
  never?: readonly string[];
}

/** Checks everything the provider received: allowed paths only, keys only where they belong. */
export function expectUpstreamClean(requests: readonly RecordedRequest[], rule: UpstreamRule): void {
  const allKeys = Object.values(rule.keys).map((k) => k.key);
  for (const r of requests) {
    const path = r.url.split('?', 1)[0]!;
    expect(path, `the provider was sent ${r.method} ${r.url}`).toMatch(rule.allowedPath);
    expect(path.split('/'), 'no dot segment ever reaches the provider').not.toContain('..');
    const seen = [r.url, ...r.rawHeaders, r.body.toString('latin1')].join('\n');
    const decoded = safeDecode(seen);
    for (const key of [...allKeys, ...(rule.never ?? [])]) {
      // Attached by Tollgate: the auth header of an integration whose key this is.
      const legit = Object.values(rule.keys).some((k) => k.key === key && String(r.headers[k.header.toLowerCase()] ?? '').includes(key)) ? 1 : 0;
      const count = seen.split(key).length - 1;
      // The one attached key appears exactly once (its header); nothing else carries any key.
      expect(count, `${key.slice(0, 6)}… reached the provider ${count} times in ${r.method} ${r.url}`).toBe(legit);
      expect(decoded.split(key).length - 1).toBe(legit);
    }
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * The end-of-file checks: nothing reserved, the chain verifies, no secret anywhere, both sockets
 * healthy, and a normal call (`call` = [integration, path]) still answered by the provider.
 */
export async function expectSound(h: Harness, opts: { secrets: readonly string[]; call: [string, string] }): Promise<void> {
  expect((await h.agent('GET', '/v1/health')).status).toBe(200);
  expect((await h.control('GET', '/v1/health')).status).toBe(200);

  const before = h.upstream.requests.length;
  const r = await h.call(opts.call[0], opts.call[1]);
  expect(r.status, r.text).toBe(200);
  expect(h.upstream.requests.length).toBe(before + 1);

  const spend = await h.control('GET', '/v1/spend');
  expect(spend.status).toBe(200);
  for (const i of spend.json.integrations as { name: string; reservedUsd: number }[]) {
    expect(i.reservedUsd, `${i.name} has nothing reserved after the storm`).toBe(0);
  }
  const verify = await h.control('GET', '/v1/audit/verify');
  expect(verify.json, 'the audit chain verifies').toMatchObject({ ok: true });

  expect(await leaksOf(h, opts.secrets)).toEqual([]);
}
