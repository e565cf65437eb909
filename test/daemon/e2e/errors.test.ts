// Every code of the SPEC's error table, provoked for real through the agent socket: the status,
// the Tollgate-Error header, the {"error":{code,message,requestId}} body, a message that tells the
// assistant what to do, the audit record of the refusal, and whether the provider was reached.
import { generateKeyPairSync } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import keytar from 'keytar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../../daemon/errors.ts';
import { ERRORS, retryCannotHelp } from '../../../daemon/errors.ts';
import { Harness, type Reply, toReply } from '../../helpers/harness.ts';
import { destroy, type Handler, hang, json, slowBody } from '../../helpers/upstream.ts';

/** What each code's message must tell the assistant to do (beyond saying what went wrong). */
// Made up, in the AWS access key id format (AWS's own documentation example is a placeholder, and is let through).
const AWS_KEY_ID = `AKIA${'Q3EGRRTK5VZM7XWP'}`;

const GUIDANCE: Record<ErrorCode, RegExp> = {
  bad_request: /send|use|write|check|say|percent-encode|serves|remove/i,
  purpose_required: /send a Tollgate-Purpose header/i,
  budget_exhausted: /wait for the reset|propose a higher cap/i,
  not_allowlisted: /GET \/v1\/integrations|propose a new integration/i,
  route_not_allowed: /use one of (its|the integration's) listed routes|Its routes:/i,
  model_not_allowed: /use one of them|use one of its models/i,
  exfiltration_blocked: /remove it/i,
  body_too_large: /send a smaller body/i,
  rate_limited: /wait .*then try again/i,
  upstream_error: /try (again )?later|report it|ask for/i,
  integration_suspended: /only the operator can resume|operator has to set/i,
  upstream_unavailable: /try again/i,
  keychain_unavailable: /try again|operator has been told/i,
  audit_unavailable: /no call is made|operator has been told/i,
  ledger_unavailable: /operator has been told|operator sets one up/i,
  upstream_timeout: /try again later/i,
};

/** Asserts a Tollgate refusal as the SPEC's agent API promises it; returns its request id. */
function expectRefusal(r: Reply, code: ErrorCode, secrets: readonly string[] = []): string {
  expect({ status: r.status, header: r.headers['tollgate-error'] }, r.text).toEqual({ status: ERRORS[code].status, header: code });
  expect(r.headers['content-type']).toMatch(/^application\/json/);
  // SDKs retry 4xx/5xx answers by themselves unless told that it cannot help.
  expect(r.headers['x-should-retry']).toBe(retryCannotHelp(code) ? 'false' : undefined);
  const requestId = r.headers['tollgate-request-id'];
  expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
  expect(Object.keys(r.json)).toEqual(['error']);
  expect(Object.keys(r.json.error).sort()).toEqual(['code', 'message', 'requestId']);
  expect(r.json.error.code).toBe(code);
  expect(r.json.error.requestId).toBe(requestId);
  expect(typeof r.json.error.message).toBe('string');
  expect(r.json.error.message).toMatch(GUIDANCE[code]);
  for (const s of secrets) expect(r.text).not.toContain(s);
  return requestId as string;
}

interface AuditRow {
  requestId: string;
  integration: string;
  outcome: string;
  code: string | null;
  status: number | null;
  costUsd: number;
  path: string;
  purpose: string;
}

/** The audit record of one request (by its Tollgate-Request-Id). */
async function auditOf(h: Harness, requestId: string): Promise<AuditRow> {
  const r = await h.control('GET', '/v1/audit?limit=1000');
  expect(r.status).toBe(200);
  const rec = (r.json.records as AuditRow[]).find((x) => x.requestId === requestId);
  expect(rec, `no audit record for ${requestId}`).toBeDefined();
  return rec!;
}

async function expectAudited(h: Harness, requestId: string, code: ErrorCode, fields: Partial<AuditRow> = {}): Promise<AuditRow> {
  const rec = await auditOf(h, requestId);
  const refused = !['upstream_error', 'upstream_timeout', 'upstream_unavailable'].includes(code) || fields.outcome === 'refused';
  expect(rec).toMatchObject({ code, outcome: refused ? 'refused' : 'error', ...fields });
  return rec;
}

/** A request written exactly as given (no URL normalisation): `..`, `%2e%2e`, absolute-form. */
function rawAgent(h: Harness, method: string, target: string, headers: Record<string, string> = {}, body?: string | Buffer): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: h.paths.agentSocket, method, path: target, headers: { host: 'tollgate', ...headers }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => resolve(toReply(res.statusCode ?? 0, res.headers, Buffer.concat(chunks))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Bytes written straight on the socket, for requests no HTTP client would send. */
function rawBytes(h: Harness, bytes: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(h.paths.agentSocket);
    const chunks: Buffer[] = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const [head = '', ...rest] = raw.split('\r\n\r\n');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const l of lines) {
        const i = l.indexOf(':');
        headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
      }
      resolve(toReply(Number(statusLine.split(' ')[1]), headers, Buffer.from(rest.join('\r\n\r\n'))));
    });
    socket.write(bytes);
  });
}

/** A daemon with one integration, "search", that has made one good call (its new-route alert is behind it). */
async function warmHarness(): Promise<Harness> {
  const h = await Harness.start({ handler: json(200, { ok: true }) });
  await h.addIntegration();
  expect((await h.call('search', '/res/v1/web/search?q=warmup')).status).toBe(200);
  return h;
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Answers with headers and part of a declared body, then resets the TCP connection. */
function resetMidBody(total: number, sent: number): Handler {
  return (req, res, body) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(total) });
    res.write(Buffer.alloc(sent, 0x61), () => setTimeout(() => void destroy()(req, res, body), 50));
  };
}

