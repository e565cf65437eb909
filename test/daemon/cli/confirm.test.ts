// Operator changes from the terminal (issue 3, "The terminal"): a change that widens authority
// happens only after a person at a real terminal said yes to what it does; without a terminal it
// is refused, whatever is piped in. Narrowing changes run unattended with --yes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Testbed } from '../../helpers/daemon-process.ts';
import { json } from '../../helpers/upstream.ts';
import { piped, Terminal } from './terminal.ts';

describe('confirming changes at the terminal', () => {
  let t: Testbed;
  const cap = async (name = 'search') => (await t.control('GET', `/v1/integrations/${name}`)).json.integration.spec.monthlyCapUsd;
  const status = async (name: string) => (await t.control('GET', `/v1/integrations/${name}`)).json.integration.status;

  beforeAll(async () => {
    t = await Testbed.create({ handler: json(200, { ok: true }) });
    await t.start();
    await t.addIntegration();
  });
  afterAll(() => t.close());

  it('raises a cap after showing exactly what changes and the operator answers y', async () => {
    const term = new Terminal(['cap', 'search', '20'], t.home);
    await term.expect('Proceed? [y/N] ', 'y\n');
    expect(await term.exit()).toBe(0);
    expect(term.screen).toContain('Change search\n  Monthly cap: $10.00 → $20.00\nProceed? [y/N] y\n');
    expect(term.screen).toContain('cap of search: $20.00 a month');
    expect(await cap()).toBe(20);
  });

  it('changes nothing when the operator answers n (or anything but y/yes)', async () => {
    for (const answer of ['n\n', '\n', 'sure\n']) {
      const term = new Terminal(['cap', 'search', '50'], t.home);
      await term.expect('Proceed? [y/N] ', answer);
      expect(await term.exit()).toBe(1);
      expect(term.screen).toContain('tollgate: nothing changed');
    }
    expect(await cap()).toBe(20);
  });

  it('refuses a widening change without a terminal, even with "y" piped in, in one line', async () => {
    for (const args of [['cap', 'search', '100'], ['cap', 'search', '100', '--yes'], ['routes', 'search', '--add', 'GET /admin/**'], ['resume', 'search'], ['credential-formats', 'search', 'record', '--yes']]) {
      const r = await piped(args, t.home, 'y\n');
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^tollgate: refused: "[^"\n]+" gives the assistant more authority, so a person must confirm it at an interactive terminal, and this is not one\n$/);
    }
    const r = await t.cli(['add', '--template', 'brave-search', '--name', 'brave', '--purpose', 'Search', '--account', 'a@example.org']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('tollgate: refused: "Approve a new integration: brave"');
    expect(await cap()).toBe(20);
    expect((await t.control('GET', '/v1/integrations/search')).json.integration.spec.routes).toEqual([{ method: 'GET', path: '/res/v1/web/search' }]);
    expect((await t.control('GET', '/v1/integrations/brave')).status).toBe(404);
  });

  it('lowers a cap and removes routes unattended with --yes, and asks for confirmation without it', async () => {
    const asked = await piped(['cap', 'search', '15'], t.home, 'y\n');
    expect(asked).toMatchObject({ code: 1, stdout: '' });
    expect(asked.stderr).toBe('tollgate: "Change search" needs confirmation: run it at a terminal, or add --yes\n');
    expect(await cap()).toBe(20);

    expect(await t.cli(['cap', 'search', '15', '--yes'])).toMatchObject({ code: 0, stdout: 'cap of search: $15.00 a month\n', stderr: '' });
    expect(await cap()).toBe(15);
  });

  it('records credential formats only after confirmation at a terminal, and blocks them again with --yes', async () => {
    const formats = async () => (await t.control('GET', '/v1/integrations/search')).json.integration.spec.credentialFormats;
    expect(await formats()).toBe('block');
    const term = new Terminal(['credential-formats', 'search', 'record'], t.home);
    await term.expect('Proceed? [y/N] ', 'y\n');
    expect(await term.exit()).toBe(0);
    expect(term.screen).toContain('Change search\n  Well-known credential formats (API keys, tokens, private keys) in its requests are sent and recorded, no longer blocked. The keys Tollgate holds stay blocked.\nProceed?');
    expect(await formats()).toBe('record');
    const back = await piped(['credential-formats', 'search', 'block', '--yes'], t.home, '');
    expect(back).toMatchObject({ code: 0, stdout: 'search: well-known credential formats are blocked\n' });
    expect(await formats()).toBe('block');
    const wrong = await piped(['credential-formats', 'search', 'allow'], t.home, '');
    expect(wrong).toMatchObject({ code: 1, stderr: 'tollgate: "allow" is not a policy: write block or record\n' });
  });

  it('adds a model priced from the dataset only after confirmation at a terminal, and removes one with --yes', async () => {
    await t.addIntegration({
      name: 'llm', routes: [{ method: 'POST', path: '/v1/messages' }],
      pricing: { tokens: { format: 'anthropic', models: { 'claude-haiku-4-5': { input: 1, output: 5 } } }, maxPerRequestUsd: 1 },
    }, 'tg-llm-key-0123456789');
    const models = async () => Object.keys((await t.control('GET', '/v1/integrations/llm')).json.integration.spec.pricing.tokens.models);
    const refused = await piped(['models', 'llm', '--add', 'claude-sonnet-4-5', '--yes'], t.home, 'y\n');
    expect(refused.code).toBe(1);
    expect(await models()).toEqual(['claude-haiku-4-5']);
    const term = new Terminal(['models', 'llm', '--add', 'claude-sonnet-4-5'], t.home);
    await term.expect('Proceed? [y/N] ', 'y\n');
    expect(await term.exit()).toBe(0);
    expect(term.screen).toContain('Change llm\n  New models: claude-sonnet-4-5\nProceed?');
    expect(term.screen).toMatch(/claude-sonnet-4-5: \$3\.00 input, \$15\.00 output/);
    expect(await models()).toEqual(['claude-haiku-4-5', 'claude-sonnet-4-5']);
    const narrowed = await piped(['models', 'llm', '--remove', 'claude-haiku-4-5', '--yes'], t.home, '');
    expect(narrowed.code).toBe(0);
    expect(await models()).toEqual(['claude-sonnet-4-5']);
    const unknown = await piped(['models', 'llm', '--add', 'no-such-model', '--yes'], t.home, '');
    expect(unknown.stderr).toContain('the price dataset has no per-token price for no-such-model');
    expect((await t.control('POST', '/v1/integrations/llm/decommission')).status).toBe(200);
  });

  it('adds a route after confirmation, then removes it with --yes', async () => {
    const term = new Terminal(['routes', 'search', '--add', 'GET /res/v1/news/search'], t.home);
    await term.expect('Proceed? [y/N] ', 'yes\n');
    expect(await term.exit()).toBe(0);
    expect(term.screen).toContain('New routes: GET /res/v1/news/search');
    expect((await t.call('search', '/res/v1/news/search')).status).toBe(200);

    const removed = await t.cli(['routes', 'search', '--remove', 'GET /res/v1/news/search', '--yes']);
    expect(removed).toMatchObject({ code: 0, stdout: 'GET /res/v1/web/search\n' });
    expect((await t.call('search', '/res/v1/news/search')).headers['tollgate-error']).toBe('route_not_allowed');
  });

  it('suspends everything with suspend-all --yes from a script, and resumes only after confirmation', async () => {
    const r = await t.cli(['suspend-all', '--yes', '--reason', 'incident']);
    expect(r).toMatchObject({ code: 0, stdout: 'suspended search\n', stderr: '' });
    expect(await status('search')).toBe('suspended');
    expect((await t.call('search', '/res/v1/web/search')).headers['tollgate-error']).toBe('integration_suspended');

    const term = new Terminal(['resume', 'search'], t.home);
    await term.expect('Proceed? [y/N] ', 'y\n');
    expect(await term.exit()).toBe(0);
    expect(term.screen).toContain('Resume search\n  The assistant can call');
    expect(term.screen).toContain('It was suspended: incident.');
    expect(await status('search')).toBe('active');
  });

  it('decommissions with --yes and prints the archive, its checksum and the reminder to revoke the key', async () => {
    await t.call('search', '/res/v1/web/search');
    const r = await t.cli(['decommission', 'search', '--yes']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^decommissioned search; its key was deleted from the keychain\n/);
    expect(r.stdout).toMatch(/audit archive: \S+\/archive\/search-\S+\.jsonl \(\d+ records\)\n/);
    expect(r.stdout).toMatch(/checksum: +\S+\.sha256 \(sha256 [0-9a-f]{64}\)\n/);
    expect(r.stdout).toContain('Revoke the key of search at the provider');
    expect(await status('search')).toBe('decommissioned');
  });
});
