// Adding integrations and their keys from the terminal (issue 3): the key is typed where it is not
// echoed (in a terminal that otherwise echoes), goes to the daemon once, and is never printed.
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import keytar from 'keytar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Testbed } from '../../helpers/daemon-process.ts';
import { json } from '../../helpers/upstream.ts';
import { Terminal } from './terminal.ts';

const newKey = () => `tg-cli-key-${randomUUID()}`;

describe('keys and new integrations from the terminal', () => {
  let t: Testbed;
  const definition = (name: string) => ({
    name, purpose: 'Web search for research tasks', account: 'assistant-research@example.org', baseUrl: t.upstream.url,
    auth: { type: 'header', name: 'X-Subscription-Token' }, routes: [{ method: 'GET', path: '/res/v1/web/search' }],
    pricing: { perRequestUsd: 0.005, maxPerRequestUsd: 0.005 }, monthlyCapUsd: 10,
  });
  /** Whether a call through the agent socket reached the upstream with `key` attached. */
  const reachesUpstreamWith = async (name: string, key: string) => {
    const r = await t.call(name, '/res/v1/web/search?q=x');
    return r.status === 200 && t.upstream.requests.at(-1)?.headers['x-subscription-token'] === key;
  };

  beforeAll(async () => {
    t = await Testbed.create({ handler: json(200, { ok: true }) });
    await t.start();
  });
  afterAll(() => t.close());

  it('set-key: confirms, reads the key without echo, stores it; calls then carry it', async () => {
    expect((await t.control('POST', '/v1/integrations', definition('search'))).status).toBe(200);
    const key = newKey();
    const term = new Terminal(['set-key', 'search'], t.home);
    await term.expect('Proceed? [y/N] ', 'y\n');
    await term.expect('Key for search, not shown as you type: ', `${key}\r`);
    expect(await term.exit()).toBe(0);
    expect(term.screen).toContain('Set the key of search\n  The key goes into the OS keychain; Tollgate keeps only a fingerprint.\n');
    // The terminal echoes (the "y" shows), the key does not.
    expect(term.screen).toContain('Proceed? [y/N] y\n');
    expect(term.screen).not.toContain(key);
    expect(term.screen).not.toContain(key.slice(0, 12));
    expect(term.screen).toContain('key of search stored in the OS keychain');
    expect(await keytar.getPassword(t.service, 'search')).toBe(key);
    expect(await reachesUpstreamWith('search', key)).toBe(true);
  });

  it('set-key: Ctrl-C at the key prompt, or an empty key, changes nothing', async () => {
    const before = await keytar.getPassword(t.service, 'search');
    for (const answer of ['half-typed\u0003', '\r']) {
      const term = new Terminal(['set-key', 'search'], t.home);
      await term.expect('Proceed? [y/N] ', 'y\n');
      await term.expect('not shown as you type: ', answer);
      expect(await term.exit()).toBe(1);
      expect(term.screen).toMatch(/tollgate: (cancelled|no key given; nothing changed)/);
      expect(term.screen).not.toContain('half-typed');
    }
    expect(await keytar.getPassword(t.service, 'search')).toBe(before);
  });

  it('set-key: a key another integration uses is refused without printing it', async () => {
    expect((await t.control('POST', '/v1/integrations', definition('other'))).status).toBe(200);
    const used = await keytar.getPassword(t.service, 'search');
    const term = new Terminal(['set-key', 'other'], t.home);
    await term.expect('Proceed? [y/N] ', 'y\n');
    await term.expect('not shown as you type: ', `${used}\r`);
    expect(await term.exit()).toBe(1);
    expect(term.screen).toMatch(/tollgate: That key is already used by search\.[^\n]*\n$/);
    expect(term.screen).not.toContain(used);
    expect(await keytar.getPassword(t.service, 'other')).toBeNull();
  });

  it('add --template brave-search: shows what will be approved, creates it, takes its key', async () => {
    const key = newKey();
    const term = new Terminal(['add', '--template', 'brave-search', '--name', 'brave', '--purpose', 'Web search for research tasks', '--account', 'assistant-research@example.org'], t.home);
    await term.expect('Proceed? [y/N] ', 'y\n');
    await term.expect('Key for brave, not shown as you type (Enter to set it later): ', `${key}\r`);
    expect(await term.exit()).toBe(0);
    expect(term.screen).toContain([
      'Approve a new integration: brave',
      '  Name: brave',
      '  Purpose: Web search for research tasks',
      '  Account: assistant-research@example.org',
      '  From the Brave Search template (brave-search)',
      // Everything it will be allowed, the template's cap too, named before it applies.
      '  Host: https://api.search.brave.com',
      '  Routes (2): GET /res/v1/web/search, GET /res/v1/news/search',
      '  Key sent as: header X-Subscription-Token: <key> (the key itself is never shown)',
      '  Pricing: $0.005 a call',
      '  Most one call can cost: $0.005 (what each call reserves at worst)',
      '  Monthly cap: $5.00',
      '  Rate limit: 30 calls a minute, 4 at once',
      'Proceed? [y/N]',
    ].join('\n'));
    expect(term.screen).toContain('added brave (https://api.search.brave.com)');
    expect(term.screen).not.toContain(key);
    const i = (await t.control('GET', '/v1/integrations/brave')).json.integration;
    expect(i).toMatchObject({ status: 'active', keySet: true, approvedBy: expect.stringContaining('(cli)') });
    expect(i.spec).toMatchObject({ template: 'brave-search', baseUrl: 'https://api.search.brave.com', monthlyCapUsd: 5, auth: { type: 'header', name: 'X-Subscription-Token' } });
    expect(await keytar.getPassword(t.service, 'brave')).toBe(key);
  });

  it('add --template --base-url: the template at another address (a regional endpoint, a gateway), named in the confirmation', async () => {
    const term = new Terminal(['add', '--template', 'brave-search', '--name', 'brave-eu', '--purpose', 'Web search', '--account', 'me@example.org', '--base-url', t.upstream.url], t.home);
    await term.expect('Proceed? [y/N] ', 'y\n');
    await term.expect('(Enter to set it later): ', '\r');
    expect(await term.exit()).toBe(0);
    expect(term.screen).toContain(`  Host: ${t.upstream.url}\n`);
    expect(term.screen).toContain(`added brave-eu (${t.upstream.url})`);
    expect((await t.control('GET', '/v1/integrations/brave-eu')).json.integration.spec).toMatchObject({ template: 'brave-search', baseUrl: t.upstream.url });
  });

  it('add --file: a whole definition; Enter at the key prompt leaves the key for later', async () => {
    const file = join(t.home, 'scratch.json');
    writeFileSync(file, JSON.stringify(definition('scratch')));
    const term = new Terminal(['add', '--file', file], t.home);
    await term.expect('Proceed? [y/N] ', 'y\n');
    expect(term.screen).toContain([
      `  Host: ${t.upstream.url}`,
      '  Routes (1): GET /res/v1/web/search',
      '  Key sent as: header X-Subscription-Token: <key> (the key itself is never shown)',
      '  Pricing: $0.005 a call',
      '  Most one call can cost: $0.005 (what each call reserves at worst)',
      '  Monthly cap: $10.00',
    ].join('\n'));
    await term.expect('(Enter to set it later): ', '\r');
    expect(await term.exit()).toBe(0);
    expect(term.screen).toContain('no key set yet; set it with "tollgate set-key scratch"');
    expect((await t.control('GET', '/v1/integrations/scratch')).json.integration.keySet).toBe(false);
    expect((await t.call('scratch', '/res/v1/web/search')).headers['tollgate-error']).toBe('integration_suspended');
  });

  it('add --file: a definition that is not valid is refused before anything is asked', async () => {
    const file = join(t.home, 'bad.json');
    writeFileSync(file, JSON.stringify({ ...definition('bad'), baseUrl: 'http://plain.example' }));
    const r = await t.cli(['add', '--file', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`tollgate: ${file}: baseUrl: must be an https:// URL without credentials, query or fragment\n`);
  });
});
