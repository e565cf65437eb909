// Red team: request smuggling and header tricks on the agent socket, as raw bytes. Ambiguous body
// framing must be refused before anything is read as a second request; CR/LF/NUL must never make
// it into a header; routing, override, proxy and hop-by-hop headers (and whatever the assistant
// names in Connection) must not change what reaches the provider, and the integration's key is
// attached exactly once, by Tollgate. (test/daemon/process/bad-input.test.ts already covers the
// plain CL+TE pair, a 16 KiB header block and 10 000 headers; this goes beyond.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../daemon/errors.ts';
import { Harness } from '../helpers/harness.ts';
import { json, startUpstream, type Upstream } from '../helpers/upstream.ts';
import { braveLikeKey, exchange, expectRefusal, expectSound, expectUpstreamClean, hexKey, parseResponses, PURPOSE, rawCall, request } from './helpers.ts';

const CALL = '/v1/call/search/res/v1/web/search';
const FRAMING = /Content-Length, or Transfer-Encoding: chunked, never both|[Mm]alformed/;
/** A whole request, hidden in a body: if it were ever read as a request, the provider would see q=smuggled. */
const SMUGGLED = 'GET /v1/call/search/res/v1/web/search?q=smuggled HTTP/1.1\r\nHost: tollgate\r\nTollgate-Purpose: smuggled\r\n\r\n';

let h: Harness;
let evil: Upstream;
let key: string;
let otherKey: string;

beforeAll(async () => {
  h = await Harness.start();
  evil = await startUpstream(h.pki);
  // A provider that takes a moment for q=slow…: a call is then surely in flight when what follows it arrives.
  h.upstream.setHandler(async (req, res, body) => {
    if (req.url?.includes('q=slow')) await new Promise((r) => setTimeout(r, 300));
    return json(200, { ok: true })(req, res, body);
  });
  key = await h.addIntegration({
    routes: [{ method: 'GET', path: '/res/v1/web/search' }, { method: 'POST', path: '/res/v1/web/search' }],
  }, braveLikeKey());
  otherKey = await h.addIntegration({ name: 'other', auth: { type: 'bearer' } }, hexKey());
  expect((await h.call('search', '/res/v1/web/search?q=warmup')).status).toBe(200);
  expect((await h.call('other', '/res/v1/web/search?q=warmup')).status).toBe(200);
});
afterAll(async () => {
  await evil?.close();
  await h.close();
});

/** `bytes` get exactly one refusal (one of `codes`), the connection closes, and the provider gets nothing. */
async function refusedRaw(bytes: string, codes: ErrorCode | readonly ErrorCode[], message?: RegExp): Promise<void> {
  const before = h.upstream.requests.length;
  const x = await exchange(h.paths.agentSocket, bytes);
  expect(x.closed, 'the daemon closes the connection').toBe(true);
  const { responses, malformed } = parseResponses(x.data);
  expect(malformed).toBeNull();
  expect(responses.map((r) => r.status).filter((s) => s >= 200), `one answer to ${JSON.stringify(bytes.slice(0, 120))}`).toHaveLength(1);
  const r = responses.at(-1)!;
  expectRefusal(r, codes, [key, otherKey]);
  if (message) expect(r.json.error.message).toMatch(message);
  expect(h.upstream.requests.length, 'nothing reached the provider').toBe(before);
}

/** The last request the provider received, with its raw header names lower-cased. */
function lastUpstream() {
  const r = h.upstream.requests.at(-1)!;
  const names = r.rawHeaders.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
  return { ...r, names };
}

