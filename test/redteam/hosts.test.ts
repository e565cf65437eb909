// Red team: calls to what the operator never approved, in every form an assistant could try: made-
// up names, look-alikes of an approved one (case, percent-encoding, Unicode confusables, trailing
// dots and spaces), traversal in the name segment, a decommissioned integration, and hosts or
// absolute URLs where the name or the path goes. A second HTTPS server that the daemon would trust
// (same test CA) stands for "elsewhere": it must never be reached. Each attempt is refused,
// recorded, never echoed when it is not a valid name, and nothing reaches any provider.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../daemon/errors.ts';
import { Harness } from '../helpers/harness.ts';
import { startUpstream, type Upstream } from '../helpers/upstream.ts';
import { braveLikeKey, expectRefusal, expectSound, expectUpstreamClean, PURPOSE, rawCall, request } from './helpers.ts';

const NOT: ErrorCode = 'not_allowlisted';
const ROUTE: ErrorCode = 'route_not_allowed';
const BAD: ErrorCode = 'bad_request';
const PATH = '/res/v1/web/search?q=x';

let h: Harness;
let evil: Upstream;
let key: string;
let retiredKey: string;

beforeAll(async () => {
  h = await Harness.start();
  evil = await startUpstream(h.pki);
  key = await h.addIntegration({ name: 'brave-search' }, braveLikeKey());
  retiredKey = await h.addIntegration({ name: 'retired' }, braveLikeKey());
  expect((await h.call('brave-search', PATH)).status).toBe(200);
  expect((await h.call('retired', PATH)).status).toBe(200);
  expect((await h.control('POST', '/v1/integrations/retired/decommission')).status).toBe(200);
});
afterAll(async () => {
  await evil?.close();
  await h.close();
});

interface AuditRow { requestId: string; integration: string; host: string; outcome: string; code: string }

async function auditOf(requestId: string): Promise<AuditRow | undefined> {
  const r = await h.control('GET', '/v1/audit?limit=50');
  return (r.json.records as AuditRow[]).find((x) => x.requestId === requestId);
}

/**
 * Sends `target` raw; expects one of `codes`, nothing at either provider, an audit record for a
 * refused call (with the name only when it is a valid one), and a message that does not echo an
 * invalid name.
 */
async function refused(target: string, codes: ErrorCode | readonly ErrorCode[], headers: [string, string][] = []): Promise<void> {
  const before = h.upstream.requests.length;
  const r = await rawCall(h.paths.agentSocket, request('GET', target, [PURPOSE, ...headers]));
  const code = expectRefusal(r, codes, [key, retiredKey]);
  expect(h.upstream.requests.length, `${target} reached the provider`).toBe(before);
  expect(evil.requests, `${target} reached another host`).toHaveLength(0);
  if (code === 'not_allowlisted') {
    const name = target.slice('/v1/call/'.length).split(/[/?]/, 1)[0]!;
    const valid = /^[a-z0-9][a-z0-9-]{0,62}$/.test(name);
    expect(r.json.error.message).toMatch(/policy violation/);
    if (!valid && name.length > 2) expect(r.json.error.message, 'an invalid name is not echoed').not.toContain(name);
    const rec = await auditOf(r.json.error.requestId);
    expect(rec, 'the refusal is recorded').toBeDefined();
    expect(rec).toMatchObject({ outcome: 'refused', code, integration: valid ? name : '(invalid name)', host: '-' });
  }
}

function cases(list: [label: string, target: string, codes: ErrorCode | readonly ErrorCode[]][]): void {
  for (const [label, target, codes] of list) it(`${label}: ${JSON.stringify(target)}`, () => refused(target, codes));
}

describe('names that were never approved', () => {
  cases([
    ['a made-up name', `/v1/call/evil${PATH}`, NOT],
    ['a prefix of the approved name', `/v1/call/brave${PATH}`, NOT],
    ['the approved name plus a suffix', `/v1/call/brave-search-2${PATH}`, NOT],
    ['a provider Tollgate has a template for, but not approved', `/v1/call/exa${PATH}`, NOT],
    ['an empty name', `/v1/call/${PATH}`, NOT],
    ['an empty name and no path', '/v1/call/', NOT],
  ]);
});

describe('look-alikes of the approved name', () => {
  cases([
    ['title case', `/v1/call/Brave-Search${PATH}`, NOT],
    ['upper case', `/v1/call/BRAVE-SEARCH${PATH}`, NOT],
    ['an encoded dash', `/v1/call/brave%2dsearch${PATH}`, NOT],
    ['an encoded dash, upper case', `/v1/call/brave%2Dsearch${PATH}`, NOT],
    ['an encoded letter', `/v1/call/%62rave-search${PATH}`, NOT],
    ['Cyrillic a (U+0430), encoded', `/v1/call/br%d0%b0ve-search${PATH}`, NOT],
    ['a Unicode hyphen (U+2010), encoded', `/v1/call/brave%e2%80%90search${PATH}`, NOT],
    ['a non-breaking hyphen (U+2011), encoded', `/v1/call/brave%e2%80%91search${PATH}`, NOT],
    ['a full-width b (U+FF42), encoded', `/v1/call/%ef%bd%82rave-search${PATH}`, NOT],
    ['a Cyrillic a, raw UTF-8 bytes', `/v1/call/br\xd0\xb0ve-search${PATH}`, BAD],
    ['a trailing dot', `/v1/call/brave-search.${PATH}`, NOT],
    ['two trailing dots', `/v1/call/brave-search..${PATH}`, NOT],
    ['a trailing encoded space', `/v1/call/brave-search%20${PATH}`, NOT],
    ['a trailing encoded tab', `/v1/call/brave-search%09${PATH}`, NOT],
    ['a trailing encoded NUL', `/v1/call/brave-search%00${PATH}`, NOT],
    ['a trailing +', `/v1/call/brave-search+${PATH}`, NOT],
    ['a trailing ;', `/v1/call/brave-search;${PATH}`, NOT],
    ['a leading raw space', `/v1/call/ brave-search${PATH}`, BAD],
    ['a trailing raw tab', `/v1/call/brave-search\t${PATH}`, BAD],
  ]);
});