/** Hangs until release() is called, then answers 200. */
function held(): { handler: Handler; release: () => void } {
  const waiting: http.ServerResponse[] = [];
  return {
    handler: (_req, res) => void waiting.push(res),
    release: () => {
      for (const res of waiting.splice(0)) res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    },
  };
}

const MINUTE = 60_000;

describe('refusals decided from the request alone', () => {
  let h: Harness;
  let key: string;
  let otherKey: string;

  beforeAll(async () => {
    h = await Harness.start({ handler: json(200, { ok: true }) });
    key = await h.addIntegration({
      routes: [{ method: 'GET', path: '/res/v1/web/search' }, { method: 'POST', path: '/v1/extract' }],
    });
    otherKey = await h.addIntegration({ name: 'other', auth: { type: 'bearer' } });
    // Each integration's first use raises its new-route alert (information) here, not in a test below.
    expect((await h.call('search', '/res/v1/web/search?q=warmup')).status).toBe(200);
  });
  afterAll(() => h.close());

  describe('bad_request', () => {
    it('a purpose header longer than 200 characters', async () => {
      const before = h.upstream.requests.length;
      const r = await h.call('search', '/res/v1/web/search?q=x', { headers: { 'tollgate-purpose': 'p'.repeat(201) } });
      const id = expectRefusal(r, 'bad_request');
      expect(r.json.error.message).toMatch(/Tollgate-Purpose/);
      await expectAudited(h, id, 'bad_request', { integration: 'search' });
      expect(h.upstream.requests.length).toBe(before);
    });

    it('a purpose header with a control character', async () => {
      const before = h.upstream.requests.length;
      const r = await h.call('search', '/res/v1/web/search?q=x', { headers: { 'tollgate-purpose': 'look\tsomething up' } });
      const id = expectRefusal(r, 'bad_request');
      expect(r.json.error.message).toMatch(/control characters/);
      await expectAudited(h, id, 'bad_request');
      expect(h.upstream.requests.length).toBe(before);
    });

    it('an unknown agent route, and an operator verb tried on the agent socket', async () => {
      const before = h.upstream.requests.length;
      for (const [method, path] of [['GET', '/v1/keys'], ['POST', '/v1/integrations/search/resume'], ['PUT', '/v1/integrations/search/key']] as const) {
        const r = await h.agent(method, path, { headers: { 'content-type': 'application/json' }, body: method === 'GET' ? undefined : '{"key":"x"}' });
        expectRefusal(r, 'bad_request');
        expect(r.json.error.message).toMatch(/serves GET \/v1\/health/);
        expect(r.json.error.message).toMatch(/Operator actions are not available here/);
      }
      expect(h.upstream.requests.length).toBe(before);
      // The operator side saw nothing happen.
      const i = await h.control('GET', '/v1/integrations/search');
      expect(i.json.integration.status).toBe('active');
    });

    it('an absolute-form request target (the agent socket is not a proxy)', async () => {
      const before = h.upstream.requests.length;
      for (const target of [`${h.upstream.url}/res/v1/web/search?q=x`, 'http://tollgate/v1/call/search/res/v1/web/search?q=x', '*', '//evil.example/v1/call/search/res/v1/web/search']) {
        const r = await rawAgent(h, 'GET', target, { 'tollgate-purpose': 'testing Tollgate' });
        const id = expectRefusal(r, 'bad_request');
        expect(r.json.error.message).toMatch(/must be a path such as \/v1\/call\/<name>\/<path>/);
        // A proxy attempt is written down like any refused call, without the target it named.
        const rec = await expectAudited(h, id, 'bad_request', { integration: '(invalid name)', path: '(not a path)' });
        expect(JSON.stringify(rec)).not.toContain('evil.example');
      }
      // Authority-form is refused by the HTTP parser itself, with the same contract.
      // A client set up to use the socket as an HTTPS proxy sends CONNECT: it hears why not.
      const connect = await rawBytes(h, `CONNECT 127.0.0.1:${h.upstream.port} HTTP/1.1\r\nHost: 127.0.0.1:${h.upstream.port}\r\n\r\n`);
      expectRefusal(connect, 'bad_request');
      expect(connect.json.error.message).toMatch(/not a proxy/);
      const authority = await rawBytes(h, `GET 127.0.0.1:${h.upstream.port} HTTP/1.1\r\nHost: tollgate\r\n\r\n`);
      expectRefusal(authority, 'bad_request');
      expect(h.upstream.requests.length).toBe(before);
    });

    it('a request that is not valid HTTP still gets a request id', async () => {
      const r = await rawBytes(h, 'GET /v1/health HTTP/1.1\r\nHost: tollgate\r\nNot a header line\r\n\r\n');
      expectRefusal(r, 'bad_request');
    });
  });

  describe('purpose_required', () => {
    for (const [label, headers] of [
      ['no Tollgate-Purpose header', {}],
      ['an empty one', { 'tollgate-purpose': '' }],
      ['one of blanks', { 'tollgate-purpose': '   ' }],
    ] as const) {
      it(label, async () => {
        const before = h.upstream.requests.length;
        const r = await h.agent('GET', '/v1/call/search/res/v1/web/search?q=x', { headers });
        const id = expectRefusal(r, 'purpose_required');
        await expectAudited(h, id, 'purpose_required', { integration: 'search', purpose: '' });
        expect(h.upstream.requests.length).toBe(before);
      });
    }
  });

  describe('not_allowlisted', () => {
    it('an unknown name, recorded as a policy violation', async () => {
      const before = h.upstream.requests.length;
      const r = await h.call('brave-search', '/res/v1/web/search?q=x');
      const id = expectRefusal(r, 'not_allowlisted');
      expect(r.json.error.message).toMatch(/policy violation/);
      await expectAudited(h, id, 'not_allowlisted', { integration: 'brave-search' });
      expect(h.upstream.requests.length).toBe(before);
      const alerts = await h.control('GET', '/v1/alerts');
      expect(alerts.json.alerts.some((a: { kind: string; dedupeKey: string }) => a.kind === 'refused' && a.dedupeKey.includes('not_allowlisted'))).toBe(true);
    });

    it('a name that is not even a valid name is not echoed', async () => {
      const r = await h.call('Evil%20Name', '/res/v1/web/search');
      const id = expectRefusal(r, 'not_allowlisted');
      expect(r.json.error.message).not.toContain('Evil');
      await expectAudited(h, id, 'not_allowlisted', { integration: '(invalid name)' });
    });

    it('a decommissioned integration', async () => {
      const oldKey = await h.addIntegration({ name: 'retired' });
      expect((await h.call('retired', '/res/v1/web/search?q=x')).status).toBe(200);
      const d = await h.control('POST', '/v1/integrations/retired/decommission');
      expect(d.status).toBe(200);
      const before = h.upstream.requests.length;
      const r = await h.call('retired', '/res/v1/web/search?q=x');
      const id = expectRefusal(r, 'not_allowlisted', [oldKey]);
      await expectAudited(h, id, 'not_allowlisted', { integration: 'retired' });
      expect(h.upstream.requests.length).toBe(before);
    });
  });

  describe('route_not_allowed', () => {
    const cases: [label: string, method: string, path: string, hint: RegExp][] = [
      ['an unlisted path', 'GET', '/res/v1/images/search', /Its routes: GET \/res\/v1\/web\/search, POST \/v1\/extract/],
      ['a listed path with the wrong method', 'DELETE', '/res/v1/web/search', /^search does not allow DELETE \/res\/v1\/web\/search\. /],
      ['a dot-dot segment', 'GET', '/res/v1/web/../../admin', /\. or \.\. segment/],
      ['a dot-dot segment after a listed path', 'GET', '/res/v1/web/search/..', /\. or \.\. segment/],
      ['an encoded dot-dot', 'GET', '/res/v1/web/%2e%2e/search', /encoded dot/],
      ['an upper-case encoded dot-dot', 'GET', '/res/v1/%2E%2E/v1/web/search', /encoded dot/],
      ['an encoded slash', 'GET', '/res/v1/web%2fsearch', /encoded slash/],
      ['an encoded slash, upper case', 'GET', '/res%2Fv1/web/search', /encoded slash/],
      ['a double-encoded dot', 'GET', '/res/v1/web/%252e%252e/search', /double-encoded/],
    ];
    for (const [label, method, path, hint] of cases) {
      it(label, async () => {
        const before = h.upstream.requests.length;
        const r = await rawAgent(h, method, `/v1/call/search${path}?q=x`, { 'tollgate-purpose': 'testing Tollgate' });
        const id = expectRefusal(r, 'route_not_allowed');
        expect(r.json.error.message).toMatch(hint);
        await expectAudited(h, id, 'route_not_allowed', { integration: 'search' });
        expect(h.upstream.requests.length).toBe(before);
      });
    }
  });

  describe('model_not_allowed', () => {
    it('a model the integration does not list, named in the body: refused with the list, never sent', async () => {
      await h.addIntegration({
        name: 'llm', auth: { type: 'header', name: 'x-api-key' }, routes: [{ method: 'POST', path: '/v1/messages' }],
        pricing: { tokens: { format: 'anthropic', models: { 'claude-sonnet-4-5': { input: 3, output: 15 }, 'claude-haiku-4-5': { input: 1, output: 5 } } }, maxPerRequestUsd: 1 },
      });
      const before = h.upstream.requests.length;
      const r = await h.call('llm', '/v1/messages', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'claude-opus-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }) });
      const id = expectRefusal(r, 'model_not_allowed');
      expect(r.json.error.message).toBe('llm does not allow the model "claude-opus-4-5". It allows: claude-sonnet-4-5, claude-haiku-4-5. Use one of them, or ask the operator to add it.');
      await expectAudited(h, id, 'model_not_allowed', { integration: 'llm' });
      expect(h.upstream.requests.length).toBe(before);
    });
  });

  describe('exfiltration_blocked', () => {
    const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

    async function blocked(send: () => Promise<Reply>, kind: RegExp, secrets: string[]): Promise<void> {
      const before = h.upstream.requests.length;
      const r = await send();
      const id = expectRefusal(r, 'exfiltration_blocked', secrets);
      expect(r.json.error.message).toMatch(kind);
      const rec = await expectAudited(h, id, 'exfiltration_blocked', { integration: 'search' });
      for (const s of secrets) expect(JSON.stringify(rec)).not.toContain(s);
      expect(h.upstream.requests.length).toBe(before);
      const all = await h.control('GET', '/v1/audit/export');
      for (const s of secrets) expect(all.text).not.toContain(s);
    }

    it("the integration's own key in the query", () =>
      blocked(() => h.call('search', `/res/v1/web/search?q=${encodeURIComponent(key)}`), /credential|own key/, [key]));

    it("the integration's own key percent-encoded character by character in the query", () =>
      blocked(() => h.call('search', `/res/v1/web/search?q=${[...key].map((c) => `%${c.charCodeAt(0).toString(16)}`).join('')}`), /credential|own key/, [key]));

    it("the integration's own key in the body", () =>
      blocked(() => h.call('search', '/v1/extract', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: `my key is ${key}` }) }),
        /credential|own key/, [key]));

    it("the integration's own key base64-encoded in the body", () =>
      blocked(() => h.call('search', '/v1/extract', { method: 'POST', body: JSON.stringify({ blob: Buffer.from(key).toString('base64') }) }),
        /credential|own key/, [key, Buffer.from(key).toString('base64')]));

    it("the integration's own key base64url-encoded in the query", () =>
      blocked(() => h.call('search', `/res/v1/web/search?q=${Buffer.from(`key=${key}`).toString('base64url')}`), /credential|own key/, [key]));

    it("another integration's key", () =>
      blocked(() => h.call('search', `/res/v1/web/search?q=${otherKey}`), /one of the keys Tollgate holds/, [otherKey]));

    it('a key rotated out, still good at the provider until someone revokes it', async () => {
      const old = await h.addIntegration({ name: 'rotated', auth: { type: 'bearer' } });
      expect((await h.control('PUT', '/v1/integrations/rotated/key', { key: `tg-test-key-new-${old.slice(-12)}` })).status).toBe(200);
      await blocked(() => h.call('search', `/res/v1/web/search?q=${old}`), /one of the keys Tollgate holds/, [old]);
      // Remembered across a restart of the scanner's list (any later key change rebuilds it from the database).
      expect((await h.control('PUT', '/v1/integrations/rotated/key', { key: `tg-test-key-newer-${old.slice(-12)}` })).status).toBe(200);
      await blocked(() => h.call('search', '/v1/extract', { method: 'POST', body: JSON.stringify({ text: old }) }), /one of the keys Tollgate holds/, [old]);
    });

    it("another integration's key in an ordinary header that would otherwise be forwarded", () =>
      blocked(() => h.call('search', '/res/v1/web/search?q=x', { headers: { 'x-anything': otherKey } }), /one of the keys Tollgate holds/, [otherKey]));

    it("another integration's key in the purpose header, which is then recorded redacted", async () => {
      await blocked(() => h.call('search', '/res/v1/web/search?q=x', { headers: { 'tollgate-purpose': `use ${otherKey}` } }), /credential/, [otherKey]);
      const audit = await h.control('GET', '/v1/audit?limit=1');
      expect(audit.json.records[0].purpose).toBe('[redacted: credential]');
    });

    it('a purpose that holds no credential is recorded as it is on a refusal', async () => {
      await blocked(() => h.call('search', `/res/v1/web/search?q=${AWS_KEY_ID}`, { headers: { 'tollgate-purpose': 'find docs' } }), /AWS access key/, [AWS_KEY_ID]);
      const audit = await h.control('GET', '/v1/audit?limit=1');
      expect(audit.json.records[0].purpose).toBe('find docs');
    });

    it("AWS's documentation placeholder is no credential: it is sent", async () => {
      const r = await h.call('search', '/res/v1/web/search?q=AKIAIOSFODNN7EXAMPLE');
      expect(r.status).toBe(200);
    });

    it('an AWS access key id', () =>
      blocked(() => h.call('search', '/v1/extract', { method: 'POST', body: `{"aws":"${AWS_KEY_ID}"}` }), /AWS access key/, [AWS_KEY_ID]));

    it('an AWS access key id in the query', () =>
      blocked(() => h.call('search', `/res/v1/web/search?q=${AWS_KEY_ID}`), /AWS access key/, [AWS_KEY_ID]));

    it('a PEM private key block in the body', () =>
      blocked(() => h.call('search', '/v1/extract', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: `here:\n${pem}` }),
        /private key/i, [pem.split('\n')[1]!]));

    it('a PEM private key block, JSON-escaped, in the body', () =>
      blocked(() => h.call('search', '/v1/extract', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pem }) }),
        /private key/i, [pem.split('\n')[1]!]));
  });

  describe('body_too_large', () => {
    it('a body over the 1 MiB default, declared by Content-Length', async () => {
      const before = h.upstream.requests.length;
      const r = await rawAgent(h, 'POST', '/v1/call/search/v1/extract', { 'tollgate-purpose': 'testing Tollgate', 'content-type': 'application/octet-stream' },
        Buffer.alloc(1024 * 1024 + 1, 0x61));
      const id = expectRefusal(r, 'body_too_large');
      expect(r.json.error.message).toMatch(/1048576 bytes/);
      await expectAudited(h, id, 'body_too_large', { integration: 'search' });
      expect(h.upstream.requests.length).toBe(before);
    });

    it('a chunked body that grows over the limit', async () => {
      const before = h.upstream.requests.length;
      const r = await new Promise<Reply>((resolve, reject) => {
        const req = http.request({
          socketPath: h.paths.agentSocket, method: 'POST', path: '/v1/call/search/v1/extract', agent: false,
          headers: { host: 'tollgate', 'tollgate-purpose': 'testing Tollgate', 'transfer-encoding': 'chunked' },
        }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.from(text), text, json: JSON.parse(text) });
          });
        });
        // The server may close before every chunk is written; the answer still comes.
        req.on('error', (e: NodeJS.ErrnoException) => (e.code === 'EPIPE' || e.code === 'ECONNRESET' ? undefined : reject(e)));
        const chunk = Buffer.alloc(64 * 1024, 0x62);
        let sent = 0;
        const pump = (): void => {
          while (sent < 2 * 1024 * 1024) {
            sent += chunk.length;
            if (!req.write(chunk)) return void req.once('drain', pump);
          }
          req.end();
        };
        pump();
      });
      const id = expectRefusal(r, 'body_too_large');
      await expectAudited(h, id, 'body_too_large');
      expect(h.upstream.requests.length).toBe(before);
    });

    it('a body just under the limit goes through', async () => {
      const r = await h.call('search', '/v1/extract', { method: 'POST', body: Buffer.alloc(1024 * 1024, 0x61) });
      expect(r.status).toBe(200);
      expect(h.upstream.requests.at(-1)!.body.length).toBe(1024 * 1024);
    });
  });
});

