// Every screen says what is true (issue 12): what the CLI prints after decommissioning, setting a
// key on a suspended integration, suspending twice; and clearer edges (approve's hints, reject
// --yes, an export into a folder that does not exist).
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Testbed } from '../../helpers/daemon-process.ts';
import { json } from '../../helpers/upstream.ts';
import { piped, Terminal } from './terminal.ts';

describe('what the terminal says is true', () => {
  let t: Testbed;
  const integration = async (name: string) => (await t.control('GET', `/v1/integrations/${name}`)).json.integration;
  const propose = async (body: object) => (await t.agent('POST', '/v1/proposals', { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json.id as string;

  beforeAll(async () => {
    // The provider rejects the key of every call under /reject.
    t = await Testbed.create({ handler: (req, res, body) => json(req.url?.startsWith('/reject') ? 401 : 200, { ok: true })(req, res, body) });
    await t.start();
  });
  afterAll(() => t.close());

  it('after decommission, the key is shown as deleted (the daemon no longer says it is set)', async () => {
    await t.addIntegration({ name: 'retired' });
    expect((await integration('retired')).keySet).toBe(true);
    expect(await t.cli(['decommission', 'retired', '--yes'])).toMatchObject({ code: 0, stdout: expect.stringContaining('its key was deleted from the keychain') });

    expect(await integration('retired')).toMatchObject({ status: 'decommissioned', keySet: false, keySetAt: null });
    const list = JSON.parse((await t.cli(['integrations', '--json'])).stdout) as { name: string; keySet: boolean }[];
    expect(list.find((i) => i.name === 'retired')).toMatchObject({ keySet: false });
    expect((await t.cli(['integrations'])).stdout).toMatch(/\nretired +decommissioned +deleted /);
    const one = (await t.cli(['integrations', 'retired'])).stdout;
    expect(one).toContain('Key:        deleted from the OS keychain when it was decommissioned; revoke it at the provider if not done yet\n');
    expect(one).not.toContain('set-key');
  });

  it('suspend without --reason on a suspended integration keeps the reason it has', async () => {
    await t.addIntegration({ name: 'held' });
    expect(await t.cli(['suspend', 'held', '--reason', 'waiting for the new contract', '--yes'])).toMatchObject({ code: 0, stdout: 'suspended held: waiting for the new contract\n' });
    expect(await t.cli(['suspend', 'held', '--yes'])).toMatchObject({ code: 0, stdout: 'suspended held: waiting for the new contract\n' });
    expect(await integration('held')).toMatchObject({ status: 'suspended', statusReason: 'waiting for the new contract' });
    // A new reason still replaces it.
    expect((await t.cli(['suspend', 'held', '--reason', 'audit', '--yes'])).stdout).toBe('suspended held: audit\n');
  });

  it('set-key on an integration the operator suspended: the key is stored and it stays suspended, and says so', async () => {
    const before = await integration('held');
    const term = new Terminal(['set-key', 'held'], t.home);
    await term.expect('Proceed? [y/N] ', 'y\n');
    await term.expect('not shown as you type: ', 'tg-new-key-for-held-0001\r');
    expect(await term.exit()).toBe(0);
    expect(term.screen).toContain('Rotate the key of held\n  The key goes into the OS keychain; Tollgate keeps only a fingerprint.\n  The old key stops being used at once. Revoke it at the provider.\n  held stays suspended (audit): it makes no calls until it is resumed.\nProceed?');
    expect(term.screen).not.toContain('can make calls');
    expect(term.screen).toContain('key of held stored in the OS keychain; Tollgate keeps only its fingerprint\nheld is still suspended (audit): resume it with "tollgate resume held"\n');
    expect(await integration('held')).toMatchObject({ status: 'suspended', statusReason: 'audit' });
    expect((await integration('held')).keySetAt).not.toBe(before.keySetAt);
  });

  it('set-key after the provider rejected the key: the new key lifts that suspension, and says so', async () => {
    await t.addIntegration({ name: 'rejected', routes: [{ method: 'GET', path: '/reject' }] });
    expect((await t.call('rejected', '/reject')).status).toBe(401);
    expect(await integration('rejected')).toMatchObject({ status: 'suspended', statusReason: 'the provider rejected its key (HTTP 401)' });
    const term = new Terminal(['set-key', 'rejected'], t.home);
    await term.expect('Proceed? [y/N] ', 'y\n');
    await term.expect('not shown as you type: ', 'tg-new-key-for-rejected-0001\r');
    expect(await term.exit()).toBe(0);
    expect(term.screen).toContain('  rejected is suspended because the provider rejected its key (HTTP 401); the new key lifts that suspension: it can make calls again.\nProceed?');
    expect(term.screen).toContain('rejected is active again: the new key lifted the suspension (the provider rejected its key (HTTP 401))\n');
    expect(await integration('rejected')).toMatchObject({ status: 'active', statusReason: null });
  });

  it('proposals approve of a template proposal without --account asks for what approve takes', async () => {
    const id = await propose({ kind: 'new_integration', name: 'tavily', template: 'tavily', purpose: 'Research', monthlyCapUsd: 3, justification: 'Needs extracts' });
    const r = await piped(['proposals', 'approve', id], t.home, '');
    expect(r).toMatchObject({ code: 1, stdout: '' });
    expect(r.stderr).toBe('tollgate: give --account <label of the provider account the key belongs to>, or --file <definition.json> with your whole definition of tavily\n');
    expect((await t.control('GET', '/v1/integrations/tavily')).status).toBe(404);
  });

  it('proposals reject asks first, and takes --yes like other narrowing commands', async () => {
    const id = await propose({ kind: 'raise_cap', integration: 'held', monthlyCapUsd: 500, justification: 'more' });
    const asked = await piped(['proposals', 'reject', id, '--reason', 'No.'], t.home, 'y\n');
    expect(asked).toMatchObject({ code: 1, stdout: '', stderr: 'tollgate: "Reject the proposal: a cap of $500.00 a month for held" needs confirmation: run it at a terminal, or add --yes\n' });
    expect((await t.agent('GET', `/v1/proposals/${id}`)).json.status).toBe('pending');

    const term = new Terminal(['proposals', 'reject', id.slice(0, 8), '--reason', 'No.'], t.home);
    await term.expect('Proceed? [y/N] ', 'n\n');
    expect(await term.exit()).toBe(1);
    expect(term.screen).toContain('Reject the proposal: a cap of $500.00 a month for held\n  Nothing changes.\n  The assistant reads your reason: No.\n');
    expect((await t.agent('GET', `/v1/proposals/${id}`)).json.status).toBe('pending');

    expect(await t.cli(['proposals', 'reject', id, '--reason', 'No.', '--yes'])).toMatchObject({ code: 0, stderr: '', stdout: expect.stringMatching(/^rejected: raise the cap of held to /) });
    expect((await t.agent('GET', `/v1/proposals/${id}`)).json).toMatchObject({ status: 'rejected' });
  });

  it('audit export --out into a folder that does not exist says so in one line and leaves no file', async () => {
    const missing = join(t.home, 'no-such-folder');
    const out = join(missing, 'audit.jsonl');
    const r = await t.cli(['audit', 'export', '--out', out]);
    expect(r).toMatchObject({ code: 1, stdout: '', stderr: `tollgate: cannot write ${out}: there is no folder ${missing}; create it first, or give another --out\n` });
    expect(existsSync(missing)).toBe(false);

    // Into a folder that exists: the whole export, and nothing left beside it.
    const here = join(t.home, 'audit.jsonl');
    expect(await t.cli(['audit', 'export', '--out', here])).toMatchObject({ code: 0, stdout: expect.stringMatching(/^wrote \d+ audit records to /) });
    expect(readdirSync(t.home).filter((f) => f.includes('partial'))).toEqual([]);
  });
});
