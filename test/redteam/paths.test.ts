// Red team: every path trick an assistant under prompt injection could put in a call's target, sent
// as raw bytes (no client normalises them first) against a real daemon. The integration has a `**`
// route, so a trick that slipped past the path checks would match a route and reach the provider:
// each must be refused by Tollgate (or, for a few odd-but-harmless forms, be forwarded byte for byte
// under the approved prefix). Then: the provider saw only approved paths, every refused call has its
// audit record, nothing is reserved, the chain verifies, and a normal call still works.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../daemon/errors.ts';
import { Harness } from '../helpers/harness.ts';
import { braveLikeKey, expectRefusal, expectSound, expectUpstreamClean, hexKey, PURPOSE, rawCall, request } from './helpers.ts';

const F = '/v1/call/search/res/v1/files';
const P = '/v1/call/prefixed';
const ROUTE: ErrorCode = 'route_not_allowed';
const BAD: ErrorCode = 'bad_request';

let h: Harness;
let searchKey: string;
let prefixedKey: string;
const refusedIds: string[] = [];
/** The path each route refusal named, by request id. */
const namedPaths = new Map<string, string>();

beforeAll(async () => {
  h = await Harness.start();
  searchKey = await h.addIntegration({
    routes: [{ method: 'GET', path: '/res/v1/web/search' }, { method: 'GET', path: '/res/v1/files/**' }],
  }, braveLikeKey());
  // A base URL with a path prefix: no call may climb out of /api/v2.
  prefixedKey = await h.addIntegration({
    name: 'prefixed', baseUrl: `${h.upstream.url}/api/v2`, auth: { type: 'bearer' },
    routes: [{ method: 'GET', path: '/items/**' }],
  }, hexKey());
  expect((await h.call('search', '/res/v1/files/warmup')).status).toBe(200);
  expect((await h.call('prefixed', '/items/warmup')).status).toBe(200);
});
afterAll(() => h.close());

/** Sends `target` raw and expects one of `codes`, with nothing reaching the provider. */
async function refused(target: string, codes: ErrorCode | readonly ErrorCode[]): Promise<void> {
  const before = h.upstream.requests.length;
  const r = await rawCall(h.paths.agentSocket, request('GET', target, [PURPOSE]));
  const code = expectRefusal(r, codes, [searchKey, prefixedKey]);
  if (code !== 'bad_request') {
    // A call's path may hold a key: a refusal names the path only as the audit records it (no
    // query, keys redacted), checked once every record is in (below).
    const named = /^\S+ does not allow \S+ (\S+)\. Its routes/.exec(r.json.error.message)?.[1];
    refusedIds.push(r.json.error.requestId);
    if (named !== undefined) namedPaths.set(r.json.error.requestId, named);
  }
  expect(h.upstream.requests.length, `${target} reached the provider`).toBe(before);
}

function cases(list: [label: string, target: string, codes: ErrorCode | readonly ErrorCode[]][]): void {
  for (const [label, target, codes] of list) it(`${label}: ${target}`, () => refused(target, codes));
}

describe('dot segments', () => {
  cases([
    ['raw ..', `${F}/../../../admin`, ROUTE],
    ['raw .. that would land on another listed route', `${F}/../web/search`, ROUTE],
    ['raw .. at the end', `${F}/x/..`, ROUTE],
    ['raw .', `${F}/./x`, ROUTE],
    ['three dots (trimmed to .. by some servers)', `${F}/.../x`, ROUTE],
    ['encoded once, lower case', `${F}/%2e%2e/%2e%2e/admin`, ROUTE],
    ['encoded once, upper case', `${F}/%2E%2E/admin`, ROUTE],
    ['encoded once, mixed', `${F}/.%2E/admin`, ROUTE],
    ['half encoded', `${F}/%2e./admin`, ROUTE],
    ['one encoded dot', `${F}/%2e/admin`, ROUTE],
    ['encoded twice', `${F}/%252e%252e/admin`, ROUTE],
    ['encoded twice, with an encoded slash', `${F}/%252E%252E%252Fadmin`, ROUTE],
    ['encoded three times', `${F}/%25252e%25252e/admin`, ROUTE],
    ['percent itself encoded, then hex digits encoded', `${F}/%25%32%65%25%32%65/admin`, ROUTE],
  ]);
});

describe('case', () => {
  cases([
    ['upper-case upstream path (routes are case-sensitive)', '/v1/call/search/RES/v1/files/x', ROUTE],
    ['upper-case agent prefix', '/V1/CALL/search/res/v1/files/x', BAD],
    ['mixed-case agent prefix', '/v1/Call/search/res/v1/files/x', BAD],
  ]);
});