describe('budget and rate limits', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await Harness.start({ handler: json(200, { ok: true }) });
  });
  afterAll(() => h.close());

  it('budget_exhausted: a cap that admits four calls refuses the fifth, before the provider', async () => {
    await h.addIntegration({ name: 'capped', monthlyCapUsd: 0.02, pricing: { perRequestUsd: 0.005, maxPerRequestUsd: 0.005 } });
    const before = h.upstream.requests.length;
    for (let i = 0; i < 4; i++) expect((await h.call('capped', `/res/v1/web/search?q=${i}`)).status).toBe(200);
    expect(h.upstream.requests.length - before).toBe(4);
    const r = await h.call('capped', '/res/v1/web/search?q=5');
    const id = expectRefusal(r, 'budget_exhausted');
    expect(r.json.error.message).toMatch(/^The monthly cap of \$0\.02 for capped would be crossed \(spent \$0\.02, in flight \$0\.00, this call reserves up to \$0\.005\)/);
    expect(r.json.error.message).toMatch(/POST \/v1\/proposals/);
    await expectAudited(h, id, 'budget_exhausted', { integration: 'capped', costUsd: 0 });
    expect(h.upstream.requests.length - before).toBe(4);
    const alerts = await h.control('GET', '/v1/alerts?tier=critical');
    expect(alerts.json.alerts.some((a: { integration: string }) => a.integration === 'capped')).toBe(true);
    const spend = await h.control('GET', '/v1/spend');
    expect(JSON.stringify(spend.json)).toContain('"spentUsd":0.02');
  });

  it('budget_exhausted: a call whose worst case does not fit is refused even when some budget is left', async () => {
    await h.addIntegration({ name: 'pricey', monthlyCapUsd: 0.01, pricing: { costPointer: '/cost', maxPerRequestUsd: 0.006 } });
    h.upstream.setHandler(json(200, { cost: 0.001 }));
    expect((await h.call('pricey', '/res/v1/web/search?q=1')).status).toBe(200);
    // 0.009 left, the call may cost up to 0.006: fits once more.
    expect((await h.call('pricey', '/res/v1/web/search?q=2')).status).toBe(200);
    // 0.008 left: still fits. Spend 0.003 so far.
    const third = await h.call('pricey', '/res/v1/web/search?q=3');
    expect(third.status).toBe(200);
    h.upstream.setHandler(json(200, { cost: 0.004 }));
    expect((await h.call('pricey', '/res/v1/web/search?q=4')).status).toBe(200);
    // Spent 0.007: 0.003 left, below the 0.006 worst case.
    const before = h.upstream.requests.length;
    const id = expectRefusal(await h.call('pricey', '/res/v1/web/search?q=5'), 'budget_exhausted');
    await expectAudited(h, id, 'budget_exhausted');
    expect(h.upstream.requests.length).toBe(before);
    h.upstream.setHandler(json(200, { ok: true }));
  });

  it('rate_limited: perMinute 2, the third call in the minute, with Retry-After', async () => {
    await h.addIntegration({ name: 'limited', rateLimit: { perMinute: 2, concurrent: 10 } });
    const before = h.upstream.requests.length;
    expect((await h.call('limited', '/res/v1/web/search?q=1')).status).toBe(200);
    h.clock.advance(15_000);
    expect((await h.call('limited', '/res/v1/web/search?q=2')).status).toBe(200);
    h.clock.advance(5_000);
    const r = await h.call('limited', '/res/v1/web/search?q=3');
    const id = expectRefusal(r, 'rate_limited');
    // The first call leaves the window 40 s from now.
    expect(r.headers['retry-after']).toBe('40');
    expect(r.json.error.message).toMatch(/2 calls a minute/);
    await expectAudited(h, id, 'rate_limited', { integration: 'limited' });
    expect(h.upstream.requests.length - before).toBe(2);
    // A refused call does not take a slot; once the first call is a minute old, one more fits.
    h.clock.advance(40_000);
    expect((await h.call('limited', '/res/v1/web/search?q=4')).status).toBe(200);
    expectRefusal(await h.call('limited', '/res/v1/web/search?q=5'), 'rate_limited');
  });

  it('rate_limited: concurrent 1 while a call hangs upstream', async () => {
    await h.addIntegration({ name: 'single', rateLimit: { perMinute: 100, concurrent: 1 } });
    const gate = held();
    h.upstream.setHandler(gate.handler);
    const before = h.upstream.requests.length;
    const first = h.call('single', '/res/v1/web/search?q=slow');
    await until(() => h.upstream.requests.length === before + 1);
    const r = await h.call('single', '/res/v1/web/search?q=second');
    const id = expectRefusal(r, 'rate_limited');
    expect(r.headers['retry-after']).toBe('1');
    expect(r.json.error.message).toMatch(/1 calls at once/);
    await expectAudited(h, id, 'rate_limited', { integration: 'single' });
    expect(h.upstream.requests.length).toBe(before + 1);
    gate.release();
    expect((await first).status).toBe(200);
    h.upstream.setHandler(json(200, { ok: true }));
    // The slot is free again.
    expect((await h.call('single', '/res/v1/web/search?q=third')).status).toBe(200);
  });
});

