// The shared ledger (issue 13), `npm run bench -- --ledger`: what a reservation and its settle cost
// in PostgreSQL over loopback TCP beside the local SQLite ledger, and the throughput of three
// daemons calling through one shared budget beside the same three on budgets of their own.
// PostgreSQL is a throw-away cluster (initdb / pg_ctl in a temp folder, as the tests start it), but
// with its default durability: each commit flushed to disk, as a real server does.
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type pg from 'pg';
import { AuditLog } from '../daemon/audit/log.ts';
import { openDatabase } from '../daemon/db/open.ts';
import { Registry } from '../daemon/integrations/registry.ts';
import { integrationSchema } from '../daemon/integrations/schema.ts';
import { Ledger } from '../daemon/ledger/ledger.ts';
import { createPool } from '../daemon/ledger/shared/connection.ts';
import { migrateShared } from '../daemon/ledger/shared/migrations.ts';
import { PostgresLedger } from '../daemon/ledger/shared/postgres-ledger.ts';
import { usdToMicros } from '../daemon/money.ts';
import { Calendar } from '../daemon/period.ts';
import { applyDurability, defaultSettings } from '../daemon/settings.ts';
import { deleteKeychainService } from '../test/helpers/daemon-process.ts';
import { canRunPostgres, startPostgres } from '../test/helpers/postgres.ts';
import { runLoad } from './lib/load.ts';
import { fx, table } from './lib/report.ts';
import { round, summarize, type Summary } from './lib/stats.ts';
import { COST_USD } from './lib/upstream-server.ts';
import { benchIntegration, INTEGRATION, PURPOSE, startTollgate, type TollgateUnderBench } from './tollgate.ts';

const AMOUNT = usdToMicros(0.01);
const BUDGET = 'bench-fleet';
const DAEMONS = 3;
const ENGINE_BUDGETS = ['bench-engine-a', 'bench-engine-b'];

/** Reserve and settle, timed apart, at one concurrency. */
export interface EngineResult {
  engine: string;
  concurrency: number;
  reserveMs: Summary;
  settleMs: Summary;
  /** Reservations made and settled a second. */
  perSecond: number;
}

export interface FleetResult {
  daemons: number;
  concurrency: number;
  /** The same three daemons: each integration on its own budget, then all three on one shared budget. */
  local: { rps: number; latencyMs: Summary; errors: number };
  shared: { rps: number; latencyMs: Summary; errors: number };
  /** What the shared budget shows once every settle landed, and what the upstream served at its price. */
  spentUsd: number;
  expectedUsd: number;
}

export interface LedgerResult {
  engines: EngineResult[];
  fleet: FleetResult;
}

export interface LedgerRig {
  tmp: string;
  service: string;
  upstreamUrl: string;
  key: string;
  caFile: string;
  env: Record<string, string>;
  /** A call through a daemon's agent socket to the bench integration; throws unless it answered in full. */
  caller: (agentSocket: string) => { call: (i: number) => Promise<void>; close: () => Promise<void> };
}

const freePort = (): Promise<number> => new Promise((resolve, reject) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const { port } = s.address() as { port: number };
    s.close(() => resolve(port));
  }).on('error', reject);
});

/** Runs reserve-then-settle `count` times at a concurrency; the two timed apart. */
async function timeEngine(engine: string, concurrency: number, count: number, warmup: number,
  reserve: () => Promise<unknown> | unknown, settle: (r: unknown) => Promise<unknown> | unknown): Promise<EngineResult> {
  let reserves: number[] = [];
  let settles: number[] = [];
  const r = await runLoad({
    concurrency, requests: count, warmup, maxMs: 120_000,
    onMeasure: () => {
      reserves = [];
      settles = [];
    },
    call: async () => {
      const t0 = performance.now();
      const held = await reserve();
      const t1 = performance.now();
      await settle(held);
      reserves.push(t1 - t0);
      settles.push(performance.now() - t1);
    },
  });
  if (r.errors) throw new Error(`${engine}: ${r.errors} failed: ${r.errorSamples[0]}`);
  return { engine, concurrency, reserveMs: summarize(reserves), settleMs: summarize(settles), perSecond: round(r.rps, 1) };
}

