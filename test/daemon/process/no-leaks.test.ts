// Rules 3 and 8 end to end: after a daemon process has made calls with a distinctive query value,
// refused calls that carried a key, a key rejected by the provider, an upstream failure, a key
// rotation and a decommission (archive written), not one file it wrote (database, WAL, archive,
// register, anything) nor anything it printed holds a key or that query value, in plain, URL-encoded,
// base64 or base64url form.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Testbed } from '../../helpers/daemon-process.ts';

const hex = (n: number): string => randomBytes(n).toString('hex');

const CANARY = `LEAKCANARY-${hex(12)}`;
// Keys with characters that change under URL encoding, so the encoded forms are distinct needles.
const SEARCH_KEY = `tgleak1-${hex(16)}+x/y=`;
const QUERY_KEY = `tgleak2_${hex(16)}`;
const ROTATED_KEY = `tgleak3-${hex(16)}~z`;
const STOLEN_KEY = `tgleak4-${hex(16)}`; // set on an integration that is later decommissioned

/** Every way a secret could sit in a file: as is, URL-encoded, hex, and base64/base64url at each byte alignment. */
function forms(secret: string): string[] {
  const out = new Set([secret, encodeURIComponent(secret), encodeURIComponent(encodeURIComponent(secret)), Buffer.from(secret).toString('hex')]);
  for (const enc of ['base64', 'base64url'] as const) {
    for (let shift = 0; shift < 3; shift++) {
      const b = Buffer.concat([Buffer.alloc(shift, 0x20), Buffer.from(secret)]).toString(enc).replace(/=+$/, '');
      // Drop the groups that mix in bytes around the secret; the middle is there whatever surrounds it.
      out.add(b.slice(shift === 0 ? 0 : 4, b.length - 4));
    }
  }
  return [...out];
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(p));
    else if (entry.isFile()) out.push(p);
  }
  return out;
}

/** Which needles occur where: `file: form of secret`. Empty when nothing leaked. */
function findLeaks(sources: { name: string; bytes: Buffer }[], secrets: Record<string, string>): string[] {
  const leaks = new Set<string>();
  for (const { name, bytes } of sources) {
    for (const [label, secret] of Object.entries(secrets)) {
      for (const form of forms(secret)) {
        // latin1 keeps every byte as one char; utf16le catches a secret written as UTF-16.
        if (bytes.includes(form, 0, 'latin1') || bytes.includes(form, 0, 'utf16le')) leaks.add(`${name}: ${label} (as ${JSON.stringify(form.slice(0, 12))}…)`);
      }
    }
  }
  return [...leaks];
}

