// The proof, with three real daemon processes (own data folders, own keychain entries) on
// one shared budget in a real PostgreSQL: 1,000 concurrent calls against a cap that admits exactly
// N, and then, with calls in flight, kill -9 of one daemon and a restart of PostgreSQL. After it
// all: no call sent unreserved, none lost, the spend equal to what the providers served at their
// price, the cap never crossed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Testbed, waitFor } from '../../helpers/daemon-process.ts';
import type { Reply } from '../../helpers/harness.ts';
import { canRunPostgres, startPostgres, type TestPostgres } from '../../helpers/postgres.ts';
import { type Handler, json } from '../../helpers/upstream.ts';

const runs = canRunPostgres() || process.env.CI === 'true';
const SEARCH = '/res/v1/web/search?q=x';
const PRICE = 1_000; // µ$ a call, fixed: what each call reserves and what it costs
const usd = (micros: number): number => micros / 1_000_000;

/** Holds every request until `open()`. */
function gate(): { handler: Handler; open: () => void } {
  let release!: () => void;
  const opened = new Promise<void>((r) => (release = r));
  return { handler: async (req, res, body) => { await opened; await json(200, { ok: true })(req, res, body); }, open: () => release() };
}

const settle = (p: Promise<Reply>): Promise<Reply | null> => p.catch(() => null);

describe.skipIf(!runs)('three daemons on one shared budget', () => {
  let pg: TestPostgres;
  let url: string;
  const fleet: Testbed[] = [];
  const served = (): number => fleet.reduce((n, t) => n + t.upstream.requests.length, 0);
  const ledger = async () => (await fleet[0]!.control('GET', '/v1/ledger')).json;

  beforeAll(async () => {
    pg = await startPostgres();
    url = await pg.createDatabase('fleet');
    fleet.push(...(await Promise.all(['alpha', 'beta', 'gamma'].map(() => Testbed.create()))));
    await Promise.all(fleet.map((t) => t.start()));
    for (const [i, t] of fleet.entries()) {
      expect((await t.control('PATCH', '/v1/settings', { machineName: ['alpha', 'beta', 'gamma'][i] })).status).toBe(200);
      expect((await t.control('PUT', '/v1/ledger', { url })).status).toBe(200);
      await t.addIntegration({
        name: 'exa', sharedBudget: 'team', pricing: { perRequestUsd: usd(PRICE), maxPerRequestUsd: usd(PRICE) },
        rateLimit: { perMinute: 100_000, concurrent: 1_000 },
      });
    }
    // 137 calls fit; the 138th would cross by 1 µ$.
    expect((await fleet[0]!.control('PUT', '/v1/ledger/budgets/team', { monthlyCapUsd: usd(137 * PRICE + 999) })).status).toBe(200);
  }, 120_000);
  afterAll(async () => {
    await Promise.all(fleet.map((t) => t.close()));
    pg?.destroy();
  });

  it('lets exactly N of 1,000 concurrent calls spread over three daemons through', async () => {
    const replies = await Promise.all(Array.from({ length: 1_000 }, (_, i) => fleet[i % 3]!.call('exa', SEARCH)));
    expect(replies.filter((r) => r.status === 200)).toHaveLength(137);
    expect(replies.filter((r) => r.status !== 200).map((r) => r.json.error.code)).toEqual(Array(863).fill('budget_exhausted'));
    expect(served()).toBe(137);
    // A settle follows the answer: the last ones land just after.
    await waitFor(async () => (await ledger()).budgets[0].reservedUsd === 0, 'every reservation settled', 20_000);
    const [team] = (await ledger()).budgets;
    expect(team).toMatchObject({ spentUsd: usd(137 * PRICE), reservedUsd: 0, open: [] });
    expect(team.machines.map((m: { calls: number }) => m.calls).reduce((a: number, b: number) => a + b)).toBe(137);
  }, 120_000);

  it('survives kill -9 of a daemon and a PostgreSQL restart with calls in flight: nothing unreserved, nothing lost, the cap held', async () => {
    const [alpha, beta, gamma] = fleet as [Testbed, Testbed, Testbed];
    // Room for 300 more calls.
    await alpha.control('PUT', '/v1/ledger/budgets/team', { monthlyCapUsd: usd(437 * PRICE) });
    const alphaGate = gate();
    const betaGate = gate();
    alpha.upstream.setHandler(alphaGate.handler);
    beta.upstream.setHandler(betaGate.handler);
    const before = served();
    // 40 calls held at each provider: reserved in PostgreSQL, sent, not yet answered.
    const alphaCalls = Array.from({ length: 40 }, () => settle(alpha.call('exa', SEARCH)));
    const betaCalls = Array.from({ length: 40 }, () => settle(beta.call('exa', SEARCH)));
    await waitFor(() => served() - before === 80, 'the calls in flight', 20_000);

    // beta dies with its 40 calls in flight; PostgreSQL restarts while alpha's are answered.
    await beta.kill9();
    expect((await Promise.all(betaCalls)).every((r) => r === null || r.status !== 200)).toBe(true);
    pg.stop();
    alphaGate.open();
    const answered = await Promise.all(alphaCalls);
    expect(answered.every((r) => r?.status === 200)).toBe(true);
    // While it is away: shared calls refused, nothing sent; a local integration still works.
    const servedWhileDown = served();
    const refused = await Promise.all(Array.from({ length: 30 }, () => gamma.call('exa', SEARCH)));
    expect(refused.map((r) => r.json.error.code)).toEqual(Array(30).fill('ledger_unavailable'));
    expect(served()).toBe(servedWhileDown);
    await gamma.addIntegration({ name: 'local' });
    expect((await gamma.call('local', SEARCH)).status).toBe(200);
    pg.start();

    // Back: calls pass again (gamma's first call finds out), alpha's settles land, beta's open
    // reservations are settled when it restarts.
    betaGate.open();
    await beta.start();
    expect((await gamma.call('exa', SEARCH)).status).toBe(200);
    const after = await Promise.all(Array.from({ length: 60 }, (_, i) => fleet[i % 3]!.call('exa', SEARCH)));
    expect(after.every((r) => r.status === 200)).toBe(true);
    await waitFor(async () => (await ledger()).budgets[0].reservedUsd === 0, 'every reservation settled', 20_000);

    const [team] = (await ledger()).budgets;
    const local = 1; // gamma's call on its local integration: served, but not on the shared budget
    // Every call a provider served was reserved and is counted at its price: none sent unreserved, none lost.
    expect(Math.round(team.spentUsd * 1_000_000)).toBe((served() - local) * PRICE);
    expect(team.open).toEqual([]);
    expect(team.spentUsd).toBeLessThanOrEqual(team.monthlyCapUsd);
  }, 120_000);
});