/** The daemon's SQLite ledger in this process: reserve and settle (with its audit record), one at a time as the daemon does. */
function sqliteEngine(dir: string, fullSync: boolean): { reserve: () => unknown; settle: (r: unknown) => void } {
  const db = openDatabase(join(dir, `ledger-${fullSync ? 'full' : 'normal'}.db`));
  applyDurability(db, { ...defaultSettings(), fullSync });
  const integration = new Registry(db, () => undefined).create(integrationSchema.parse(benchIntegration('https://127.0.0.1')), 'bench', Date.now());
  const ledger = new Ledger(db, new AuditLog(db, randomBytes(32)), new Calendar({ timeZone: 'UTC', resetDay: 1 }));
  const call = () => ({ requestId: randomUUID(), integration: INTEGRATION, purpose: PURPOSE, method: 'POST', host: '127.0.0.1', path: '/search', bytesOut: 40, at: Date.now(), fingerprint: randomBytes(32).toString('hex') });
  return {
    reserve: () => ledger.reserve(integration.id, { integration: integration.cap, global: null }, AMOUNT, call()),
    settle: (r) => {
      const c = call();
      ledger.settle(r as ReturnType<Ledger['reserve']>, usdToMicros(COST_USD), { ...c, outcome: 'ok', code: null, status: 200, latencyMs: 1, bytesIn: 2000, cost: 0 });
    },
  };
}

export async function runLedger(rig: LedgerRig, o: { quick: boolean; log: (line: string) => void; cleanup: (what: string, fn: () => unknown) => void }): Promise<LedgerResult> {
  if (!canRunPostgres()) throw new Error('the ledger phase needs PostgreSQL\'s server programs (Debian: apt-get install postgresql)');
  const n = o.quick ? { c1: 300, c32: 2000, warmup: 100, fleet: 1500 } : { c1: 2000, c32: 10_000, warmup: 300, fleet: 6000 };
  const cluster = await startPostgres({ port: await freePort(), durable: true });
  o.cleanup('remove the PostgreSQL cluster', () => cluster.destroy());
  o.log(`PostgreSQL: a throw-away cluster on 127.0.0.1 (TCP), commits flushed to disk (fsync on, synchronous_commit on)`);

  // 1. The engines alone, in this process.
  const engines: EngineResult[] = [];
  for (const fullSync of [false, true]) {
    const e = sqliteEngine(rig.tmp, fullSync);
    engines.push(await timeEngine(`SQLite (WAL, synchronous=${fullSync ? 'FULL: the fullSync setting' : 'NORMAL: the default'})`, 1, n.c1, n.warmup, e.reserve, e.settle));
  }
  await cluster.createDatabase('bench');
  const url = cluster.tcpUrl!.replace(/\/postgres$/, '/bench');
  const pool = createPool(url);
  try {
    engines.push(...await postgresEngines(pool, n));
  } finally {
    await pool.end();
  }
  o.log(table(['engine', 'c', 'reserve p50 ms', 'p99', 'settle p50 ms', 'p99', 'reserve+settle /s'], engines.map((e) => [
    e.engine, String(e.concurrency), fx(e.reserveMs.p50), fx(e.reserveMs.p99), fx(e.settleMs.p50), fx(e.settleMs.p99), e.perSecond.toFixed(0),
  ])));

  // 2. Three daemons, each its own data folder and keychain entries, on one shared budget.
  const daemons: TollgateUnderBench[] = [];
  for (let i = 0; i < DAEMONS; i++) {
    const service = `${rig.service}-fleet-${i}`;
    o.cleanup(`remove the keychain items of daemon ${i}`, () => deleteKeychainService(service));
    const tg = await startTollgate({ home: join(rig.tmp, `fleet-${i}`), service, caFile: rig.caFile, env: rig.env, integration: { baseUrl: rig.upstreamUrl, key: rig.key } });
    o.cleanup(`stop daemon ${i}`, () => tg.daemon.stop().catch(() => tg.daemon.kill9()));
    o.cleanup(`close the control client of daemon ${i}`, () => tg.control.close());
    await tg.control.updateSettings({ machineName: `bench-${i}` });
    await tg.control.call('PUT', '/v1/ledger', { url });
    daemons.push(tg);
  }
  await daemons[0]!.control.call('PUT', `/v1/ledger/budgets/${BUDGET}`, { monthlyCapUsd: 1_000_000 });
  const callers = daemons.map((d) => rig.caller(d.agentSocket));
  o.cleanup('close the fleet clients', () => Promise.all(callers.map((c) => c.close())));
  const concurrency = 16 * DAEMONS;
  /** Calls the upstream served (warm-up included): what the shared budget must show spent. */
  let served = 0;
  const load = async () => {
    served = 0;
    const r = await runLoad({
      concurrency, requests: n.fleet, warmup: n.warmup, maxMs: 180_000,
      call: async (i) => {
        await callers[i % DAEMONS]!.call(i);
        served++;
      },
    });
    return { rps: round(r.rps, 1), latencyMs: summarize(r.latencies), errors: r.errors };
  };
  const local = await load();
  for (const d of daemons) await d.control.updateIntegration(INTEGRATION, { sharedBudget: BUDGET });
  const shared = await load();
  const spentUsd = round(await settled(daemons[0]!), 6);
  const expectedUsd = round(served * COST_USD, 6);
  o.log(table(['three daemons, c=' + concurrency, 'calls/s', 'p50 ms', 'p99 ms', 'errors'], [
    ['each on its own budget (SQLite)', local.rps.toFixed(0), fx(local.latencyMs.p50), fx(local.latencyMs.p99), String(local.errors)],
    ['one shared budget (PostgreSQL)', shared.rps.toFixed(0), fx(shared.latencyMs.p50), fx(shared.latencyMs.p99), String(shared.errors)],
  ]));
  o.log(`shared budget ${BUDGET}: ${spentUsd} USD spent over the run, ${expectedUsd} USD expected (${served} calls × ${COST_USD}): ${spentUsd === expectedUsd ? 'equal' : 'DIFFERENT'}`);
  return { engines, fleet: { daemons: DAEMONS, concurrency, local, shared, spentUsd, expectedUsd } };
}