describe('nothing the daemon writes or prints holds a key or a query value', () => {
  let t: Testbed;
  const secrets = { SEARCH_KEY, QUERY_KEY, ROTATED_KEY, STOLEN_KEY, CANARY };
  const fileSnapshots: { name: string; bytes: Buffer }[] = [];

  /** Reads every file under TOLLGATE_HOME as bytes (tagged with when it was read). */
  function snapshot(when: string): void {
    for (const f of filesUnder(t.home)) {
      fileSnapshots.push({ name: `${when}:${relative(t.home, f)}`, bytes: readFileSync(f) });
    }
  }

  beforeAll(async () => {
    // The provider echoes the query and the body it got (responses are never stored, so this must not
    // leak either), answers 401 on /account, and drops the connection on /reset.
    t = await Testbed.create({
      handler: (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
        const url = new URL(req.url ?? '/', 'https://upstream');
        if (url.pathname.endsWith('/account')) {
          res.writeHead(401, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: 'invalid key', q: url.searchParams.get('q') }));
          return;
        }
        if (url.pathname.endsWith('/reset')) {
          req.socket.destroy();
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ q: url.searchParams.get('q'), body: body.toString('utf8') }));
      },
    });
    await t.start();
    const routes = [
      { method: 'GET', path: '/res/v1/web/search' }, { method: 'POST', path: '/res/v1/web/search' },
      { method: 'GET', path: '/res/v1/account' }, { method: 'GET', path: '/res/v1/reset' },
    ];
    await t.addIntegration({ name: 'search', routes }, SEARCH_KEY);
    await t.addIntegration({ name: 'qsearch', routes, auth: { type: 'query', name: 'api_key' } }, QUERY_KEY);
    await t.addIntegration({ name: 'old', routes }, STOLEN_KEY);
  });
  afterAll(() => t.close());

  it('makes the calls: answered, refused, rejected by the provider, failed upstream', async () => {
    const q = `q=${CANARY}&count=3`;
    // Answered calls with the canary in the query and in a body; the provider echoes it back.
    for (const name of ['search', 'qsearch', 'old']) {
      const r = await t.call(name, `/res/v1/web/search?${q}`);
      expect(r.status).toBe(200);
      expect(r.json.q).toBe(CANARY);
    }
    const posted = await t.call('search', `/res/v1/web/search?${q}`, { method: 'POST', body: JSON.stringify({ query: CANARY }) });
    expect(posted.status).toBe(200);
    // The query-auth key reached the provider in the query, and only there.
    expect(t.upstream.requests.some((r) => r.url.includes(`api_key=${QUERY_KEY}`))).toBe(true);

    // Refused: the integration's own key in the query, raw, URL-encoded, base64; in a body; in the
    // purpose; as a path segment; another integration's key (query, header); a forged query-auth parameter.
    const refusals: [string, string, { method?: string; headers?: Record<string, string>; body?: string }, string][] = [
      ['search', `/res/v1/web/search?q=${SEARCH_KEY}`, {}, 'exfiltration_blocked'],
      ['search', `/res/v1/web/search?q=${encodeURIComponent(SEARCH_KEY)}&x=${CANARY}`, {}, 'exfiltration_blocked'],
      ['search', `/res/v1/web/search?q=${Buffer.from(SEARCH_KEY).toString('base64url')}`, {}, 'exfiltration_blocked'],
      ['search', `/res/v1/web/search?q=${CANARY}`, { method: 'POST', body: JSON.stringify({ query: `look up ${SEARCH_KEY}` }) }, 'exfiltration_blocked'],
      ['search', `/res/v1/web/search?q=${CANARY}`, { method: 'POST', body: Buffer.from(`token=${SEARCH_KEY}`).toString('base64') }, 'exfiltration_blocked'],
      ['search', `/res/v1/web/search?q=${CANARY}`, { headers: { 'tollgate-purpose': `check that ${SEARCH_KEY} works` } }, 'exfiltration_blocked'],
      ['search', `/res/v1/web/search/${encodeURIComponent(SEARCH_KEY)}?q=${CANARY}`, {}, 'route_not_allowed'],
      ['search', `/res/v1/web/search?q=${QUERY_KEY}`, {}, 'exfiltration_blocked'],
      ['search', `/res/v1/web/search?q=${CANARY}`, { headers: { 'x-note': `key ${QUERY_KEY}` } }, 'exfiltration_blocked'],
      ['qsearch', `/res/v1/web/search?q=${CANARY}&api_key=${QUERY_KEY}`, {}, 'exfiltration_blocked'],
      ['qsearch', `/res/v1/web/search?q=${CANARY}`, { method: 'POST', body: `{"k":"${QUERY_KEY}"}` }, 'exfiltration_blocked'],
    ];
    for (const [name, path, opts, code] of refusals) {
      const r = await t.call(name, path, opts);
      expect(r.headers['tollgate-error'], `${name} ${path}`).toBe(code);
      expect(r.text).not.toContain(SEARCH_KEY);
      expect(r.text).not.toContain(QUERY_KEY);
    }

    // A proposal that carries a key is refused, not stored.
    const proposal = await t.agent('POST', '/v1/proposals', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'raise_cap', integration: 'search', monthlyCapUsd: 20, justification: `the key ${SEARCH_KEY} needs more budget` }),
    });
    expect(proposal.status).toBe(403);

    // The upstream drops the connection of a query-auth call (its URL holds the key).
    const reset = await t.call('qsearch', `/res/v1/reset?q=${CANARY}`);
    expect(reset.status).toBe(502);

    // The provider rejects the keys: both integrations are suspended, critical alerts raised.
    for (const name of ['search', 'qsearch']) {
      const rejected = await t.call(name, `/res/v1/account?q=${CANARY}`);
      expect(rejected.status).toBe(401);
    }
    expect((await t.control('GET', '/v1/integrations/qsearch')).json.integration.status).toBe('suspended');
  });

  it('rotates a key, refuses a key already in use, and decommissions an integration (archive written)', async () => {
    const rotated = await t.control('PUT', '/v1/integrations/qsearch/key', { key: ROTATED_KEY });
    expect(rotated.status).toBe(200);
    const inUse = await t.control('PUT', '/v1/integrations/search/key', { key: STOLEN_KEY });
    expect(inUse.status).toBe(409);
    expect(inUse.text).not.toContain(STOLEN_KEY);
    const r = await t.call('qsearch', `/res/v1/web/search?q=${CANARY}`);
    expect(r.status).toBe(200);

    const d = await t.control('POST', '/v1/integrations/old/decommission');
    expect(d.status).toBe(200);
    expect(d.json.keyRemoved).toBe(true);
    expect(d.json.archive.records).toBeGreaterThan(0);
    const d2 = await t.control('POST', '/v1/integrations/search/decommission');
    expect(d2.status).toBe(200);
    expect(readdirSync(join(t.home, 'archive')).filter((f) => f.endsWith('.jsonl'))).toHaveLength(2);

    // The audit log has every call, so the scan below looks at real records.
    const audit = await t.control('GET', '/v1/audit?limit=1000');
    // 4 answered, 11 refused, 1 upstream failure, 2 rejected keys, 1 after the rotation.
    expect(audit.json.records).toHaveLength(19);
    expect(audit.json.records.some((rec: { outcome: string; code: string }) => rec.code === 'exfiltration_blocked')).toBe(true);
  });

  it('holds neither in any file while the daemon runs (database, WAL, shared memory, archive, register)', () => {
    snapshot('running');
    const names = fileSnapshots.map((f) => f.name);
    expect(names).toEqual(expect.arrayContaining(['running:tollgate.db', 'running:tollgate.db-wal', 'running:INTEGRATIONS.md']));
    expect(names.filter((n) => n.startsWith('running:archive/'))).toHaveLength(4); // two archives, two checksums
    expect(findLeaks(fileSnapshots, secrets)).toEqual([]);
  });

  it('holds neither in any file after the daemon stopped, nor in anything it printed', async () => {
    expect(await t.stop()).toEqual({ code: 0, signal: null });
    snapshot('stopped');
    // The scan is real: it finds what is plainly there.
    expect(findLeaks([{ name: 'self-check', bytes: Buffer.from(`x${encodeURIComponent(SEARCH_KEY)}x`) }], secrets)).not.toEqual([]);
    expect(statSync(join(t.home, 'tollgate.db')).size).toBeGreaterThan(0);
    const printed = t.processes.map((p, i) => ({ name: `daemon #${i} output`, bytes: Buffer.from(p.output) }));
    expect(findLeaks([...fileSnapshots, ...printed], secrets)).toEqual([]);
  });
});