describe('upstream failures', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await Harness.start({ handler: json(200, { ok: true }) });
    await h.addIntegration();
    // Holds its answer to read the cost: a failure mid-body still becomes a clean refusal.
    await h.addIntegration({ name: 'metered', pricing: { costPointer: '/cost', maxPerRequestUsd: 0.01 } });
  });
  afterAll(() => h.close());

  it('upstream_error: an answer larger than the response cap (declared length)', async () => {
    const s = await h.control('PATCH', '/v1/settings', { maxResponseBytes: 2048 });
    expect(s.status).toBe(200);
    try {
      h.upstream.setHandler(json(200, { blob: 'x'.repeat(10 * 1024) }));
      const before = h.upstream.requests.length;
      const r = await h.call('search', '/res/v1/web/search?q=big');
      const id = expectRefusal(r, 'upstream_error');
      expect(r.json.error.message).toMatch(/larger than 2048 bytes/);
      expect(r.text).not.toContain('xxxx');
      // The provider answered, so the call may have been billed: counted at its maximum.
      await expectAudited(h, id, 'upstream_error', { integration: 'search', costUsd: 0.005 });
      expect(h.upstream.requests.length - before).toBe(1);
    } finally {
      await h.control('PATCH', '/v1/settings', { maxResponseBytes: 10 * 1024 * 1024 });
      h.upstream.setHandler(json(200, { ok: true }));
    }
  });

  it('upstream_error: an answer that grows past the response cap (no length, held for metering)', async () => {
    await h.control('PATCH', '/v1/settings', { maxResponseBytes: 2048 });
    try {
      h.upstream.setHandler(slowBody(Array.from({ length: 10 }, () => 'y'.repeat(1024)), 5, { contentType: 'application/json' }));
      const before = h.upstream.requests.length;
      const r = await h.call('metered', '/res/v1/web/search?q=big');
      const id = expectRefusal(r, 'upstream_error');
      expect(r.json.error.message).toMatch(/larger than 2048 bytes/);
      expect(r.text).not.toContain('yyyy');
      await expectAudited(h, id, 'upstream_error', { integration: 'metered' });
      expect(h.upstream.requests.length - before).toBe(1);
    } finally {
      await h.control('PATCH', '/v1/settings', { maxResponseBytes: 10 * 1024 * 1024 });
      h.upstream.setHandler(json(200, { ok: true }));
    }
  });

  it('upstream_error: a streamed answer that grows past the cap is cut, never passed off as complete', async () => {
    await h.control('PATCH', '/v1/settings', { maxResponseBytes: 2048 });
    try {
      h.upstream.setHandler(slowBody(Array.from({ length: 10 }, () => 'z'.repeat(1024)), 5));
      const before = h.upstream.requests.length;
      const err = await h.call('search', '/res/v1/web/search?q=big').then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      const audit = await h.control('GET', '/v1/audit?integration=search&limit=1');
      expect(audit.json.records[0]).toMatchObject({ code: 'upstream_error', outcome: 'error', status: 200 });
      expect(h.upstream.requests.length - before).toBe(1);
    } finally {
      await h.control('PATCH', '/v1/settings', { maxResponseBytes: 10 * 1024 * 1024 });
      h.upstream.setHandler(json(200, { ok: true }));
    }
  });

  it('upstream_error: the connection reset before any answer, and no retry', async () => {
    h.upstream.setHandler(destroy());
    const before = h.upstream.requests.length;
    const r = await h.call('search', '/res/v1/web/search?q=reset');
    const id = expectRefusal(r, 'upstream_error');
    // The request may have reached the provider: counted at its maximum.
    await expectAudited(h, id, 'upstream_error', { integration: 'search', costUsd: 0.005 });
    await new Promise((res) => setTimeout(res, 200));
    expect(h.upstream.requests.length - before).toBe(1);
    h.upstream.setHandler(json(200, { ok: true }));
  });

  it('upstream_error: the connection reset mid-body, and no retry', async () => {
    h.upstream.setHandler(resetMidBody(10_000, 1000));
    const before = h.upstream.requests.length;
    const r = await h.call('metered', '/res/v1/web/search?q=reset');
    const id = expectRefusal(r, 'upstream_error');
    expect(r.text).not.toContain('aaaa');
    await expectAudited(h, id, 'upstream_error', { integration: 'metered' });
    await new Promise((res) => setTimeout(res, 200));
    expect(h.upstream.requests.length - before).toBe(1);
    h.upstream.setHandler(json(200, { ok: true }));
  });

  it('upstream_error: a streamed answer reset mid-body is cut for the assistant too', async () => {
    h.upstream.setHandler(resetMidBody(10_000, 1000));
    const before = h.upstream.requests.length;
    const err = await h.call('search', '/res/v1/web/search?q=reset').then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    const audit = await h.control('GET', '/v1/audit?integration=search&limit=1');
    expect(audit.json.records[0]).toMatchObject({ code: 'upstream_error', outcome: 'error', bytesIn: 1000 });
    expect(h.upstream.requests.length - before).toBe(1);
    h.upstream.setHandler(json(200, { ok: true }));
  });

  it('a 5xx is passed back as the provider said it, once: no retry', async () => {
    h.upstream.setHandler(json(503, { error: 'overloaded' }));
    const before = h.upstream.requests.length;
    const r = await h.call('search', '/res/v1/web/search?q=5xx');
    expect(r.status).toBe(503);
    expect(r.headers['tollgate-error']).toBeUndefined();
    expect(r.json).toEqual({ error: 'overloaded' });
    await new Promise((res) => setTimeout(res, 200));
    expect(h.upstream.requests.length - before).toBe(1);
    h.upstream.setHandler(json(200, { ok: true }));
    // A success closes the count of failures again.
    expect((await h.call('search', '/res/v1/web/search?q=ok')).status).toBe(200);
  });

  it('upstream_unavailable: the circuit opens after 5 consecutive 5xx, warns, and fails fast without the provider', async () => {
    await h.addIntegration({ name: 'flaky' });
    h.upstream.setHandler(json(500, { error: 'boom' }));
    const before = h.upstream.requests.length;
    for (let i = 0; i < 5; i++) {
      const r = await h.call('flaky', `/res/v1/web/search?q=${i}`);
      expect(r.status).toBe(500);
      expect(h.upstream.requests.length - before).toBe(i + 1);
    }
    const alerts = await h.control('GET', '/v1/alerts?tier=warning');
    const circuit = alerts.json.alerts.find((a: { kind: string; integration: string }) => a.kind === 'circuit_open' && a.integration === 'flaky');
    expect(circuit).toBeDefined();
    const r = await h.call('flaky', '/res/v1/web/search?q=6');
    const id = expectRefusal(r, 'upstream_unavailable');
    expect(r.json.error.message).toMatch(/failed 5 times in a row/);
    expect(r.headers['retry-after']).toBe('30');
    await expectAudited(h, id, 'upstream_unavailable', { integration: 'flaky', costUsd: 0, outcome: 'refused' });
    expect(h.upstream.requests.length - before).toBe(5);
    // After the cool-down one probe goes through; it succeeds and the circuit closes.
    h.clock.advance(30_000);
    h.upstream.setHandler(json(200, { ok: true }));
    expect((await h.call('flaky', '/res/v1/web/search?q=probe')).status).toBe(200);
    expect((await h.call('flaky', '/res/v1/web/search?q=after')).status).toBe(200);
    expect(h.upstream.requests.length - before).toBe(7);
  });
});