/** The shared budget's spend once nothing is reserved any more (the last settles land just after their answers). */
/** Reserve and settle in PostgreSQL through the daemon's pool: one budget at c=1 and c=32, two budgets (an integration's and the fleet's) at c=1. */
async function postgresEngines(pool: pg.Pool, n: { c1: number; c32: number; warmup: number }): Promise<EngineResult[]> {
  await migrateShared(pool);
  const ledger = new PostgresLedger(pool);
  // Budgets of their own: the fleet's budget counts only the fleet's calls.
  for (const b of ENGINE_BUDGETS) await ledger.setBudget(b, usdToMicros(1_000_000), { timeZone: 'UTC', resetDay: 1 }, false);
  const run = randomUUID();
  const pgEngine = (budgets: string[]) => ({
    reserve: async () => {
      const r = await ledger.reserve({ id: randomUUID(), budgets, amount: AMOUNT, machine: 'bench', run, integration: INTEGRATION, at: Date.now() });
      if (!r.ok) throw new Error(`not reserved: ${r.reason}`);
      return r.reservation.id;
    },
    settle: (id: unknown) => ledger.settle(id as string, usdToMicros(COST_USD)),
  });
  const one = pgEngine(ENGINE_BUDGETS.slice(0, 1));
  const engines = [await timeEngine('PostgreSQL over loopback, one budget', 1, n.c1, n.warmup, one.reserve, one.settle)];
  const two = pgEngine(ENGINE_BUDGETS);
  engines.push(await timeEngine('PostgreSQL over loopback, two budgets (an integration\'s and the fleet\'s)', 1, n.c1, n.warmup, two.reserve, two.settle));
  engines.push(await timeEngine('PostgreSQL over loopback, one budget', 32, n.c32, n.warmup, one.reserve, one.settle));
  return engines;
}

/** The shared budget's spend once nothing is reserved any more (the last settles land just after their answers). */
async function settled(tg: TollgateUnderBench): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const view = await tg.control.ledger();
    const b = view.budgets.find((x) => x.name === BUDGET);
    if (b && b.reservedUsd === 0) return b.spentUsd;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`reservations on ${BUDGET} stayed open 10 s after the load`);
}
