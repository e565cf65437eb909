// Red team: an assistant told to send a key back out: the integration's own key, another
// integration's, a decommissioned one's (all "stored keys", known to the daemon only by
// fingerprint), and well-known formats of daemon/credentials/rules.json (AWS, GitHub, Slack, PEM here;
// test/daemon/credentials/coverage.test.ts has every rule), in every place a request
// has and in the common encodings. Each caught form is refused as exfiltration_blocked before the
// provider, and written nowhere. The forms the scanner honestly does not claim to catch (split,
// reversed, hex, thrice encoded...) are listed as such: they do go through, and say so here.
// (test/daemon/e2e/errors.test.ts has the basic forms: raw, per-character percent-encoded and
// base64 in query/body, another key in a header or the purpose, an AWS key id, a PEM block.)
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness, type Reply } from '../helpers/harness.ts';
import { braveLikeKey, expectRefusal, expectSound, expectUpstreamClean, hexKey, leaksOf, PURPOSE, rawCall, request } from './helpers.ts';

const SEARCH = '/res/v1/web/search';
const pct = (s: string): string => [...Buffer.from(s)].map((b) => `%${b.toString(16).padStart(2, '0').toUpperCase()}`).join('');
const b64 = (s: string): string => Buffer.from(s).toString('base64');
const b64url = (s: string): string => Buffer.from(s).toString('base64url');
const alnum = (n: number): string => randomBytes(n * 2).toString('base64').replace(/[^A-Za-z0-9]/g, '').slice(0, n).padEnd(n, 'Q');
const base32 = (n: number): string => Array.from(randomBytes(n), (b) => 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'[b % 32]).join('');
const digits = (n: number): string => Array.from(randomBytes(n), (b) => String(b % 10)).join('');

// Well-known formats, made up at run time (they match the formats, not any real account).
const AWS_KEY_ID = `AKIA${base32(16)}`;
const GITHUB_PAT = `ghp_${alnum(36)}`;
/** Only for the documented limit below: it does reach the provider. */
const GITHUB_GLUED = `ghp_${alnum(36)}`;
const GITHUB_FINE = `github_pat_${alnum(22)}_${alnum(59)}`;
const SLACK_BOT = `xoxb-${digits(12)}-${digits(13)}-${alnum(24)}`;
const SLACK_HOOK = `https://hooks.slack.com/services/T${base32(8)}/B${base32(8)}/${alnum(24)}`;
const PEM = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const PEM_BODY = PEM.split('\n')[1]!;
const OPENSSH = `-----BEGIN OPENSSH PRIVATE KEY-----\n${randomBytes(210).toString('base64').match(/.{1,70}/g)!.join('\n')}\n-----END OPENSSH PRIVATE KEY-----\n`;
const OPENSSH_BODY = OPENSSH.split('\n')[1]!;

let h: Harness;
let own: string;
let other: string;
let retired: string;

beforeAll(async () => {
  h = await Harness.start();
  own = await h.addIntegration({
    routes: [{ method: 'GET', path: SEARCH }, { method: 'POST', path: SEARCH }, { method: 'GET', path: '/res/v1/docs/**' }],
  }, braveLikeKey());
  other = await h.addIntegration({ name: 'other', auth: { type: 'bearer' } }, hexKey());
  retired = await h.addIntegration({ name: 'retired' }, braveLikeKey());
  expect((await h.control('POST', '/v1/integrations/retired/decommission')).status).toBe(200);
  expect((await h.call('search', `${SEARCH}?q=warmup`)).status).toBe(200);
  expect((await h.call('search', '/res/v1/docs/warmup')).status).toBe(200);
});
afterAll(() => h.close());

const ALL_SECRETS = (): string[] => [own, other, retired, AWS_KEY_ID, GITHUB_PAT, GITHUB_FINE, SLACK_BOT, SLACK_HOOK, PEM_BODY, OPENSSH_BODY];

// What a refusal names: which kind of credential was found (a format by its rule's title), never the credential.
const STORED = /one of the keys Tollgate holds/;
const AWS = /looks like a credential: AWS access key ID/;
const GITHUB = /looks like a credential: GitHub .*token/;
const SLACK = /looks like a credential: Slack /;
const PRIVATE_KEY = /looks like a credential: Private key/;

/**
 * The request is refused as exfiltration_blocked, naming what it found (`names`: stored keys unless
 * said), the provider gets nothing, and the secret is written nowhere.
 */
async function blocked(send: () => Promise<Reply | { status: number; headers: Record<string, string>; text: string; json: any }>, secret: string, names = STORED): Promise<void> {
  const before = h.upstream.requests.length;
  const r = await send();
  expectRefusal(r, 'exfiltration_blocked', [secret]);
  expect(r.json.error.message).toMatch(names);
  expect(h.upstream.requests.length, 'nothing reached the provider').toBe(before);
  const audit = await h.control('GET', '/v1/audit?limit=1');
  const rec = audit.json.records[0];
  expect(rec.requestId).toBe(r.json.error.requestId);
  expect(rec).toMatchObject({ outcome: 'refused', code: 'exfiltration_blocked' });
  expect(JSON.stringify(rec)).not.toContain(secret);
}

const get = (query: string, headers: Record<string, string> = {}) => () => h.call('search', `${SEARCH}?${query}`, { headers });
const getPath = (path: string) => () => h.call('search', `/res/v1/docs/${path}`);
const post = (body: string | Buffer, contentType = 'application/json') => () =>
  h.call('search', SEARCH, { method: 'POST', headers: { 'content-type': contentType }, body });

describe('a stored key, in every place and common encoding: refused', () => {
  const keys = { "the integration's own key": () => own, "another integration's key": () => other, "a decommissioned integration's key": () => retired };
  for (const [whose, k] of Object.entries(keys)) {
    describe(whose, () => {
      it('raw, as a query value', () => blocked(get(`q=${k()}`), k()));
      it('raw, as a query parameter name', () => blocked(get(`${k()}=1`), k()));
      it('raw, as a path segment', () => blocked(getPath(k()), k()));
      it('percent-encoded once (every byte), in the query', () => blocked(get(`q=${pct(k())}`), k()));
      it('percent-encoded twice, in the query', () => blocked(get(`q=${encodeURIComponent(pct(k()))}`), k()));
      it('percent-encoded once, as a path segment', () => blocked(getPath(pct(k())), k()));
      it('base64, form-encoded in the query', () => blocked(get(`q=${encodeURIComponent(b64(k()))}`), k()));
      it('base64url, in a path segment after "="', () => blocked(getPath(`k=${b64url(k())}`), k()));
      it('base64 of "user:key" (Basic auth style), in a header', () => blocked(get('q=x', { 'x-basic': `Basic ${b64(`me:${k()}`)}` }), k()));
      it('glued to other text, in the query', () => blocked(get(`q=note${k()}end`), k()));
      it('glued to other text, in a path segment', () => blocked(getPath(`report${k()}.pdf`), k()));
      it('glued to other text, in a JSON body', () => blocked(post(JSON.stringify({ text: `see:${k()}!` })), k()));
      it('JSON \\u-escaped, in the body', () => blocked(post(`{"t":"${[...k()].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')}"}`), k()));
      it('form-encoded, in the body', () => blocked(post(`a=1&key=${encodeURIComponent(k())}&b=2`, 'application/x-www-form-urlencoded'), k()));
      it('in a multipart body', () => blocked(post(`--b\r\nContent-Disposition: form-data; name="f"\r\n\r\n${k()}\r\n--b--\r\n`, 'multipart/form-data; boundary=b'), k()));
      it('in an ordinary header', () => blocked(get('q=x', { 'x-note': k() }), k()));
      it('in User-Agent and Referer', () => blocked(get('q=x', { 'user-agent': `bot/1.0 (${k()})`, referer: `https://example.org/?k=${k()}` }), k()));
      it('at the end of a 15 KB query', () => blocked(get(`filler=${'a'.repeat(15_000)}&q=${k()}`), k()));
    });
  }

  it('as raw bytes on the socket, exactly as written', async () => {
    const before = h.upstream.requests.length;
    const r = await rawCall(h.paths.agentSocket, request('GET', `/v1/call/search${SEARCH}?q=${other}`, [PURPOSE]));
    expectRefusal(r, 'exfiltration_blocked', [other]);
    expect(h.upstream.requests.length).toBe(before);
  });

  it('at the end of a 900 KB body', () => blocked(post(`{"pad":"${'x'.repeat(900_000)}","k":"${other}"}`), other));

  it('in the purpose: refused, and the purpose recorded redacted', async () => {
    for (const purpose of [`use ${other}`, `use ${b64(other)}`, `key=${pct(own)}`]) {
      await blocked(get('q=x', { 'tollgate-purpose': purpose }), other);
      const audit = await h.control('GET', '/v1/audit?limit=1');
      expect(audit.json.records[0].purpose).toBe('[redacted: credential]');
    }
  });

  it('in a header that is never forwarded anyway (Authorization, Cookie, Proxy-Authorization): never reaches the provider', async () => {
    const before = h.upstream.requests.length;
    const r = await h.call('search', `${SEARCH}?q=x`, { headers: { authorization: `Bearer ${other}`, cookie: `k=${other}`, 'proxy-authorization': `Basic ${b64(`u:${other}`)}` } });
    if (r.status === 200) expect(h.upstream.requests.length).toBe(before + 1);
    else expectRefusal(r, 'exfiltration_blocked', [other]);
    for (const up of h.upstream.requests.slice(before)) expect(JSON.stringify(up.rawHeaders)).not.toContain(other);
  });

  it('a compressed body is refused outright (it could not be scanned)', async () => {
    const before = h.upstream.requests.length;
    const r = await h.call('search', SEARCH, { method: 'POST', headers: { 'content-encoding': 'gzip', 'content-type': 'application/json' }, body: gzipSync(JSON.stringify({ k: other })) });
    expectRefusal(r, 'bad_request');
    expect(h.upstream.requests.length).toBe(before);
  });
});

describe('a key in a refused call of another kind is written nowhere either', () => {
  it('in the path of a call whose route is not allowed: the audit path is redacted', async () => {
    const r = await h.call('search', `/res/v1/secret/${other}`);
    expectRefusal(r, 'route_not_allowed', [other]);
    const rec = (await h.control('GET', '/v1/audit?limit=1')).json.records[0];
    expect(rec.path).toBe('[redacted: credential]');
  });

  it('in the path and purpose of a call to an unknown integration', async () => {
    const r = await h.call('nowhere', `/x/${other}?k=${other}`, { headers: { 'tollgate-purpose': `leak ${other}` } });
    expectRefusal(r, 'not_allowlisted', [other]);
    const rec = (await h.control('GET', '/v1/audit?limit=1')).json.records[0];
    expect(JSON.stringify(rec)).not.toContain(other);
  });

  it('in the query of a call refused for its purpose', async () => {
    const r = await h.agent('GET', `/v1/call/search${SEARCH}?k=${other}`);
    expectRefusal(r, 'purpose_required', [other]);
  });
});

describe('well-known credential formats: refused', () => {
  it('AWS access key id: in a header, base64 in the body, double-encoded in the query', async () => {
    await blocked(get('q=x', { 'x-aws': AWS_KEY_ID }), AWS_KEY_ID, AWS);
    await blocked(post(JSON.stringify({ blob: b64(`aws_access_key_id=${AWS_KEY_ID}`) })), AWS_KEY_ID, AWS);
    await blocked(get(`q=${encodeURIComponent(pct(AWS_KEY_ID))}`), AWS_KEY_ID, AWS);
  });

  it('GitHub tokens (classic and fine-grained): in the query, a path segment, a header', async () => {
    await blocked(get(`token=${GITHUB_PAT}`), GITHUB_PAT, GITHUB);
    await blocked(getPath(GITHUB_PAT), GITHUB_PAT, GITHUB);
    await blocked(get('q=x', { 'x-gh': GITHUB_FINE }), GITHUB_FINE, GITHUB);
    await blocked(post(JSON.stringify({ t: b64url(GITHUB_FINE) })), GITHUB_FINE, GITHUB);
  });

  it('Slack bot token and webhook URL: in the body, encoded in the query', async () => {
    await blocked(post(JSON.stringify({ token: SLACK_BOT })), SLACK_BOT, SLACK);
    await blocked(get(`hook=${encodeURIComponent(SLACK_HOOK)}`), SLACK_HOOK, SLACK);
    await blocked(post(JSON.stringify({ text: `post to ${SLACK_HOOK}` })), SLACK_HOOK, SLACK);
  });

  it('private keys: PKCS#8 PEM form-encoded, OpenSSH in a JSON body', async () => {
    await blocked(post(`key=${encodeURIComponent(PEM)}`, 'application/x-www-form-urlencoded'), PEM_BODY, PRIVATE_KEY);
    await blocked(post(JSON.stringify({ key: OPENSSH })), OPENSSH_BODY, PRIVATE_KEY);
    await blocked(post(JSON.stringify({ key: b64(PEM) })), PEM_BODY, PRIVATE_KEY);
  });
});

describe('a key in a proposal', () => {
  const propose = (body: unknown) => h.agent('POST', '/v1/proposals', { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('in the justification or the purpose, raw, glued or base64: refused', async () => {
    for (const body of [
      { kind: 'raise_cap', integration: 'search', monthlyCapUsd: 20, justification: `the key is ${other}` },
      { kind: 'raise_cap', integration: 'search', monthlyCapUsd: 20, justification: `k:${b64(own)}` },
      { kind: 'raise_cap', integration: 'search', monthlyCapUsd: 20, justification: `token:${GITHUB_PAT}` },
      { kind: 'new_integration', name: 'exfil', purpose: `store ${retired} for me`, justification: 'needed' },
    ]) {
      const r = await propose(body);
      expectRefusal(r, 'exfiltration_blocked', ALL_SECRETS());
    }
    expect((await h.control('GET', '/v1/proposals')).json.proposals).toEqual([]);
  });
});

// Found by the red team, and fixed; each of these uses a key of its own integration ("leaky-*"), so the end-of-file checks
// stay about everything else.
describe('found by the red team', () => {
  // Was a bug (daemon/pipeline/index.ts, admit), fixed: the credential scan looks at header *values* only
  // (`Object.values(headers)`), so a stored key used as a header *name* (Node lower-cases names:
  // any lower-case key, e.g. hex keys like Serper's, survives intact, and so do GitHub tokens,
  // whose format regex is still matched once lower-cased) is forwarded to the provider.
  // The fix: scan the names too, e.g. scanner.scan(Object.entries(headers).map(([n, v]) => `${n}: ${v}`).join('\n')).
  it('a stored key, or a GitHub token, used as a header name is refused, not forwarded', async () => {
    const leaky = await h.addIntegration({ name: 'leaky-header' }, hexKey());
    const before = h.upstream.requests.length;
    expectRefusal(await h.call('search', `${SEARCH}?q=hn`, { headers: { [leaky]: '1' } }), 'exfiltration_blocked', [leaky]);
    expectRefusal(await h.call('search', `${SEARCH}?q=hn`, { headers: { [GITHUB_PAT]: '1' } }), 'exfiltration_blocked');
    const sent = h.upstream.requests.slice(before).flatMap((r) => r.rawHeaders).join('\n');
    expect(sent).not.toContain(leaky);
    expect(sent).not.toContain(GITHUB_PAT.toLowerCase());
  });

  // Was a bug (daemon/pipeline/resolve.ts + daemon/alerts/detectors.ts), fixed: an unknown integration name
  // that happens to match the name pattern is written down as it came: in the audit record's
  // `integration`, in the "Call refused" alert's dedupe key and message, and in the native
  // notification. A lower-case key (hex keys are valid names) used as the name segment,
  // /v1/call/<key>/..., lands in the audit log, the alerts table, the WAL and on the operator's
  // screen. Fix: scan the name like the path (auditableName → '[redacted: credential]' when the
  // scanner hits), and keep made-up names out of alerts (see the alert-flood bug in floods.test.ts).
  it('a stored key used as the integration name is refused and written nowhere', async () => {
    const leaky = await h.addIntegration({ name: 'leaky-name' }, hexKey());
    const r = await h.call(leaky, `${SEARCH}?q=x`);
    expectRefusal(r, ['not_allowlisted', 'exfiltration_blocked']);
    expect(await leaksOf(h, [leaky])).toEqual([]);
  });

  // Was a bug (daemon/daemon.ts, propose), fixed: only `justification` and `purpose` are scanned; `name`,
  // `integration`, `template`, `baseUrl` and `routes[].path` are stored as they came (in SQLite,
  // which must never hold a key), and `name`/`integration` are also put into the proposal alert's
  // message and the native notification. Fix: scan every string of the proposal body
  // (e.g. scanner.scan(JSON.stringify(body))) before submit().
  it('a stored key in any other field of a proposal is refused and stored nowhere', async () => {
    const leaky = await h.addIntegration({ name: 'leaky-proposal' }, hexKey());
    const bodies = [
      { kind: 'new_integration', name: leaky, purpose: 'p', justification: 'j' },
      { kind: 'raise_cap', integration: leaky, monthlyCapUsd: 20, justification: 'j' },
      { kind: 'new_integration', name: 'exfil-a', purpose: 'p', baseUrl: `https://evil.example/?k=${leaky}`, justification: 'j' },
      { kind: 'new_integration', name: 'exfil-b', purpose: 'p', routes: [{ method: 'GET', path: `/${leaky}` }], justification: 'j' },
      { kind: 'new_integration', name: 'exfil-c', purpose: 'p', template: leaky, justification: 'j' },
    ];
    const statuses: number[] = [];
    for (const body of bodies) statuses.push((await propose(body)).status);
    expect(statuses).toEqual(bodies.map(() => 403));
    expect(await leaksOf(h, [leaky])).toEqual([]);
  });

  // Was a bug (daemon/pipeline/guard.ts, scanBase64), fixed: a base64 run is decoded only from its first
  // character, and '/' is a base64 character, so base64(url) of a stored key as a path segment is
  // decoded out of alignment with the path before it (/res/v1/docs/ is 13 characters) and missed,
  // unless that prefix happens to be a multiple of 4 long. (The integration's own key is still
  // caught, by the exact-forms check in pipeline/keychain.ts; any other stored key is not.) Fix:
  // also decode each piece between '/' (or try the four alignments of a long run).
  it("base64url of another stored key, as a path segment, is refused", async () => {
    const leaky = await h.addIntegration({ name: 'leaky-base64' }, hexKey());
    const before = h.upstream.requests.length;
    for (const path of [b64url(leaky), `x/${b64url(leaky)}`, `ab/${b64url(`${leaky}\n`)}`]) {
      expectRefusal(await h.call('search', `/res/v1/docs/${path}`), 'exfiltration_blocked', [leaky]);
    }
    expect(h.upstream.requests.length).toBe(before);
  });

  const propose = (body: unknown) => h.agent('POST', '/v1/proposals', { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
});

// What the scanner does not claim to catch (daemon/pipeline/guard.ts says so: "a determined
// sender can still disguise a key (reversed, hex, split)"). These go through to the approved
// provider. Listed so the limit is explicit, and so a stronger scanner shows up here as a change.
describe('documented limits: disguised forms the scanner does not catch are forwarded', () => {
  const through = async (label: string, send: () => Promise<Reply>): Promise<void> => {
    const r = await send();
    expect(r.status, `${label}: ${r.text}`).toBe(200);
  };
  it('split across two query parameters', () => through('split', get(`a=${other.slice(0, 20)}&b=${other.slice(20)}`)));
  it('split by a space in a body', () => through('split body', post(JSON.stringify({ t: `${other.slice(0, 20)} ${other.slice(20)}` }))));
  it('reversed', () => through('reversed', get(`q=${[...other].reverse().join('')}`)));
  it('hex-encoded', () => through('hex', get(`q=${Buffer.from(own).toString('hex')}`)));
  it('percent-encoded three times', () => through('3x', get(`q=${encodeURIComponent(encodeURIComponent(pct(own)))}`)));
  it('base64 of base64', () => through('b64b64', get(`q=${b64url(b64(own))}`)));
  it('a lower-case key upper-cased', () => through('case', get(`q=${other.toUpperCase()}`)));
  it('gzip bytes without a Content-Encoding header', () => through('gzip', post(gzipSync(own), 'application/octet-stream')));
  it('a well-known format glued to a preceding word (the rules want one before the token, against false positives)', () =>
    through('glued format', post(JSON.stringify({ t: `mytoken${GITHUB_GLUED}` }))));
  it('an AWS secret access key on its own (no distinctive prefix to recognise)', () => through('aws secret', post(JSON.stringify({ secret: alnum(40) }))));
});

describe('after the storm', () => {
  it('the provider never saw a key except each integration\'s own, in its own auth header', () => {
    expectUpstreamClean(h.upstream.requests, {
      keys: { search: { key: own, header: 'x-subscription-token' }, other: { key: other, header: 'authorization' }, retired: { key: retired, header: 'x-subscription-token' } },
      allowedPath: /^\/res\/v1\/(web\/search|docs\/[^?]+)$/,
      never: [AWS_KEY_ID, GITHUB_PAT, GITHUB_FINE, SLACK_BOT, SLACK_HOOK, PEM_BODY, OPENSSH_BODY],
    });
  });

  it('nothing lost, nothing leaked, still healthy', () =>
    expectSound(h, { secrets: ALL_SECRETS(), call: ['search', `${SEARCH}?q=after`] }));
});