describe('integration_suspended', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await warmHarness();
  });
  afterAll(() => h.close());

  it('suspended by the operator, until resumed', async () => {
    expect((await h.control('POST', '/v1/integrations/search/suspend', { reason: 'holiday' })).status).toBe(200);
    const before = h.upstream.requests.length;
    const r = await h.call('search', '/res/v1/web/search?q=x');
    const id = expectRefusal(r, 'integration_suspended');
    expect(r.json.error.message).toMatch(/holiday/);
    await expectAudited(h, id, 'integration_suspended', { integration: 'search', costUsd: 0 });
    expect(h.upstream.requests.length).toBe(before);
    // The assistant's listing says so too.
    expect((await h.agent('GET', '/v1/integrations')).json.integrations[0].status).toBe('suspended');
    expect((await h.control('POST', '/v1/integrations/search/resume')).status).toBe(200);
    expect((await h.call('search', '/res/v1/web/search?q=x')).status).toBe(200);
  });

  it('suspended by the kill switch', async () => {
    expect((await h.control('POST', '/v1/suspend-all')).status).toBe(200);
    const id = expectRefusal(await h.call('search', '/res/v1/web/search?q=x'), 'integration_suspended');
    await expectAudited(h, id, 'integration_suspended');
    expect((await h.control('POST', '/v1/integrations/search/resume')).status).toBe(200);
  });

  it('an integration whose key was never set', async () => {
    const created = await h.control('POST', '/v1/integrations', {
      name: 'keyless', purpose: 'p', account: 'a@example.org', baseUrl: h.upstream.url, auth: { type: 'bearer' },
      routes: [{ method: 'GET', path: '/res/v1/web/search' }], pricing: { perRequestUsd: 0.001, maxPerRequestUsd: 0.001 }, monthlyCapUsd: 1,
    });
    expect(created.status).toBe(200);
    const before = h.upstream.requests.length;
    const r = await h.call('keyless', '/res/v1/web/search?q=x');
    const id = expectRefusal(r, 'integration_suspended');
    expect(r.json.error.message).toMatch(/no key yet/);
    await expectAudited(h, id, 'integration_suspended', { integration: 'keyless' });
    expect(h.upstream.requests.length).toBe(before);
  });

  for (const status of [401, 403]) {
    it(`the provider answers ${status}: suspended, critical alert, notification; resumable by a new key or by resume`, async () => {
      // A fresh notification window and alert hour.
      h.clock.advance(61 * MINUTE);
      h.upstream.setHandler(json(status, { error: 'invalid api key' }));
      const notified = h.notifications.length;
      const before = h.upstream.requests.length;
      const first = await h.call('search', '/res/v1/web/search?q=x');
      // The provider's own answer comes back as it is.
      expect(first.status).toBe(status);
      expect(first.json).toEqual({ error: 'invalid api key' });
      expect(h.upstream.requests.length - before).toBe(1);

      const i = await h.control('GET', '/v1/integrations/search');
      expect(i.json.integration.status).toBe('suspended');
      expect(i.json.integration.statusReason).toContain(`HTTP ${status}`);
      const alerts = await h.control('GET', '/v1/alerts?tier=critical&open=true');
      expect(alerts.json.alerts.some((a: { kind: string; integration: string }) => a.kind === 'key_rejected' && a.integration === 'search')).toBe(true);
      expect(h.notifications.slice(notified)).toContainEqual(expect.objectContaining({ tier: 'critical', title: 'Key rejected: search' }));

      h.upstream.setHandler(json(200, { ok: true }));
      const r = await h.call('search', '/res/v1/web/search?q=x');
      const id = expectRefusal(r, 'integration_suspended');
      expect(r.json.error.message).toMatch(new RegExp(`rejected its key \\(HTTP ${status}\\)`));
      await expectAudited(h, id, 'integration_suspended', { integration: 'search', costUsd: 0 });
      expect(h.upstream.requests.length - before).toBe(1);

      // Resumed by a new key...
      expect((await h.control('PUT', '/v1/integrations/search/key', { key: `tg-test-key-new-${status}-${Date.now()}` })).status).toBe(200);
      expect((await h.call('search', '/res/v1/web/search?q=x')).status).toBe(200);

      // ... or, after another rejection, by resume.
      h.upstream.setHandler(json(status, { error: 'invalid api key' }));
      expect((await h.call('search', '/res/v1/web/search?q=x')).status).toBe(status);
      h.upstream.setHandler(json(200, { ok: true }));
      expectRefusal(await h.call('search', '/res/v1/web/search?q=x'), 'integration_suspended');
      expect((await h.control('POST', '/v1/integrations/search/resume')).status).toBe(200);
      expect((await h.call('search', '/res/v1/web/search?q=x')).status).toBe(200);
    });
  }
});

