// The agent's GET /v1/integrations on a shared budget: what is left counts the shared budget (the
// smaller of this machine's caps and the budget's remainder over the fleet), and while the shared
// ledger cannot be read the listing still answers, saying so.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from '../../helpers/harness.ts';
import { canRunPostgres, startPostgres, type TestPostgres } from '../../helpers/postgres.ts';

const runs = canRunPostgres() || process.env.CI === 'true';
const SEARCH = '/res/v1/web/search?q=x';

type Listed = { name: string; remainingUsd: number; capUsd: number };
const listing = async (h: Harness): Promise<Record<string, Listed>> => {
  const r = await h.agent('GET', '/v1/integrations');
  expect(r.status, r.text).toBe(200);
  return Object.fromEntries((r.json.integrations as Listed[]).map((i) => [i.name, i]));
};

describe('the listing with no shared ledger set up', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('answers at once; nothing is left on the shared budget it cannot read, the local one untouched', async () => {
    await h.addIntegration({ name: 'exa', sharedBudget: 'team' });
    await h.addIntegration({ name: 'local' });
    const l = await listing(h);
    expect(l.exa).toMatchObject({ remainingUsd: 0 });
    expect(l.local).toMatchObject({ remainingUsd: 10 });
  });
});

describe.skipIf(!runs)('the listing on a shared budget', () => {
  let pg: TestPostgres;
  let laptop: Harness;
  let server: Harness;
  beforeAll(async () => {
    pg = await startPostgres();
    const url = await pg.createDatabase('listing');
    [laptop, server] = await Promise.all([Harness.start(), Harness.start()]);
    for (const [h, machine] of [[laptop, 'laptop'], [server, 'server']] as const) {
      expect((await h.control('PATCH', '/v1/settings', { machineName: machine })).status).toBe(200);
      expect((await h.control('PUT', '/v1/ledger', { url })).status).toBe(200);
      await h.addIntegration({ name: 'exa', sharedBudget: 'team' });
    }
    await laptop.addIntegration({ name: 'local' });
    expect((await laptop.control('PUT', '/v1/ledger/budgets/team', { monthlyCapUsd: 0.02 })).status).toBe(200);
  });
  afterAll(async () => {
    await Promise.all([laptop?.close(), server?.close()]);
    pg?.destroy();
  });

  it("counts the shared budget's remainder, the other machine's calls too", async () => {
    expect((await listing(laptop)).exa).toMatchObject({ capUsd: 10, remainingUsd: 0.02 });
    expect((await server.call('exa', SEARCH)).status).toBe(200);
    // The settle lands just after the answer; the reservation counts meanwhile, so 0.015 either way.
    expect((await listing(laptop)).exa).toMatchObject({ remainingUsd: 0.015 });
    // An integration of its own is not touched by it.
    expect((await listing(laptop)).local).toMatchObject({ remainingUsd: 10 });
  });

  it("the machine's own caps where they are smaller", async () => {
    expect((await laptop.control('PATCH', '/v1/integrations/exa', { monthlyCapUsd: 0.01 })).status).toBe(200);
    expect((await listing(laptop)).exa).toMatchObject({ remainingUsd: 0.01 });
    expect((await laptop.control('PATCH', '/v1/integrations/exa', { monthlyCapUsd: 10 })).status).toBe(200);
  });

  it('a fleet budget (globalSharedBudget) counts on every integration of the machine; one that does not exist cannot be read', async () => {
    expect((await laptop.control('PATCH', '/v1/settings', { globalSharedBudget: 'fleet' })).status).toBe(200);
    let l = await listing(laptop);
    expect(l.local).toMatchObject({ remainingUsd: 0 });
    expect((await laptop.control('PUT', '/v1/ledger/budgets/fleet', { monthlyCapUsd: 0.012 })).status).toBe(200);
    l = await listing(laptop);
    expect(l.local).toMatchObject({ remainingUsd: 0.012 });
    expect(l.exa).toMatchObject({ remainingUsd: 0.012 });
    expect((await laptop.control('PATCH', '/v1/settings', { globalSharedBudget: null })).status).toBe(200);
  });

  it('while PostgreSQL is away: answers at once, nothing left on the shared budget, the local one untouched; reads it again once it is back', async () => {
    pg.stop();
    try {
      const l = await listing(laptop);
      expect(l.exa).toMatchObject({ remainingUsd: 0 });
      expect(l.local).toMatchObject({ remainingUsd: 10 });
    } finally {
      pg.start();
    }
    expect((await listing(laptop)).exa).toMatchObject({ remainingUsd: 0.015 });
  });
});