describe('traversal in the name segment', () => {
  cases([
    ['.. to the control API', '/v1/call/../control', NOT],
    ['.. to an operator route', '/v1/call/../integrations/brave-search', NOT],
    ['encoded ..', '/v1/call/%2e%2e/integrations/brave-search', NOT],
    ['. as the name', `/v1/call/.${'/brave-search'}${PATH}`, NOT],
    ['.. after the approved name', '/v1/call/brave-search/../../v1/integrations', ROUTE],
    ['..;/ after the approved name', '/v1/call/brave-search/..;/..;/v1/integrations', ROUTE],
    ['an encoded slash inside the name', `/v1/call/brave-search%2f..%2fevil${PATH}`, NOT],
    ['a backslash inside the name', `/v1/call/evil\\..\\brave-search${PATH}`, BAD],
  ]);

  it('the agent API itself has no other way in: /v1/call without a slash, a name in the query', async () => {
    await refused('/v1/call?integration=brave-search', BAD);
    await refused('/v1/calls/brave-search/res/v1/web/search', BAD);
    await refused('/v1//call/brave-search/res/v1/web/search', BAD);
  });
});

describe('a decommissioned integration', () => {
  it('is refused under its own name and every look-alike, its old key never read', async () => {
    await refused(`/v1/call/retired${PATH}`, NOT);
    await refused(`/v1/call/Retired${PATH}`, NOT);
    await refused(`/v1/call/retired%2e${PATH}`, NOT);
    const i = await h.control('GET', '/v1/integrations/retired');
    expect(i.json.integration.status).toBe('decommissioned');
    expect(await h.keychain.get('retired'), 'its key is gone from the keychain').toBeNull();
  });
});

describe('hosts and absolute URLs where the name or the path goes', () => {
  it('as the name', async () => {
    const port = evil.port;
    for (const name of ['evil.example', `127.0.0.1:${port}`, `127.0.0.1`, 'localhost', 'brave-search.evil.example', 'brave-search:443', 'brave-search@evil.example', `[::1]:${port}`]) {
      await refused(`/v1/call/${name}${PATH}`, [NOT, BAD]);
    }
  });

  it('as an absolute URL after the name', async () => {
    const port = evil.port;
    await refused('/v1/call/x/https://evil.example/', NOT);
    await refused('/v1/call/https://evil.example/res/v1/web/search', NOT);
    await refused(`/v1/call/https%3a%2f%2f127.0.0.1:${port}/res/v1/web/search`, NOT);
    await refused('/v1/call/brave-search/https://evil.example/', ROUTE);
    await refused(`/v1/call/brave-search/https:%2f%2f127.0.0.1:${port}/res/v1/web/search`, ROUTE);
    await refused('/v1/call/brave-search//evil.example/res/v1/web/search', ROUTE);
    await refused(`/v1/call/brave-search/@127.0.0.1:${port}/res/v1/web/search`, ROUTE);
  });

  it('in the Host header and in proxy headers, with an unknown name', async () => {
    await refused(`/v1/call/evil${PATH}`, NOT, [['Host', 'brave-search']]);
    await refused(`/v1/call/evil${PATH}`, NOT, [['X-Forwarded-Host', 'brave-search'], ['Forwarded', 'host=brave-search']]);
  });

  it('an approved call with another host in the query, a header and the body still goes only to its own host', async () => {
    const before = h.upstream.requests.length;
    const r = await h.call('brave-search', `/res/v1/web/search?q=x&url=${encodeURIComponent(`https://127.0.0.1:${evil.port}/`)}&host=evil.example`, {
      headers: { 'x-target': `https://127.0.0.1:${evil.port}/`, referer: `https://127.0.0.1:${evil.port}/` },
    });
    expect(r.status).toBe(200);
    expect(h.upstream.requests.length).toBe(before + 1);
    expect(h.upstream.requests.at(-1)!.headers.host).toBe(`127.0.0.1:${h.upstream.port}`);
    expect(evil.requests).toHaveLength(0);
  });
});

describe('after the storm', () => {
  it('the other host was never reached, the provider only on the approved route', () => {
    expect(evil.requests).toHaveLength(0);
    expectUpstreamClean(h.upstream.requests, {
      keys: { 'brave-search': { key, header: 'x-subscription-token' }, retired: { key: retiredKey, header: 'x-subscription-token' } },
      allowedPath: /^\/res\/v1\/web\/search$/,
    });
  });

  it('every not_allowlisted attempt counts as a policy violation: a critical alert, once', async () => {
    const alerts = (await h.control('GET', '/v1/alerts?limit=1000')).json.alerts as { kind: string; tier: string; count: number }[];
    const violations = alerts.filter((a) => a.kind === 'policy_violations');
    expect(violations).toHaveLength(1);
    expect(violations[0]!.tier).toBe('critical');
  });

  it('nothing lost, nothing leaked, still healthy', () =>
    expectSound(h, { secrets: [key, retiredKey], call: ['brave-search', '/res/v1/web/search?q=after'] }));
});