// A key glued to other text (no separator before it) in the purpose or the path. The daemon knows
// the purpose carries the key (it refuses the call as exfiltration_blocked), and the path is
// refused as route_not_allowed, yet both are written down as they came.
describe('a key glued to other text in the purpose or the path', () => {
  let t: Testbed;
  const key = `tgleak5-${hex(16)}`;

  beforeAll(async () => {
    t = await Testbed.create();
    await t.start();
    await t.addIntegration({ name: 'search' }, key);
  });
  afterAll(() => t.close());

  it('is refused, and written nowhere', async () => {
    const inPurpose = await t.call('search', `/res/v1/web/search?q=${CANARY}`, { headers: { 'tollgate-purpose': `check${key}` } });
    expect(inPurpose.status).toBe(403);
    expect(inPurpose.headers['tollgate-error']).toBe('exfiltration_blocked');
    const inPath = await t.call('search', `/res/v1/web/search/x${key}?q=${CANARY}`);
    expect(inPath.status).toBe(403);
    expect(t.upstream.requests).toHaveLength(0);

    expect(await t.stop()).toEqual({ code: 0, signal: null });
    const files = filesUnder(t.home).map((f) => ({ name: relative(t.home, f), bytes: readFileSync(f) }));
    const printed = t.processes.map((p, i) => ({ name: `daemon #${i} output`, bytes: Buffer.from(p.output) }));
    expect(findLeaks([...files, ...printed], { key, CANARY })).toEqual([]);
  });
});