describe('conflicting body framing', () => {
  it('CL.TE: Content-Length first, a chunked body that ends early, a whole request after it', () =>
    refusedRaw(`POST ${CALL} HTTP/1.1\r\nHost: tollgate\r\nTollgate-Purpose: x\r\nContent-Length: ${5 + SMUGGLED.length}\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`, 'bad_request', FRAMING));

  it('TE.CL: chunked first, a Content-Length that ends inside the first chunk', () => {
    const chunk = `${SMUGGLED.length.toString(16)}\r\n${SMUGGLED}\r\n0\r\n\r\n`;
    return refusedRaw(`POST ${CALL} HTTP/1.1\r\nHost: tollgate\r\nTollgate-Purpose: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n${chunk}`, 'bad_request', FRAMING);
  });

  for (const [label, framing] of [
    ['Content-Length: 0 with chunked', 'Content-Length: 0\r\nTransfer-Encoding: chunked'],
    ['upper-case CHUNKED with Content-Length', 'Transfer-Encoding: CHUNKED\r\nContent-Length: 5'],
    ['a tab before chunked, with Content-Length', 'Transfer-Encoding:\tchunked\r\nContent-Length: 5'],
    ['chunked twice, with Content-Length', 'Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\nContent-Length: 5'],
    ['two Content-Lengths that differ', 'Content-Length: 5\r\nContent-Length: 6'],
    ['two equal Content-Lengths', 'Content-Length: 5\r\nContent-Length: 5'],
    ['a Content-Length list', 'Content-Length: 5, 6'],
    ['an equal Content-Length list', 'Content-Length: 5, 5'],
    ['a signed Content-Length', 'Content-Length: +5'],
    ['a negative Content-Length', 'Content-Length: -1'],
    ['a hex Content-Length', 'Content-Length: 0x5'],
    ['a Content-Length with a space inside', 'Content-Length: 5 5'],
    ['Transfer-Encoding: chunked, identity (chunked not last)', 'Transfer-Encoding: chunked, identity'],
    ['a coding after chunked', 'Transfer-Encoding: chunked, gzip'],
    ['an unknown coding alone', 'Transfer-Encoding: xchunked'],
    ['chunked then another Transfer-Encoding line', 'Transfer-Encoding: chunked\r\nTransfer-Encoding: identity'],
    ['a space before the colon', 'Transfer-Encoding : chunked'],
    ['obs-fold of Transfer-Encoding, with Content-Length', 'Content-Length: 5\r\nTransfer-Encoding:\r\n chunked'],
    ['obs-fold of Content-Length', 'Content-Length:\r\n 5'],
  ] as const) {
    it(label, () => refusedRaw(`POST ${CALL} HTTP/1.1\r\nHost: tollgate\r\nTollgate-Purpose: x\r\n${framing}\r\n\r\n5\r\nhello\r\n0\r\n\r\n${SMUGGLED}`, 'bad_request', FRAMING));
  }

  it('a compressed Transfer-Encoding before chunked: refused, the body could not be scanned', () =>
    refusedRaw(`POST ${CALL} HTTP/1.1\r\nHost: tollgate\r\nTollgate-Purpose: x\r\nTransfer-Encoding: gzip, chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n`, 'bad_request', /compressed/));

  for (const [label, body] of [
    ['a chunk size that overflows 64 bits', 'fffffffffffffffff\r\nhello\r\n0\r\n\r\n'],
    ['a negative chunk size', '-5\r\nhello\r\n0\r\n\r\n'],
    ['a chunk size with a space before it', ' 5\r\nhello\r\n0\r\n\r\n'],
    ['a chunk longer than its size', '2\r\nhello\r\n0\r\n\r\n'],
    ['a chunk line ended by a bare LF', '5\nhello\r\n0\r\n\r\n'],
  ] as const) {
    it(`chunked: ${label}`, () =>
      refusedRaw(`POST ${CALL} HTTP/1.1\r\nHost: tollgate\r\nTollgate-Purpose: x\r\nTransfer-Encoding: chunked\r\n\r\n${body}${SMUGGLED}`, 'bad_request'));
  }

  it('Transfer-Encoding: identity, chunked is unambiguous: the decoded body goes up once, re-framed by Tollgate', async () => {
    const r = await rawCall(h.paths.agentSocket, `POST ${CALL}?q=te HTTP/1.1\r\nHost: tollgate\r\nTollgate-Purpose: x\r\nTransfer-Encoding: identity, chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n`);
    if (r.status === 200) {
      const up = lastUpstream();
      expect(up.url).toBe('/res/v1/web/search?q=te');
      expect(up.body.toString()).toBe('hello');
      expect(up.headers['transfer-encoding'] ?? '').not.toMatch(/identity/);
    } else {
      expectRefusal(r, 'bad_request');
    }
  });

  it('chunk extensions and trailers: the trailers never reach the provider, not even a key in them', async () => {
    const before = h.upstream.requests.length;
    const body = `5;ext="a"\r\nhello\r\n0\r\nX-Subscription-Token: ${otherKey}\r\nHost: 127.0.0.1:${evil.port}\r\nX-Trailer-Canary: yes\r\n\r\n`;
    const r = await rawCall(h.paths.agentSocket, `POST ${CALL}?q=trailers HTTP/1.1\r\nHost: tollgate\r\nTollgate-Purpose: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${body}`);
    if (r.status === 200) {
      const up = lastUpstream();
      expect(up.body.toString()).toBe('hello');
      expect(up.names).not.toContain('x-trailer-canary');
      expect(up.headers['x-subscription-token']).toBe(key);
    } else {
      expectRefusal(r, ['bad_request', 'exfiltration_blocked']);
      expect(h.upstream.requests.length).toBe(before);
    }
  });

  it('pipelined requests are answered in order, each on its own merits; a body of Content-Length 0 smuggles nothing', async () => {
    const before = h.upstream.requests.length;
    const first = `POST ${CALL}?q=first HTTP/1.1\r\nHost: tollgate\r\nTollgate-Purpose: x\r\nContent-Length: 0\r\n\r\n`;
    // What follows is a second request; it is read as one and refused as one (an operator verb on the agent socket).
    const second = 'PATCH /v1/integrations/search HTTP/1.1\r\nHost: tollgate\r\nContent-Type: application/json\r\nContent-Length: 22\r\n\r\n{"monthlyCapUsd":1000}';
    const third = `GET ${CALL}/../../../v1/admin HTTP/1.1\r\nHost: tollgate\r\nTollgate-Purpose: x\r\nConnection: close\r\n\r\n`;
    const x = await exchange(h.paths.agentSocket, first + second + third);
    const { responses, malformed } = parseResponses(x.data);
    expect(malformed).toBeNull();
    expect(responses.map((r) => r.status)).toEqual([200, 400, 403]);
    expectRefusal(responses[1]!, 'bad_request');
    expectRefusal(responses[2]!, 'route_not_allowed');
    expect(h.upstream.requests.slice(before).map((r) => r.url)).toEqual(['/res/v1/web/search?q=first']);
    const i = await h.control('GET', '/v1/integrations/search');
    expect(i.json.integration.spec.monthlyCapUsd).toBe(10);
  });

  // Was a bug (daemon/server/agent-server.ts, the 'clientError' handler), fixed: when a malformed request is
  // pipelined behind a call still in flight, Node reports the parse error at once and rawRefusal()
  // writes its 400 straight on the socket and ends it. The 400 is the first (and only) answer on
  // the connection, so the client reads it as the answer to its first request, a call that did go
  // out to the provider and was charged (its real answer is dropped, the call recorded as cut).
  // Node's own default handler has the same hazard only once a response has started. Fix: when
  // the socket has a response in flight ((socket as any)._httpMessage, not yet finished), do not
  // write; mark it last (res.shouldKeepAlive = false) and let it finish, then close (the garbage
  // gets no answer, or its 400 after the first answer).
  it('a malformed request pipelined behind a call in flight does not take that call\'s answer', async () => {
    const before = h.upstream.requests.length;
    const x = await exchange(h.paths.agentSocket, `${request('GET', `${CALL}?q=slowpipe`, [PURPOSE, ['Connection', 'keep-alive']])}NOT HTTP AT ALL\r\n\r\n`);
    const { responses, malformed } = parseResponses(x.data);
    expect(malformed).toBeNull();
    const out = h.upstream.requests.length - before;
    // The first answer is the call's own (the provider's 200, or a refusal about the call), never the
    // garbage's "Malformed HTTP request"; a call that went out is answered.
    expect(responses.length, 'an answer at all').toBeGreaterThan(0);
    expect(responses[0]!.json?.error?.message ?? '', 'the first answer belongs to the first request').not.toMatch(/Malformed/);
    if (out === 1) expect(responses[0]!.status).toBe(200);
  });

  it('a client that half-closes right after its request: answered or cut, nothing left reserved', async () => {
    await exchange(h.paths.agentSocket, request('GET', `${CALL}?q=halfclose`, [PURPOSE, ['Connection', 'keep-alive']]), { end: true, deadlineMs: 3_000 });
    // The call may still be settling (the provider's answer to a client that left): wait for it, boundedly.
    let reserved: number[] = [];
    for (let i = 0; i < 100; i++) {
      reserved = (await h.control('GET', '/v1/spend')).json.integrations.map((x: { reservedUsd: number }) => x.reservedUsd);
      if (reserved.every((r) => r === 0)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(reserved.every((r) => r === 0), `still reserved: ${reserved}`).toBe(true);
  });
});

describe('CR, LF and NUL in headers', () => {
  for (const [label, line] of [
    ['a bare CR inside a value (a second header behind it)', 'X-Note: a\rX-Injected: yes'],
    ['a bare LF inside a value', 'X-Note: a\nX-Injected: yes'],
    ['a NUL inside a value', 'X-Note: a\x00b'],
    ['a bare CR in the purpose', 'Tollgate-Purpose: a\rX-Injected: yes'],
    ['a CR in a header name', 'X-No\rte: a'],
    ['a space inside a header name', 'X Note: a'],
    ['a header line without a colon', 'X-Injected yes'],
  ] as const) {
    it(label, () => refusedRaw(`GET ${CALL}?q=crlf HTTP/1.1\r\nHost: tollgate\r\nTollgate-Purpose: x\r\n${line}\r\nConnection: close\r\n\r\n`, 'bad_request'));
  }

  it('a raw CR LF in the request target ends the request line: the rest is that assistant\'s own headers, never a second request', async () => {
    // Node's parser reads "GET <target>" without a version as HTTP/0.9 and the next line as a header
    // (see the suite's notes: refusing versions other than 1.0/1.1 would be stricter). Either way
    // nothing but the approved route reaches the provider, once.
    const before = h.upstream.requests.length;
    const r = await rawCall(h.paths.agentSocket, `GET ${CALL}?q=a\r\nX-Injected: yes HTTP/1.1\r\nHost: tollgate\r\nTollgate-Purpose: x\r\nConnection: close\r\n\r\n`);
    if (r.status === 200) {
      expect(h.upstream.requests.slice(before).map((u) => `${u.method} ${u.url}`)).toEqual(['GET /res/v1/web/search?q=a']);
      expect(lastUpstream().headers['x-subscription-token']).toBe(key);
    } else {
      expectRefusal(r, 'bad_request');
      expect(h.upstream.requests.length).toBe(before);
    }
  });

  it('percent-encoded CR LF in the query and in a header value stay inert text upstream', async () => {
    const r = await rawCall(h.paths.agentSocket, request('GET', `${CALL}?q=a%0d%0aX-Injected:%20yes`, [PURPOSE, ['X-Note', 'a%0d%0aX-Injected: yes']]));
    expect(r.status).toBe(200);
    const up = lastUpstream();
    expect(up.url).toBe('/res/v1/web/search?q=a%0d%0aX-Injected:%20yes');
    expect(up.names).not.toContain('x-injected');
    expect(up.headers['x-note']).toBe('a%0d%0aX-Injected: yes');
  });

  it('a header value with bytes above 0x7f is refused or forwarded, never an upstream failure charged to the budget', async () => {
    const spentBefore = (await h.control('GET', '/v1/spend')).json.integrations.find((i: { name: string }) => i.name === 'search').spentUsd;
    const before = h.upstream.requests.length;
    const r = await rawCall(h.paths.agentSocket, request('GET', `${CALL}?q=obs-text`, [PURPOSE, ['X-Note', 'caf\xe9 \xff']]));
    if (r.status === 200) {
      expect(h.upstream.requests.length).toBe(before + 1);
    } else {
      expectRefusal(r, 'bad_request');
      expect(h.upstream.requests.length).toBe(before);
      const spent = (await h.control('GET', '/v1/spend')).json.integrations.find((i: { name: string }) => i.name === 'search').spentUsd;
      expect(spent).toBe(spentBefore);
    }
  });
});

describe('Host', () => {
  it("two Host headers, or one naming another server: the provider's own host is what it gets", async () => {
    for (const hosts of [[['Host', 'tollgate'], ['Host', 'evil.example']], [['Host', 'evil.example']], [['Host', `127.0.0.1:${evil.port}`]]] as [string, string][][]) {
      const before = h.upstream.requests.length;
      const r = await rawCall(h.paths.agentSocket, request('GET', `${CALL}?q=host`, [...hosts, PURPOSE]));
      if (r.status === 200) {
        expect(h.upstream.requests.length).toBe(before + 1);
        const up = lastUpstream();
        expect(up.headers.host).toBe(`127.0.0.1:${h.upstream.port}`);
        expect(up.names.filter((n) => n === 'host')).toHaveLength(1);
      } else {
        expectRefusal(r, 'bad_request');
        expect(h.upstream.requests.length).toBe(before);
      }
    }
    expect(evil.requests).toHaveLength(0);
  });

  // Was a bug (daemon/server/agent-server.ts), fixed: two refusals are made by Node itself, before Tollgate sees
  // the request, and so break the agent API's contract (Tollgate-Error header and a JSON error body
  // that says what to do): an HTTP/1.1 request without Host gets a bare "400 Bad Request" with an
  // empty chunked body (Node's requireHostHeader), and an Expect other than 100-continue a bare
  // "417 Expectation Failed" (no 'checkExpectation' listener; 417 is not even in the error table).
  // No call is made in either case, so nothing is lost; the assistant just gets no reason.
  // The fix: `requireHostHeader: false` in createServer's options (a Unix socket has no host to check;
  // Host is dropped before forwarding anyway), and a 'checkExpectation' listener that answers with
  // writeRefusal(bad_request) (or handles the request and ignores Expect, which is dropped too).
  it('no Host header at all: a refusal in the agent API contract', () =>
    refusedRaw(`GET ${CALL}?q=nohost HTTP/1.1\r\nTollgate-Purpose: x\r\nConnection: close\r\n\r\n`, 'bad_request'));

  it('an Expect other than 100-continue: a refusal in the agent API contract', () =>
    refusedRaw(request('GET', `${CALL}?q=expect`, [PURPOSE, ['Expect', 'something-else']]), 'bad_request'));
});

describe('oversized and repeated headers', () => {
  it('a request line over the header limit', () =>
    refusedRaw(`GET ${CALL}?q=${'a'.repeat(20 * 1024)} HTTP/1.1\r\nHost: tollgate\r\nTollgate-Purpose: x\r\n\r\n`, 'bad_request', /larger than 16 KiB/));

  it('two purposes: refused, or recorded as the two together (nothing hidden from the audit)', async () => {
    // requirePurpose means to refuse a repeated header, but Node joins repeats with ", " before it
    // looks (see the suite's notes). Harmless: the audit shows both.
    const r = await rawCall(h.paths.agentSocket, request('GET', `${CALL}?q=two`, [PURPOSE, ['Tollgate-Purpose', 'another reason']]));
    if (r.status === 200) {
      const audit = await h.control('GET', '/v1/audit?limit=1');
      expect(audit.json.records[0].purpose).toBe(`${PURPOSE[1]}, another reason`);
    } else {
      expectRefusal(r, 'bad_request');
    }
  });

  it('a hundred X-Forwarded-For and Cookie lines are dropped, not forwarded', async () => {
    const many: [string, string][] = Array.from({ length: 100 }, (_, i) => [i % 2 ? 'X-Forwarded-For' : 'Cookie', `v${i}`]);
    const r = await rawCall(h.paths.agentSocket, request('GET', `${CALL}?q=many`, [PURPOSE, ...many]));
    expect(r.status).toBe(200);
    expect(lastUpstream().names).not.toEqual(expect.arrayContaining(['x-forwarded-for']));
    expect(lastUpstream().names).not.toContain('cookie');
  });
});

describe('override, routing, proxy and hop-by-hop headers', () => {
  const overrides: [string, string][] = [
    ['X-HTTP-Method-Override', 'DELETE'],
    ['X-HTTP-Method', 'PUT'],
    ['X-Method-Override', 'PATCH'],
    ['X-Original-URL', '/admin/keys'],
    ['X-Rewrite-URL', '/admin/keys'],
    ['X-Forwarded-Host', 'evil.example'],
    ['X-Forwarded-For', '10.0.0.1'],
    ['X-Forwarded-Proto', 'http'],
    ['X-Forwarded-Prefix', '/admin'],
    ['X-Forwarded-Port', '8443'],
    ['Forwarded', 'for=10.0.0.1;host=evil.example;proto=http'],
    ['Via', '1.1 evil.example'],
    ['X-Real-IP', '10.0.0.1'],
    ['True-Client-IP', '10.0.0.1'],
    ['CF-Connecting-IP', '10.0.0.1'],
    ['X-Client-IP', '10.0.0.1'],
    ['Proxy-Authorization', 'Basic ZXZpbDpldmls'],
    ['Proxy-Connection', 'keep-alive'],
    ['Authorization', 'Bearer assistant-made-up'],
    ['Cookie', 'session=assistant-made-up'],
    ['X-Subscription-Token', 'assistant-made-up'],
    ['x-SUBSCRIPTION-token', 'assistant-made-up-2'],
    ['Tollgate-Integration', 'other'],
    ['Tollgate-Cap-Usd', '1000'],
    ['TE', 'trailers'],
    ['Trailer', 'X-Subscription-Token'],
    ['Keep-Alive', 'timeout=600'],
    ['Expect', '100-continue'],
  ];

  it('change neither the method, the path nor the key that reach the provider, and none is forwarded', async () => {
    const before = h.upstream.requests.length;
    const r = await rawCall(h.paths.agentSocket, request('GET', `${CALL}?q=overrides`, [PURPOSE, ...overrides]));
    expect(r.status, r.text).toBe(200);
    expect(h.upstream.requests.length).toBe(before + 1);
    const up = lastUpstream();
    expect(up.method).toBe('GET');
    expect(up.url).toBe('/res/v1/web/search?q=overrides');
    expect(up.headers['x-subscription-token']).toBe(key);
    expect(up.names.filter((n) => n === 'x-subscription-token')).toHaveLength(1);
    for (const [name] of overrides) {
      if (name.toLowerCase() === 'x-subscription-token') continue;
      expect(up.names, `${name} reached the provider`).not.toContain(name.toLowerCase());
    }
    expect(up.headers.host).toBe(`127.0.0.1:${h.upstream.port}`);
    expect(JSON.stringify(up.rawHeaders)).not.toContain('assistant-made-up');
  });

  it('Connection naming the auth header cannot strip the key (header auth)', async () => {
    const r = await rawCall(h.paths.agentSocket, request('GET', `${CALL}?q=conn`, [PURPOSE, ['Connection', 'close, x-subscription-token, x-custom'], ['X-Custom', 'v'], ['X-Subscription-Token', 'made-up']]));
    expect(r.status).toBe(200);
    const up = lastUpstream();
    expect(up.headers['x-subscription-token']).toBe(key);
    expect(up.names).not.toContain('x-custom');
    expect(up.headers.connection ?? '').not.toMatch(/x-subscription-token/i);
  });

  it('Connection naming Authorization cannot strip the key (bearer auth)', async () => {
    const r = await rawCall(h.paths.agentSocket, request('GET', '/v1/call/other/res/v1/web/search?q=conn', [PURPOSE, ['Connection', 'authorization, close'], ['Authorization', 'Bearer made-up']]));
    expect(r.status).toBe(200);
    const up = lastUpstream();
    expect(up.headers.authorization).toBe(`Bearer ${otherKey}`);
    expect(up.headers.connection ?? '').not.toMatch(/authorization/i);
  });

  it('Connection naming Tollgate-Purpose or Host changes nothing', async () => {
    const r = await rawCall(h.paths.agentSocket, request('GET', `${CALL}?q=conn2`, [PURPOSE, ['Connection', 'tollgate-purpose, host, close']]));
    expect(r.status).toBe(200);
    expect(lastUpstream().headers.host).toBe(`127.0.0.1:${h.upstream.port}`);
  });

  it('an Upgrade (h2c, websocket) is not passed on', async () => {
    for (const upgrade of [[['Upgrade', 'h2c'], ['HTTP2-Settings', 'AAMAAABkAAQAAP__']], [['Upgrade', 'websocket'], ['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ=='], ['Sec-WebSocket-Version', '13']]] as [string, string][][]) {
      const before = h.upstream.requests.length;
      const x = await exchange(h.paths.agentSocket, request('GET', `${CALL}?q=upgrade`, [PURPOSE, ['Connection', 'Upgrade, close'], ...upgrade]), { deadlineMs: 3_000 });
      const { responses, malformed } = parseResponses(x.data);
      expect(malformed).toBeNull();
      for (const r of responses) expect(r.status, 'never 101 Switching Protocols').not.toBe(101);
      for (const up of h.upstream.requests.slice(before)) {
        const names = up.rawHeaders.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
        expect(names).not.toContain('upgrade');
        expect(names).not.toContain('http2-settings');
      }
    }
  });

  it('methods that are not HTTP, or not upper case, are refused by the parser', async () => {
    for (const method of ['get', 'G\x00T', 'GET\t', 'BREW']) {
      await refusedRaw(`${method} ${CALL}?q=m HTTP/1.1\r\nHost: tollgate\r\nTollgate-Purpose: x\r\nConnection: close\r\n\r\n`, 'bad_request');
    }
    // A real method without a route: refused by the route check, never forwarded.
    await refusedRaw(request('TRACE', `${CALL}?q=m`, [PURPOSE]), 'route_not_allowed');
  });
});

describe('after the storm', () => {
  it('the provider saw only the approved route, keys only in their own auth header; the other host nothing', () => {
    expectUpstreamClean(h.upstream.requests, {
      keys: { search: { key, header: 'x-subscription-token' }, other: { key: otherKey, header: 'authorization' } },
      allowedPath: /^\/res\/v1\/web\/search$/,
      never: ['q=smuggled', 'assistant-made-up'],
    });
    expect(evil.requests).toHaveLength(0);
  });

  it('nothing lost, nothing leaked, still healthy', () =>
    expectSound(h, { secrets: [key, otherKey], call: ['search', '/res/v1/web/search?q=after'] }));
});