describe('keychain_unavailable', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await warmHarness();
  });
  afterAll(() => h.close());

  it('a locked keychain: refused before the provider, critical alert, works again once unlocked', async () => {
    h.clock.advance(61 * MINUTE);
    const notified = h.notifications.length;
    h.keychain.locked = true;
    try {
      const before = h.upstream.requests.length;
      const r = await h.call('search', '/res/v1/web/search?q=x');
      const id = expectRefusal(r, 'keychain_unavailable');
      // Nothing was sent, so nothing is charged.
      await expectAudited(h, id, 'keychain_unavailable', { integration: 'search', costUsd: 0 });
      expect(h.upstream.requests.length).toBe(before);
      const alerts = await h.control('GET', '/v1/alerts?tier=critical&open=true');
      expect(alerts.json.alerts.some((a: { kind: string; integration: string }) => a.kind === 'keychain' && a.integration === 'search')).toBe(true);
      expect(h.notifications.slice(notified)).toContainEqual(expect.objectContaining({ tier: 'critical', title: 'Keychain unavailable' }));
      const spend = await h.control('GET', '/v1/spend');
      expect(JSON.stringify(spend.json)).toContain('"reservedUsd":0');
    } finally {
      h.keychain.locked = false;
    }
    expect((await h.call('search', '/res/v1/web/search?q=x')).status).toBe(200);
  });

  it('a key gone from the keychain behind the daemon', async () => {
    await keytar.deletePassword(h.service, 'search');
    const before = h.upstream.requests.length;
    const r = await h.call('search', '/res/v1/web/search?q=x');
    const id = expectRefusal(r, 'keychain_unavailable');
    expect(r.json.error.message).toMatch(/gave no key for search: it is locked, or the key was removed/);
    await expectAudited(h, id, 'keychain_unavailable', { integration: 'search', costUsd: 0 });
    expect(h.upstream.requests.length).toBe(before);
  });
});