describe('backslashes and encoded slashes', () => {
  cases([
    ['raw backslashes', `${F}/..\\..\\admin`, BAD],
    ['raw backslash as the separator', `${F}\\..\\..\\admin`, BAD],
    ['encoded backslash', `${F}/..%5c..%5cadmin`, ROUTE],
    ['encoded backslash, upper case', `${F}/..%5C..%5Cadmin`, ROUTE],
    ['double-encoded backslash', `${F}/..%255c..%255cadmin`, ROUTE],
    ['encoded slash', `${F}/..%2f..%2fadmin`, ROUTE],
    ['encoded slash, upper case', `${F}/..%2F..%2Fadmin`, ROUTE],
    ['double-encoded slash', `${F}/..%252f..%252fadmin`, ROUTE],
    ['encoded slash alone', `${F}/a%2fb`, ROUTE],
  ]);
});

describe('overlong UTF-8 and Unicode look-alikes', () => {
  cases([
    ['overlong 2-byte dots', `${F}/%c0%ae%c0%ae/admin`, ROUTE],
    ['overlong 2-byte dots, upper case', `${F}/%C0%AE%C0%AE/admin`, ROUTE],
    ['overlong 3-byte dots', `${F}/%e0%80%ae%e0%80%ae/admin`, ROUTE],
    ['overlong 4-byte dot', `${F}/%f0%80%80%ae%f0%80%80%ae/admin`, ROUTE],
    ['overlong slash', `${F}/..%c0%af..%c0%afadmin`, ROUTE],
    ['overlong backslash', `${F}/..%c1%9c..%c1%9cadmin`, ROUTE],
    ['a lone continuation byte', `${F}/%80`, ROUTE],
    ['an encoded surrogate', `${F}/%ed%a0%80`, ROUTE],
    ['full-width dots (U+FF0E)', `${F}/%ef%bc%8e%ef%bc%8e/admin`, ROUTE],
    ['full-width slash (U+FF0F)', `${F}/..%ef%bc%8f..%ef%bc%8fadmin`, ROUTE],
    ['full-width backslash (U+FF3C)', `${F}/..%ef%bc%bc..%ef%bc%bcadmin`, ROUTE],
    ['two-dot leader (U+2025, NFKC ..)', `${F}/%e2%80%a5/admin`, ROUTE],
    ['one-dot leaders (U+2024)', `${F}/%e2%80%a4%e2%80%a4/admin`, ROUTE],
    ['small full stops (U+FE52)', `${F}/%ef%b9%92%ef%b9%92/admin`, ROUTE],
    ['raw full-width dots (UTF-8 bytes in the request line)', `${F}/\xef\xbc\x8e\xef\xbc\x8e/admin`, BAD],
    ['raw overlong dots', `${F}/\xc0\xae\xc0\xae/admin`, BAD],
  ]);
});

describe('NUL, control characters and delimiters', () => {
  cases([
    ['encoded NUL', `${F}/x%00.json`, ROUTE],
    ['encoded NUL after ..', `${F}/..%00/admin`, ROUTE],
    ['encoded CR LF (header injection upstream)', `${F}/x%0d%0aX-Injected:%20yes`, ROUTE],
    ['encoded tab', `${F}/..%09/admin`, ROUTE],
    ['encoded DEL', `${F}/x%7f`, ROUTE],
    ['raw NUL', `${F}/x\x00y`, BAD],
    ['raw tab', `${F}/x\ty`, BAD],
    ['raw DEL', `${F}/x\x7fy`, BAD],
    ['a fragment', `${F}/x#/../../admin`, BAD],
    ['a stray %', `${F}/100%/x`, BAD],
    ['a % with one hex digit', `${F}/%2`, BAD],
    ['an encoded ? that hides .. behind it', `${F}/x%3f/../admin`, ROUTE],
    ['a path over 2048 characters', `${F}/${'a'.repeat(2100)}`, ROUTE],
    ['empty segments', `${F}//x`, ROUTE],
  ]);
});

describe('path parameters (;)', () => {
  cases([
    ['..;/ (Tomcat reads ..)', `${F}/..;/..;/admin`, ROUTE],
    ['.;/', `${F}/.;/admin`, ROUTE],
    ['..;param/', `${F}/..;jsessionid=1/admin`, ROUTE],
    ['encoded ..;', `${F}/%2e%2e;/admin`, ROUTE],
    ['a parameter on a listed literal route', '/v1/call/search/res/v1/web/search;x=1', ROUTE],
  ]);
});

