// `tollgate ledger` against real daemon processes and a real PostgreSQL: what the operator reads,
// a budget created only after a person said yes, and a machine killed (-9) with a call in flight,
// its open reservation seen from the other machine and settled there, once confirmed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Testbed, waitFor } from '../../helpers/daemon-process.ts';
import { canRunPostgres, startPostgres, type TestPostgres } from '../../helpers/postgres.ts';
import { Terminal } from '../cli/terminal.ts';

const runs = canRunPostgres() || process.env.CI === 'true';
const SEARCH = '/res/v1/web/search?q=x';

describe.skipIf(!runs)('tollgate ledger', () => {
  let pg: TestPostgres;
  let url: string;
  let alpha: Testbed;
  let beta: Testbed;
  // alpha's provider never answers: its calls stay in flight until the daemon dies.
  const hang = () => undefined;

  beforeAll(async () => {
    pg = await startPostgres();
    url = await pg.createDatabase('cli');
    [alpha, beta] = await Promise.all([Testbed.create({ handler: hang }), Testbed.create()]);
    await Promise.all([alpha.start(), beta.start()]);
    for (const [t, machine] of [[alpha, 'alpha'], [beta, 'beta']] as const) {
      expect((await t.control('PATCH', '/v1/settings', { machineName: machine })).status).toBe(200);
    }
  });
  afterAll(async () => {
    await Promise.all([alpha?.close(), beta?.close()]);
    pg?.destroy();
  });

  it('says when no ledger is set up, and refuses to take its URL from anywhere but a hidden prompt', async () => {
    expect((await beta.cli(['ledger'])).stdout).toContain('No shared ledger on this machine ("beta"). Set one up with "tollgate ledger connect".');
    const piped = await beta.cli(['ledger', 'connect']);
    expect(piped.code).toBe(1);
    expect(piped.stderr).toMatch(/holds a password: type it at an interactive terminal/);
  });

  it('connects at a hidden prompt; creates a budget only once a person at a terminal said yes', async () => {
    const connect = new Terminal(['ledger', 'connect'], beta.home);
    await connect.expect('PostgreSQL URL', `${url}\r`);
    await connect.expect('Proceed? [y/N] ', 'y\n');
    expect(await connect.exit()).toBe(0);
    expect(connect.screen).toContain('connected: postgres @ socket');
    // Typed with echo off: the URL never showed.
    expect(connect.screen).not.toContain(url);
    expect(connect.screen).not.toContain('postgres@localhost');
    expect((await alpha.control('PUT', '/v1/ledger', { url })).status).toBe(200);

    const unattended = await beta.cli(['ledger', 'budget', 'team', '1', '--yes']);
    expect(unattended.code).toBe(1);
    expect(unattended.stderr).toMatch(/refused: "Create the shared budget team" gives the assistant more authority/);
    const term = new Terminal(['ledger', 'budget', 'team', '1'], beta.home);
    await term.expect('Proceed? [y/N] ', 'y\n');
    expect(await term.exit()).toBe(0);
    expect(term.screen).toContain('monthly cap $1.00, over every machine that draws on it');
    // Lowering narrows: a script may do it.
    expect((await beta.cli(['ledger', 'budget', 'team', '0.5', '--yes'])).code).toBe(0);
  });

  it("shows each machine's spend; a machine killed mid-call leaves its reservation open, settled from another once confirmed", async () => {
    for (const t of [alpha, beta]) await t.addIntegration({ name: 'exa', sharedBudget: 'team' });
    for (let i = 0; i < 2; i++) expect((await beta.call('exa', SEARCH)).status).toBe(200);
    void alpha.call('exa', SEARCH).catch(() => undefined);
    await waitFor(() => alpha.upstream.requests.length === 1, 'the call in flight');
    await alpha.kill9();
    // beta's settles follow its answers; alpha's call stays reserved.
    await waitFor(async () => (await beta.control('GET', '/v1/ledger')).json.budgets[0].reservedUsd === 0.005, 'beta settled');

    const shown = await beta.cli(['ledger']);
    expect(shown.stdout).toContain('team: $0.01 of $0.50 spent (+$0.005 in flight), $0.485 left; resets');
    expect(shown.stdout).toMatch(/MACHINE +SPENT +CALLS\nbeta +\$0\.01 +2/);
    expect(shown.stdout).toMatch(/open: 1 reservation\(s\) of alpha, \$0\.005, the oldest from .*"tollgate ledger settle alpha"/);

    const term = new Terminal(['ledger', 'settle', 'alpha'], beta.home);
    await term.expect('Proceed? [y/N] ', 'y\n');
    expect(await term.exit()).toBe(0);
    expect(term.screen).toContain('settled 1 reservation(s) of alpha: $0.005');
    const json = JSON.parse((await beta.cli(['ledger', '--json'])).stdout);
    expect(json.budgets[0]).toMatchObject({ spentUsd: 0.015, reservedUsd: 0, open: [] });

    // The database away: said so, in one line.
    pg.stop();
    try {
      const away = await beta.cli(['ledger']);
      expect(away.stdout).toMatch(/^shared ledger: postgres @ socket .* \/ cli; this machine: beta\nunreachable: .*\. Calls on shared budgets are refused until it answers\.\n$/);
    } finally {
      pg.start();
    }

    // alpha comes back: nothing of its own is left to settle, nothing is counted twice.
    await alpha.start();
    expect((await alpha.control('GET', '/v1/ledger')).json.budgets[0]).toMatchObject({ spentUsd: 0.015, reservedUsd: 0, open: [] });
  });
});
