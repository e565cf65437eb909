// `tollgate sessions` (SPEC "Sessions"): start one (it asks, or runs with --yes: it widens nothing
// beyond what is approved), list them with their spend as it is now, stop one by the first
// characters of its id, and the audit of one session.
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Testbed } from '../../helpers/daemon-process.ts';
import { socketRequest } from '../../helpers/harness.ts';
import { json } from '../../helpers/upstream.ts';
import { piped, Terminal } from './terminal.ts';

describe('sessions from the terminal', () => {
  let t: Testbed;
  const agents: Agent[] = [];

  beforeAll(async () => {
    t = await Testbed.create({ handler: json(200, { ok: true }) });
    await t.start();
    await t.addIntegration();
    await t.addIntegration({ name: 'other' });
  });
  afterAll(async () => {
    await Promise.all(agents.map((a) => a.destroy()));
    await t.close();
  });

  it('starts one with --yes and prints its id and socket; without --yes it asks, at a terminal only', async () => {
    const asked = await piped(['sessions', 'start', '--purpose', 'Review'], t.home, 'y\n');
    expect(asked).toMatchObject({ code: 1, stdout: '', stderr: 'tollgate: "Start a session: Review" needs confirmation: run it at a terminal, or add --yes\n' });
    expect((await t.control('GET', '/v1/sessions')).json.sessions).toEqual([]);

    const r = await t.cli(['sessions', 'start', '--purpose', 'Literature review', '--budget', '0.5', '--allow', 'search', '--yes']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const [, id] = /^started session ([0-9a-f]{16})\n/.exec(r.stdout) ?? [];
    expect(id).toBeDefined();
    const socket = `${t.paths.sessionsDir}/${id}.sock`;
    expect(r.stdout).toBe(`started session ${id}\nsocket: ${socket}\nthe assistant calls through it: TOLLGATE_AGENT_SOCKET=${socket}\n`);
    expect((await t.control('GET', `/v1/sessions/${id}`)).json).toMatchObject({ purpose: 'Literature review', budgetUsd: 0.5, integrations: ['search'], startedBy: expect.stringContaining('(cli)') });

    const term = new Terminal(['sessions', 'start', '--purpose', 'Asked first'], t.home);
    await term.expect('Proceed? [y/N] ', 'y\n');
    expect(await term.exit()).toBe(0);
    expect(term.screen).toContain('Start a session: Asked first\n  No budget of its own: the integrations\' caps and the global cap hold.\n  Integrations: every approved one\n');
    expect(term.screen).toMatch(/started session [0-9a-f]{16}\n/);

    const bad = await t.cli(['sessions', 'start', '--purpose', 'x', '--allow', 'nope', '--yes']);
    expect(bad).toMatchObject({ code: 1, stderr: 'tollgate: No approved integration is named nope. A session can include only approved integrations: search, other.\n' });
    expect(await t.cli(['sessions', 'start', '--purpose', 'x', '--budget', '0', '--yes'])).toMatchObject({ code: 1, stderr: expect.stringContaining('is not an amount in USD above 0') });
  });

  it('lists them with their spend and calls as they are now, and as JSON', async () => {
    const sessions = (await t.control('GET', '/v1/sessions')).json.sessions as { id: string; socket: string; purpose: string }[];
    const review = sessions.find((s) => s.purpose === 'Literature review')!;
    const agent = new Agent({ connect: { socketPath: review.socket } });
    agents.push(agent);
    for (let n = 0; n < 2; n++) expect((await socketRequest(agent, 'GET', '/v1/call/search/res/v1/web/search')).status).toBe(200);
    expect((await socketRequest(agent, 'GET', '/v1/call/other/res/v1/web/search')).status).toBe(403);

    const r = await t.cli(['sessions']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID +STATUS +PURPOSE +BUDGET +SPENT +CALLS +STARTED +ENDED$/);
    expect(lines).toHaveLength(3);
    expect(r.stdout).toMatch(new RegExp(`\\n${review.id}  running  Literature review +\\$0\\.50 +\\$0\\.01 +3  \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d  -\\n`));
    expect(r.stdout).toMatch(/\n[0-9a-f]{16}  running  Asked first +- +\$0\.00 +0  /);

    const list = JSON.parse((await t.cli(['sessions', 'list', '--json'])).stdout);
    expect(list.find((s: { id: string }) => s.id === review.id)).toMatchObject({ spentUsd: 0.01, calls: 3, remainingUsd: 0.49 });

    const audit = JSON.parse((await t.cli(['audit', 'list', '--session', review.id, '--json'])).stdout);
    expect(audit.map((a: { integration: string; outcome: string; purpose: string }) => [a.integration, a.outcome, a.purpose])).toEqual([
      ['other', 'refused', 'Literature review'], ['search', 'ok', 'Literature review'], ['search', 'ok', 'Literature review'],
    ]);
  });

  it('stops one by the first characters of its id, with --yes or after confirmation', async () => {
    const sessions = (await t.control('GET', '/v1/sessions')).json.sessions as { id: string; purpose: string }[];
    const review = sessions.find((s) => s.purpose === 'Literature review')!;
    const other = sessions.find((s) => s.purpose === 'Asked first')!;

    const asked = await piped(['sessions', 'stop', review.id], t.home, 'y\n');
    expect(asked).toMatchObject({ code: 1, stderr: 'tollgate: "Stop the session: Literature review" needs confirmation: run it at a terminal, or add --yes\n' });
    expect(await t.cli(['sessions', 'stop', review.id.slice(0, 6), '--yes'])).toMatchObject({
      code: 0, stdout: `stopped session ${review.id} (Literature review): spent $0.01 in 3 call(s)\n`,
    });

    const term = new Terminal(['sessions', 'stop', other.id], t.home);
    await term.expect('Proceed? [y/N] ', 'y\n');
    expect(await term.exit()).toBe(0);
    expect(term.screen).toContain('Stop the session: Asked first\n  Its socket takes no new calls; calls in flight finish, or are cut and settled.\n  It spent $0.00 in 0 call(s).\n');

    expect((await t.cli(['sessions'])).stdout).not.toContain('running');
    expect(await t.cli(['sessions', 'stop', review.id, '--yes'])).toMatchObject({ code: 1, stderr: `tollgate: no running session ${review.id} ("tollgate sessions" lists them)\n` });
  });
});