describe('request targets that are not a path', () => {
  it('absolute-form and authority-form targets, in every case', async () => {
    const port = h.upstream.port;
    for (const target of [
      `https://127.0.0.1:${port}/res/v1/files/x`,
      `HTTPS://127.0.0.1:${port}/res/v1/files/x`,
      'http://tollgate/v1/call/search/res/v1/files/x',
      'http:/v1/call/search/res/v1/files/x',
      'file:///etc/passwd',
      `127.0.0.1:${port}`,
      'evil.example:443',
      'tollgate',
    ]) {
      await refused(target, BAD);
    }
  });

  it('//host targets, at the start and as the upstream path', async () => {
    const port = h.upstream.port;
    await refused('//evil.example/v1/call/search/res/v1/files/x', BAD);
    await refused(`//127.0.0.1:${port}/res/v1/files/x`, BAD);
    await refused('///v1/call/search/res/v1/files/x', BAD);
    // After the integration name: the upstream path would be read as a host by a URL parser.
    await refused('/v1/call/search//evil.example/res/v1/files/x', ROUTE);
    await refused(`/v1/call/search//127.0.0.1:${port}/res/v1/files/x`, ROUTE);
  });

  it('OPTIONS * (asterisk-form)', async () => {
    const before = h.upstream.requests.length;
    expectRefusal(await rawCall(h.paths.agentSocket, request('OPTIONS', '*', [PURPOSE])), BAD);
    expect(h.upstream.requests.length).toBe(before);
  });
});

describe("a call that tries to climb out of the base URL's path prefix (/api/v2)", () => {
  cases([
    ['.. right after the name', `${P}/../admin`, ROUTE],
    ['.. alone', `${P}/..`, ROUTE],
    ['.. from inside a listed prefix', `${P}/items/../../admin`, ROUTE],
    ['encoded ..', `${P}/items/%2e%2e/%2e%2e/admin`, ROUTE],
    ['.. joined by encoded slashes', `${P}/items/..%2f..%2f..%2fadmin`, ROUTE],
    ['..;/', `${P}/items/..;/..;/admin`, ROUTE],
    ['an empty segment then ..', `${P}//../admin`, ROUTE],
    ['a path that does not start with / after the name', '/v1/call/prefixed..%2fadmin', ['not_allowlisted']],
  ]);

  it('what does go through stays under /api/v2/items/', async () => {
    const before = h.upstream.requests.length;
    const r = await h.call('prefixed', '/items/a/b?next=../../admin');
    expect(r.status).toBe(200);
    expect(h.upstream.requests.slice(before).map((x) => x.url)).toEqual(['/api/v2/items/a/b?next=../../admin']);
  });
});

describe('odd but harmless paths are forwarded byte for byte, never rewritten', () => {
  // Tollgate checks the raw path and forwards exactly what it checked: it never decodes or
  // normalises, so the provider parses the same bytes the route check saw. These forms are not
  // dot segments or separators under RFC 3986 or NFKC, so they pass; the provider sees them as one
  // segment under the approved prefix. (A provider that applies Windows-style trimming of a
  // trailing space, or "best fit" mapping of U+2215 to '/', would read more into them; see the
  // suite's notes.)
  for (const path of [
    '/res/v1/files/a;b=c',
    '/res/v1/files/%7Euser/report.json',
    '/res/v1/files/..%20',
    '/res/v1/files/..%e2%88%95admin',
    '/res/v1/files/x/',
  ]) {
    it(path, async () => {
      const before = h.upstream.requests.length;
      const r = await rawCall(h.paths.agentSocket, request('GET', `/v1/call/search${path}?q=1`, [PURPOSE]));
      expect(r.status, r.text).toBe(200);
      expect(h.upstream.requests.slice(before).map((x) => x.url)).toEqual([`${path}?q=1`]);
    });
  }
});

describe('after the storm', () => {
  it('every refused call has its audit record', async () => {
    const audit = await h.control('GET', '/v1/audit?limit=1000');
    const records = new Map((audit.json.records as { requestId: string; path: string }[]).map((r) => [r.requestId, r]));
    expect(refusedIds.length).toBeGreaterThan(50);
    expect(refusedIds.filter((id) => !records.has(id))).toEqual([]);
    expect(namedPaths.size).toBeGreaterThanOrEqual(2);
    for (const [id, named] of namedPaths) expect(named, 'a refusal names the path as the audit records it').toBe(records.get(id)!.path);
  });

  it('the provider saw only approved paths, keys only in their own auth header', () => {
    expectUpstreamClean(h.upstream.requests, {
      keys: { search: { key: searchKey, header: 'x-subscription-token' }, prefixed: { key: prefixedKey, header: 'authorization' } },
      allowedPath: /^(\/res\/v1\/web\/search|\/res\/v1\/files\/[^?#\\]+|\/api\/v2\/items\/[^?#\\]+)$/,
    });
    for (const r of h.upstream.requests) {
      if (r.url.startsWith('/api/v2/')) expect(r.headers.authorization).toBe(`Bearer ${prefixedKey}`);
      else expect(r.headers['x-subscription-token']).toBe(searchKey);
    }
  });

  it('nothing lost, nothing leaked, still healthy', () =>
    expectSound(h, { secrets: [searchKey, prefixedKey], call: ['search', '/res/v1/web/search?q=after'] }));
});
