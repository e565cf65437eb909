// What the operator reads from the terminal (issue 3): status, integrations, templates, the audit
// log, alerts and proposals, as tables for people and JSON for scripts; and one clear line when
// the daemon is not running.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Testbed } from '../../helpers/daemon-process.ts';
import { json } from '../../helpers/upstream.ts';
import { piped, Terminal } from './terminal.ts';

describe('reading from the terminal', () => {
  let t: Testbed;
  let key: string;
  const propose = async (body: object) => (await t.agent('POST', '/v1/proposals', { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json.id as string;

  beforeAll(async () => {
    // The provider rejects the key of "rejected" (every call under /reject).
    t = await Testbed.create({ handler: (req, res, body) => json(req.url?.startsWith('/reject') ? 401 : 200, { ok: true })(req, res, body) });
    await t.start();
    key = await t.addIntegration();
    await t.addIntegration({ name: 'rejected', routes: [{ method: 'GET', path: '/reject' }], monthlyCapUsd: 5 });
    for (let n = 0; n < 3; n++) expect((await t.call('search', `/res/v1/web/search?q=private-query-${n}`)).status).toBe(200);
    expect((await t.call('rejected', '/reject')).status).toBe(401);
    expect((await t.call('nope', '/anything')).headers['tollgate-error']).toBe('not_allowlisted');
  });
  afterAll(() => t.close());

  it('status: spend against each cap, states, open alerts, pending proposals', async () => {
    await propose({ kind: 'raise_cap', integration: 'search', monthlyCapUsd: 20, justification: 'A long literature review this month' });
    const r = await t.cli(['status']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^Period from \d{4}-\d{2}-\d{2}; caps reset \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    expect(lines).toContain('INTEGRATION   SPENT     CAP  REMAINING  STATE');
    expect(lines).toContain('search       $0.015  $10.00     $9.985  active');
    expect(lines, r.stdout).toContain('rejected     $0.005   $5.00     $4.995  suspended: the provider rejected its key (HTTP 401)');
    expect(r.stdout).toContain('Total spent: $0.02 (no global cap)');
    expect(r.stdout).toMatch(/Open alerts: 1 critical[^\n]*\("tollgate alerts --open"\)/);
    expect(r.stdout).toContain('Pending proposals: 1 ("tollgate proposals")');

    const j = JSON.parse((await t.cli(['status', '--json'])).stdout);
    expect(j).toMatchObject({ totalSpentUsd: 0.02, globalCapUsd: null, pendingProposals: 1, openAlerts: { critical: 1 } });
    expect(j.integrations).toEqual(expect.arrayContaining([
      expect.objectContaining({ name: 'search', status: 'active', spentUsd: 0.015, capUsd: 10, remainingUsd: 9.985, keySet: true }),
      expect.objectContaining({ name: 'rejected', status: 'suspended', statusReason: 'the provider rejected its key (HTTP 401)' }),
    ]));
  });

  it('integrations: a table, one in full, and --json; never a key', async () => {
    const table = await t.cli(['integrations']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^NAME {6}STATE {6}KEY  CAP\/MONTH  HOST/);
    expect(table.stdout).toMatch(new RegExp(`\\nsearch +active +set +\\$10\\.00 +${t.upstream.url} +1 +Web search for research tasks\\n`));

    const one = await t.cli(['integrations', 'search']);
    expect(one.stdout).toContain('  Routes:     GET /res/v1/web/search\n');
    expect(one.stdout).toContain('  Pricing:    $0.005 a call; reserves $0.005 a call\n');

    const j = await t.cli(['integrations', '--json']);
    const list = JSON.parse(j.stdout);
    expect(list.map((i: { name: string }) => i.name).sort()).toEqual(['rejected', 'search']);
    expect(list[0]).toHaveProperty('spec.routes');
    for (const out of [table.stdout, one.stdout, j.stdout]) expect(out).not.toContain(key);
  });

  it('templates: the providers an integration can be added from', async () => {
    const r = await t.cli(['templates']);
    for (const id of ['brave-search', 'tavily', 'exa', 'perplexity', 'serper', 'firecrawl']) expect(r.stdout).toMatch(new RegExp(`\\n${id} `));
  });

  it('audit list: newest first, filtered, paged, redacted', async () => {
    const r = await t.cli(['audit', 'list', '--integration', 'search', '--limit', '2']);
    expect(r.code).toBe(0);
    const rows = r.stdout.split('\n').filter((l) => /^\s*\d+ /.test(l));
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(new RegExp(`^ *\\d+  \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d  search +GET 127\\.0\\.0\\.1:${t.upstream.port}/res/v1/web/search +ok +200 +\\$0\\.005 +\\d+  testing Tollgate$`));
    expect(r.stdout).not.toContain('private-query');
    expect(r.stdout).toContain('Redacted: paths are shown without their query; query values, bodies, responses and keys are never recorded.');
    const oldest = Number(rows[1]!.trim().split(' ')[0]);
    expect(r.stdout).toContain(`Older records: tollgate audit list --before ${oldest}`);

    const refused = JSON.parse((await t.cli(['audit', 'list', '--outcome', 'refused', '--json'])).stdout);
    expect(refused).toMatchObject([{ integration: 'nope', outcome: 'refused', code: 'not_allowlisted', costUsd: 0 }]);
    // Money in JSON is dollars, as everywhere else; micro-dollars only in a field named so.
    const ok = JSON.parse((await t.cli(['audit', 'list', '--integration', 'search', '--limit', '1', '--json'])).stdout);
    expect(ok).toMatchObject([{ outcome: 'ok', costUsd: 0.005 }]);
    expect(ok[0]).not.toHaveProperty('cost');
  });

  it("times: in the daemon's time zone, named when it is not this machine's", async () => {
    const here = Intl.DateTimeFormat().resolvedOptions().timeZone;
    const away = here === 'Asia/Tokyo' ? 'America/New_York' : 'Asia/Tokyo';
    expect((await t.control('PATCH', '/v1/settings', { timeZone: away })).status).toBe(200);
    try {
      const audit = await t.cli(['audit', 'list', '--limit', '1']);
      const [, shown] = new RegExp(`\\n *\\d+  (\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d) ${away.replace('/', '\\/')}  `).exec(audit.stdout) ?? [];
      expect(shown, audit.stdout).toBeDefined();
      const [{ at }] = JSON.parse((await t.cli(['audit', 'list', '--limit', '1', '--json'])).stdout);
      expect(shown).toBe(new Date(at).toLocaleString('sv-SE', { timeZone: away }));
      expect((await t.cli(['status'])).stdout.split('\n')[0]).toMatch(new RegExp(`; caps reset \\d{4}-\\d\\d-\\d\\d 00:00:00 ${away}$`));
      // Every other listing reads its moments in that zone too.
      const stamp = `\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d ${away.replace('/', '\\/')}`;
      expect((await t.cli(['alerts'])).stdout).toMatch(new RegExp(`\\n {2}(\\d+ times, last )?${stamp}; open`));
      const one = (await t.cli(['integrations', 'search'])).stdout;
      expect(one).toMatch(new RegExp(`Key: +set ${stamp} \\(in the OS keychain\\)\\n`));
      expect(one).toMatch(new RegExp(`Approved: +by .+ at ${stamp}\\n`));
      // The status test's proposal.
      expect((await t.cli(['proposals'])).stdout).toMatch(new RegExp(`  pending  ${stamp}  raise the cap of search`));
      const [{ createdAt }] = JSON.parse((await t.cli(['proposals', '--json'])).stdout);
      expect((await t.cli(['proposals'])).stdout).toContain(`${new Date(createdAt).toLocaleString('sv-SE', { timeZone: away })} ${away}`);
    } finally {
      await t.control('PATCH', '/v1/settings', { timeZone: here });
    }
    expect((await t.cli(['audit', 'list', '--limit', '1'])).stdout).not.toContain(away);
  });

  it('audit export: JSONL to stdout or to an owner-only file; verify keeps its output', async () => {
    const out = join(t.home, 'audit.jsonl');
    const toFile = await t.cli(['audit', 'export', '--out', out]);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(toFile.stdout).toBe(`wrote ${lines.length} audit records to ${out}\n`);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(lines.map((l) => JSON.parse(l).integration)).toEqual(['search', 'search', 'search', 'rejected', 'nope']);
    // The chain's exact form: the cost in integer micro-dollars, named so.
    expect(lines.map((l) => JSON.parse(l).costMicros)).toEqual([5000, 5000, 5000, 5000, 0]);
    expect((await t.cli(['audit', 'export'])).stdout).toBe(readFileSync(out, 'utf8'));
    expect((await t.cli(['audit', 'verify'])).stdout).toBe(`audit chain intact: ${lines.length} records\n`);
  });

  it('alerts: lists them by tier and acknowledges one', async () => {
    const r = await t.cli(['alerts', '--open', '--tier', 'critical']);
    const id = /^#(\d+) CRITICAL [^\n]*\[rejected\]\n/.exec(r.stdout)?.[1];
    expect(id, r.stdout).toBeDefined();
    expect(r.stdout).toMatch(/\n {2}[^\n]+\n {2}\d{4}-[^\n]+; open$/m);

    expect(await t.cli(['alerts', 'ack', id!])).toMatchObject({ code: 0, stdout: expect.stringMatching(new RegExp(`^acknowledged alert ${id}: `)) });
    expect((await t.cli(['alerts', 'list', '--open', '--tier', 'critical'])).stdout).toBe('No open alerts.\n');
    expect((await t.cli(['alerts', 'list', '--tier', 'critical'])).stdout).toMatch(/; acknowledged \d{4}-/);
    expect(await t.cli(['alerts', 'ack', '99999'])).toMatchObject({ code: 1, stderr: 'tollgate: No alert 99999.\n' });
  });

  it('proposals: lists them; approves at a terminal only; rejects with a reason', async () => {
    const newOne = await propose({ kind: 'new_integration', name: 'tavily', template: 'tavily', purpose: 'Research', monthlyCapUsd: 3, justification: 'Needs extracts' });
    const list = await t.cli(['proposals']);
    expect(list.stdout).toMatch(new RegExp(`\\n${newOne}  pending  [^\\n]*new integration tavily \\(template tavily\\): Research +Needs extracts\\n`));
    expect(list.stdout).toMatch(/ pending  [^\n]*raise the cap of search to \$20\.00 +A long literature review this month\n/);
    const capId = JSON.parse((await t.cli(['proposals', 'list', '--json'])).stdout).find((p: { kind: string }) => p.kind === 'raise_cap').id as string;

    const refused = await piped(['proposals', 'approve', capId], t.home, 'y\n');
    expect(refused).toMatchObject({ code: 1, stdout: '' });
    expect(refused.stderr).toContain('tollgate: refused: "Approve: raise the cap of search to $20.00"');

    const term = new Terminal(['proposals', 'approve', capId.slice(0, 8)], t.home);
    await term.expect('Proceed? [y/N] ', 'y\n');
    expect(await term.exit()).toBe(0);
    expect(term.screen).toContain("The assistant's reason: A long literature review this month\n  Monthly cap: $10.00 → $20.00\n");
    expect((await t.control('GET', '/v1/integrations/search')).json.integration.spec.monthlyCapUsd).toBe(20);

    const approve = new Terminal(['proposals', 'approve', newOne, '--account', 'assistant@example.org'], t.home);
    await approve.expect('Proceed? [y/N] ', 'y\n');
    await approve.expect('(Enter to set it later): ', '\r');
    expect(await approve.exit()).toBe(0);
    expect(approve.screen).toContain('Approve a new integration: tavily\n  The assistant\'s reason: Needs extracts\n');
    expect(approve.screen).toContain('  Host: https://api.tavily.com\n');
    expect(approve.screen).toContain('  Monthly cap: $3.00');
    expect((await t.control('GET', '/v1/integrations/tavily')).json.integration).toMatchObject({ approvedBy: expect.stringContaining('(cli)'), keySet: false });

    const another = await propose({ kind: 'raise_cap', integration: 'search', monthlyCapUsd: 1000, justification: 'more' });
    expect(await t.cli(['proposals', 'reject', another, '--reason', 'No.', '--yes'])).toMatchObject({ code: 0, stdout: 'rejected: raise the cap of search to $1,000.00\n' });
    expect((await t.agent('GET', `/v1/proposals/${another}`)).json.status).toBe('rejected');
    expect((await t.cli(['proposals', 'list', '--status', 'pending'])).stdout).toBe('No proposals.\n');
  });

  it('settings: shows them; a narrowing change runs with --yes, a widening one needs a terminal', async () => {
    expect((await t.cli(['settings'])).stdout).toMatch(/^SETTING +VALUE\n[^]*\nglobalCapUsd +null\n/);
    expect(await t.cli(['settings', 'set', 'globalCapUsd', '50', '--yes'])).toMatchObject({ code: 0, stdout: 'globalCapUsd: 50\n' });
    const widen = await t.cli(['settings', 'set', 'globalCapUsd', 'null', '--yes']);
    expect(widen).toMatchObject({ code: 1, stderr: expect.stringContaining('tollgate: refused: "Change Tollgate settings"') });
    expect(JSON.parse((await t.cli(['settings', '--json'])).stdout).globalCapUsd).toBe(50);
    expect(await t.cli(['settings', 'set', 'nope', '1'])).toMatchObject({ code: 1, stderr: expect.stringMatching(/^tollgate: no setting named nope; there are /) });
  });

  it('says in one line that the daemon is not running, and exits 1', async () => {
    await t.stop();
    for (const args of [['status'], ['integrations', '--json'], ['suspend-all', '--yes']]) {
      const r = await t.cli(args);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`tollgate: the Tollgate daemon is not running (no answer on ${t.paths.controlSocket}); start it with "tollgate start" (or "tollgate daemon")\n`);
    }
  });
});
