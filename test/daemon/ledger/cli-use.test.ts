// `tollgate ledger use` and `tollgate ledger leave`: an integration put on a shared budget (that
// narrows: a script may do it) and taken off or moved to another (that widens: only a person at a
// terminal). No PostgreSQL needed: the field is part of the integration's definition on this machine.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Testbed } from '../../helpers/daemon-process.ts';
import { Terminal } from '../cli/terminal.ts';

describe('tollgate ledger use / leave', () => {
  let t: Testbed;
  const sharedBudget = async () => (await t.control('GET', '/v1/integrations/exa')).json.integration.spec.sharedBudget;

  beforeAll(async () => {
    t = await Testbed.create();
    await t.start();
    await t.addIntegration({ name: 'exa' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('puts an integration on a shared budget unattended: that narrows', async () => {
    const r = await t.cli(['ledger', 'use', 'exa', 'team', '--yes']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('exa draws on the shared budget team');
    expect(await sharedBudget()).toBe('team');
  });

  it('moves it to another, or takes it off, only once a person at a terminal said yes', async () => {
    const moved = await t.cli(['ledger', 'use', 'exa', 'fleet', '--yes']);
    expect(moved.code).toBe(1);
    expect(moved.stderr).toMatch(/refused: "Change exa" gives the assistant more authority/);
    const left = await t.cli(['ledger', 'leave', 'exa', '--yes']);
    expect(left.code).toBe(1);
    expect(await sharedBudget()).toBe('team');

    const term = new Terminal(['ledger', 'leave', 'exa'], t.home);
    await term.expect('Proceed? [y/N] ', 'y\n');
    expect(await term.exit()).toBe(0);
    expect(term.screen).toContain('No longer drawn on the shared budget team');
    expect(term.screen).toContain('exa draws on no shared budget');
    expect(await sharedBudget()).toBeUndefined();
  });
});