describe('audit_unavailable', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await warmHarness();
  });
  afterAll(() => h.close());

  it('the reservation cannot be written: no call, the provider gets nothing, critical alert', async () => {
    h.clock.advance(61 * MINUTE);
    const notified = h.notifications.length;
    h.daemon.db.exec("CREATE TRIGGER full_disk BEFORE INSERT ON reservations BEGIN SELECT RAISE(ABORT, 'disk full'); END");
    try {
      const before = h.upstream.requests.length;
      const r = await h.call('search', '/res/v1/web/search?q=x');
      const id = expectRefusal(r, 'audit_unavailable');
      expect(r.text).not.toContain('disk full');
      await new Promise((res) => setTimeout(res, 200));
      expect(h.upstream.requests.length).toBe(before);
      // The refusal itself could still be written down.
      await expectAudited(h, id, 'audit_unavailable', { integration: 'search', costUsd: 0 });
      const alerts = await h.control('GET', '/v1/alerts?tier=critical');
      expect(alerts.json.alerts.some((a: { kind: string }) => a.kind === 'audit_unavailable')).toBe(true);
      expect(h.notifications.slice(notified)).toContainEqual(expect.objectContaining({ tier: 'critical', title: 'Audit log cannot be written' }));
    } finally {
      h.daemon.db.exec('DROP TRIGGER full_disk');
    }
    expect((await h.call('search', '/res/v1/web/search?q=x')).status).toBe(200);
    expect((await h.control('GET', '/v1/audit/verify')).json.ok).toBe(true);
  });

  it('the audit log itself cannot be written: a refusal becomes audit_unavailable, the chain stays intact', async () => {
    h.daemon.db.exec("CREATE TRIGGER full_disk BEFORE INSERT ON audit BEGIN SELECT RAISE(ABORT, 'disk full'); END");
    try {
      const before = h.upstream.requests.length;
      const r = await h.call('nope', '/res/v1/web/search?q=x');
      expectRefusal(r, 'audit_unavailable');
      expect(h.upstream.requests.length).toBe(before);
    } finally {
      h.daemon.db.exec('DROP TRIGGER full_disk');
    }
    expect((await h.call('search', '/res/v1/web/search?q=x')).status).toBe(200);
    expect((await h.control('GET', '/v1/audit/verify')).json.ok).toBe(true);
  });
});

