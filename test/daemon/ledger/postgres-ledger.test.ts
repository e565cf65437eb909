// The shared ledger's engine on a real PostgreSQL (a throw-away cluster): exact under concurrency
// from several pools (several daemons), settle, recovery of a dead run, a database restart.
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool } from '../../../daemon/ledger/shared/connection.ts';
import { migrateShared, SHARED_MIGRATIONS } from '../../../daemon/ledger/shared/migrations.ts';
import { PostgresLedger, type ReserveRequest } from '../../../daemon/ledger/shared/postgres-ledger.ts';
import { periodAt } from '../../../daemon/period.ts';
import { canRunPostgres, startPostgres, type TestPostgres } from '../../helpers/postgres.ts';

const AT = Date.UTC(2026, 2, 15, 12);
const BERLIN = { timeZone: 'Europe/Berlin', resetDay: 1 };
// CI installs PostgreSQL: there a missing server fails the run instead of skipping it.
const runs = canRunPostgres() || process.env.CI === 'true';

describe.skipIf(!runs)('shared ledger on PostgreSQL', () => {
  let server: TestPostgres;
  const pools: pg.Pool[] = [];
  let dbCount = 0;

  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(async () => {
    await Promise.all(pools.map((p) => p.end()));
    server?.destroy();
  });

  /** A fresh database, migrated, with `n` pools onto it (one per daemon). */
  async function fresh(n = 1): Promise<{ url: string; ledgers: PostgresLedger[]; pools: pg.Pool[] }> {
    const url = await server.createDatabase(`ledger_${++dbCount}`);
    const own = Array.from({ length: n }, () => createPool(url));
    pools.push(...own);
    await migrateShared(own[0]!);
    return { url, ledgers: own.map((p) => new PostgresLedger(p)), pools: own };
  }

  const call = (over: Partial<ReserveRequest> = {}): ReserveRequest => ({
    id: randomUUID(), budgets: ['team'], amount: 1_000, machine: 'laptop', run: RUN, integration: 'exa', at: AT, ...over,
  });
  const RUN = randomUUID();

  it('migrates once, from several daemons starting together, and records the version', async () => {
    const url = await server.createDatabase('migrate');
    const own = [createPool(url), createPool(url), createPool(url)];
    pools.push(...own);
    const versions = await Promise.all(own.map((p) => migrateShared(p)));
    expect(versions).toEqual([1, 1, 1].map(() => SHARED_MIGRATIONS.length));
    expect((await own[0]!.query('SELECT version FROM schema_version')).rows).toEqual([{ version: SHARED_MIGRATIONS.length }]);
    await own[0]!.query('UPDATE schema_version SET version = 999');
    await expect(migrateShared(own[1]!)).rejects.toThrow(/newer than this Tollgate knows/);
  });

  it("works out the period as the daemon's calendar does, in the budget's time zone", async () => {
    const { pools: [pool] } = await fresh();
    await fc.assert(fc.asyncProperty(
      fc.integer({ min: Date.UTC(2024, 0, 1), max: Date.UTC(2030, 0, 1) }),
      fc.constantFrom('UTC', 'Europe/Berlin', 'America/Los_Angeles', 'Asia/Tokyo', 'Australia/Lord_Howe'),
      fc.integer({ min: 1, max: 28 }),
      async (at, timeZone, resetDay) => {
        const { rows } = await pool!.query("SELECT to_char(tollgate_period(to_timestamp($1::float8 / 1000), $2, $3), 'YYYY-MM-DD') AS p", [at, timeZone, resetDay]);
        expect(rows[0].p).toBe(periodAt(at, { timeZone, resetDay }).id);
      },
    ), { numRuns: 200 });
  });

  it('admits exactly as many of 1,000 concurrent reservations from three daemons as the cap holds', async () => {
    const { ledgers } = await fresh(3);
    // 137 calls of 1,000 µ$ fit; the 138th would cross by 1 µ$.
    await ledgers[0]!.setBudget('team', 137 * 1_000 + 999, BERLIN, true);
    const results = await Promise.all(Array.from({ length: 1_000 }, (_, i) =>
      ledgers[i % 3]!.reserve(call({ machine: `machine-${i % 3}` }))));
    expect(results.filter((r) => r.ok)).toHaveLength(137);
    expect(results.filter((r) => !r.ok).every((r) => !r.ok && r.reason === 'exhausted')).toBe(true);
    const [view] = await ledgers[1]!.view(AT);
    expect(view).toMatchObject({ spent: 0, reserved: 137_000, period: '2026-03-01' });
    expect(view!.open.reduce((n, o) => n + o.count, 0)).toBe(137);
  });

  it('settles at the real cost per machine and day, once, and frees what the call did not cost', async () => {
    const { ledgers: [a, b] } = await fresh(2);
    await a!.setBudget('team', 10_000, BERLIN, true);
    const r1 = await a!.reserve(call({ amount: 6_000, machine: 'laptop' }));
    const r2 = await b!.reserve(call({ amount: 4_000, machine: 'server', at: AT + 86_400_000 }));
    expect(r1.ok && r2.ok).toBe(true);
    expect(await a!.reserve(call({ amount: 1 }))).toMatchObject({ ok: false, reason: 'exhausted', cap: 10_000 });
    if (!r1.ok || !r2.ok) return;
    expect(await a!.settle(r1.reservation.id, 2_500)).toEqual([{ budget: 'team', spent: 2_500, cap: 10_000, period: '2026-03-01', resetsAt: Date.UTC(2026, 2, 31, 22) }]);
    // A second settle (a retry whose first answer was lost) changes nothing.
    expect(await b!.settle(r1.reservation.id, 2_500)).toEqual([]);
    expect(await b!.settle(r2.reservation.id, 4_000)).toMatchObject([{ spent: 6_500 }]);
    const [view] = await b!.view(AT);
    expect(view).toMatchObject({ spent: 6_500, reserved: 0, open: [] });
    expect(view!.days).toEqual([
      { machine: 'laptop', day: '2026-03-15', spent: 2_500, calls: 1 },
      { machine: 'server', day: '2026-03-16', spent: 4_000, calls: 1 },
    ]);
    expect((await a!.reserve(call({ amount: 3_500 }))).ok).toBe(true);
    expect((await a!.reserve(call({ amount: 1 }))).ok).toBe(false);
  });

  it('reserves against two budgets at once, all or nothing, exactly under concurrency', async () => {
    const { ledgers } = await fresh(3);
    await ledgers[0]!.setBudget('team', 1_000_000, BERLIN, true);
    await ledgers[0]!.setBudget('other', 1_000_000, BERLIN, true);
    // The fleet's global budget admits 61 calls of 1,000 µ$, whichever integration budget they also use.
    await ledgers[0]!.setBudget('fleet', 61 * 1_000 + 999, BERLIN, true);
    const results = await Promise.all(Array.from({ length: 300 }, (_, i) =>
      ledgers[i % 3]!.reserve(call({ budgets: i % 2 ? ['team', 'fleet'] : ['fleet', 'other'] }))));
    expect(results.filter((r) => r.ok)).toHaveLength(61);
    expect(results.filter((r) => !r.ok).every((r) => !r.ok && r.reason === 'exhausted' && r.budget === 'fleet')).toBe(true);
    const views = new Map((await ledgers[0]!.view(AT)).map((v) => [v.name, v]));
    // A call refused by the fleet's budget left nothing behind in its integration's.
    expect(views.get('team')!.reserved + views.get('other')!.reserved).toBe(views.get('fleet')!.reserved);
    expect(views.get('fleet')!.reserved).toBe(61_000);
    // Each says what was left of the tighter budget: the last one admitted, 999 µ$.
    expect(Math.min(...results.map((r) => (r.ok ? r.reservation.left : Infinity)))).toBe(999);
    const ok = results.find((r) => r.ok && r.reservation.budgets.includes('team'));
    if (!ok?.ok) throw new Error('no call on team passed');
    expect((await ledgers[1]!.settle(ok.reservation.id, 400)).map((s) => [s.budget, s.spent])).toEqual([['fleet', 400], ['team', 400]]);
    expect(await ledgers[1]!.settleMachine('laptop', null)).toEqual({ count: 60, amount: 60_000 });
    const after = new Map((await ledgers[0]!.view(AT)).map((v) => [v.name, v]));
    expect([after.get('fleet')!.spent, after.get('team')!.spent + after.get('other')!.spent]).toEqual([60_400, 60_400]);

    // Refused by the second budget it takes: the first one's reservation is rolled back.
    await ledgers[0]!.setBudget('fleet', 1_000_000, BERLIN, false);
    await ledgers[0]!.setBudget('tiny', 1_000, BERLIN, true);
    expect((await ledgers[2]!.reserve(call({ budgets: ['tiny', 'fleet'] }))).ok).toBe(true);
    expect(await ledgers[2]!.reserve(call({ budgets: ['tiny', 'fleet'] }))).toMatchObject({ ok: false, reason: 'exhausted', budget: 'tiny' });
    expect((await ledgers[0]!.view(AT)).find((v) => v.name === 'fleet')).toMatchObject({ reserved: 1_000, open: [{ machine: 'laptop', count: 1 }] });
  });

  it('lets one machine of the fleet claim an alert, once', async () => {
    const { ledgers } = await fresh(3);
    const claims = await Promise.all(ledgers.flatMap((l, i) => [l.claimAlert('spend:team:80:2026-03-01', `m${i}`), l.claimAlert('spend:team:80:2026-03-01', `m${i}`)]));
    expect(claims.filter(Boolean)).toHaveLength(1);
  });

  it('counts a new period from zero, and tells an unknown budget apart from a full one', async () => {
    const { ledgers: [l] } = await fresh();
    await l!.setBudget('team', 1_000, BERLIN, true);
    expect((await l!.reserve(call({ amount: 1_000 }))).ok).toBe(true);
    expect((await l!.reserve(call({ amount: 1_000 }))).ok).toBe(false);
    // April 1st, 00:30 in Berlin (22:30 UTC the day before): a new period.
    const april = Date.UTC(2026, 2, 31, 22, 30);
    expect((await l!.reserve(call({ amount: 1_000, at: april }))).ok).toBe(true);
    expect((await l!.view(april))[0]).toMatchObject({ period: '2026-04-01', reserved: 1_000 });
    expect(await l!.reserve(call({ budgets: ['nobody'] }))).toEqual({ ok: false, reason: 'no_budget', budget: 'nobody' });
  });

  it("settles a machine's open reservations of earlier runs at their reserved amount, not the current run's", async () => {
    const { ledgers: [l] } = await fresh();
    await l!.setBudget('team', 100_000, BERLIN, true);
    const earlier = randomUUID();
    await l!.reserve(call({ run: earlier, amount: 3_000 }));
    await l!.reserve(call({ run: earlier, amount: 2_000 }));
    const current = await l!.reserve(call({ amount: 1_000 }));
    await l!.reserve(call({ machine: 'server', amount: 7_000 }));
    expect(await l!.settleMachine('laptop', RUN)).toEqual({ count: 2, amount: 5_000 });
    const [view] = await l!.view(AT);
    expect(view).toMatchObject({ spent: 5_000, reserved: 8_000 });
    expect(view!.open.map((o) => [o.machine, o.count, o.amount])).toEqual([['laptop', 1, 1_000], ['server', 1, 7_000]]);
    expect(current.ok && (await l!.settle(current.reservation.id, 500))).toMatchObject([{ spent: 5_500 }]);
    // A dead machine, settled from another one: every run.
    expect(await l!.settleMachine('server', null)).toEqual({ count: 1, amount: 7_000 });
  });

  it('fails while PostgreSQL is down and works again, on the same pool, once it is back', async () => {
    const { ledgers: [l] } = await fresh();
    await l!.setBudget('team', 10_000, BERLIN, true);
    const before = await l!.reserve(call({ amount: 4_000 }));
    expect(before.ok).toBe(true);
    server.stop();
    try {
      await expect(l!.reserve(call())).rejects.toThrow();
      await expect(l!.settle(before.ok ? before.reservation.id : '', 1_000)).rejects.toThrow();
    } finally {
      server.start();
    }
    // The reservation made before the restart is still counted, and settles now.
    expect(before.ok && (await l!.settle(before.reservation.id, 1_000))).toMatchObject([{ spent: 1_000 }]);
    expect((await l!.reserve(call({ amount: 9_000 }))).ok).toBe(true);
    const [view] = await l!.view(AT);
    expect(view).toMatchObject({ spent: 1_000, reserved: 9_000 });
  });
});