describe('upstream_unavailable: the provider port is closed', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await Harness.start();
    await h.addIntegration();
  });
  afterAll(() => h.close());

  it('connection refused: 503, nothing charged, the same answer the next time', async () => {
    await h.upstream.close();
    const r = await h.call('search', '/res/v1/web/search?q=x');
    const id = expectRefusal(r, 'upstream_unavailable');
    expect(r.json.error.message).toMatch(/cannot be reached/);
    // Certainly never sent: nothing charged.
    await expectAudited(h, id, 'upstream_unavailable', { integration: 'search', costUsd: 0, outcome: 'error' });
    expectRefusal(await h.call('search', '/res/v1/web/search?q=x'), 'upstream_unavailable');
  });
});

describe('upstream_timeout', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await Harness.start({ handler: hang(), timeouts: { connectMs: 1000, headersMs: 300, bodyMs: 300 } });
    await h.addIntegration();
    await h.addIntegration({ name: 'metered', pricing: { costPointer: '/cost', maxPerRequestUsd: 0.01 } });
  });
  afterAll(() => h.close());

  it('no headers in time: 504, sent once, counted at its maximum', async () => {
    const before = h.upstream.requests.length;
    const started = Date.now();
    const r = await h.call('search', '/res/v1/web/search?q=x');
    const id = expectRefusal(r, 'upstream_timeout');
    expect(Date.now() - started).toBeLessThan(5000);
    await expectAudited(h, id, 'upstream_timeout', { integration: 'search', costUsd: 0.005 });
    await new Promise((res) => setTimeout(res, 400));
    expect(h.upstream.requests.length - before).toBe(1);
  });

  it('the body stalls (held for metering): 504', async () => {
    h.upstream.setHandler(slowBody(['{"cost":', '0.001}'], 1000, { contentType: 'application/json' }));
    const before = h.upstream.requests.length;
    const r = await h.call('metered', '/res/v1/web/search?q=x');
    const id = expectRefusal(r, 'upstream_timeout');
    await expectAudited(h, id, 'upstream_timeout', { integration: 'metered' });
    expect(h.upstream.requests.length - before).toBe(1);
    h.upstream.setHandler(hang());
  });
});
