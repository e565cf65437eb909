// Two real daemons (own data folders, own keychain entries) on one shared budget in a real
// PostgreSQL: the control routes, the cap held exactly across both, fail closed while the database
// is away (local integrations unaffected), settles retried, a restart settling what was left open.
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LEDGER_URL_ACCOUNT } from '../../../daemon/keychain/daemon-secrets.ts';
import { createPool } from '../../../daemon/ledger/shared/connection.ts';
import { PostgresLedger } from '../../../daemon/ledger/shared/postgres-ledger.ts';
import { Harness } from '../../helpers/harness.ts';
import { canRunPostgres, startPostgres, type TestPostgres } from '../../helpers/postgres.ts';
import type { Handler } from '../../helpers/upstream.ts';

const runs = canRunPostgres() || process.env.CI === 'true';
const SEARCH = '/res/v1/web/search?q=x';

/** Every file under a folder, as text (to show a secret is in none of them). */
function allText(dir: string): string {
  return readdirSync(dir).map((f) => {
    const p = join(dir, f);
    const st = statSync(p);
    return st.isDirectory() ? allText(p) : st.isFile() ? readFileSync(p).toString('latin1') : '';
  }).join('\n');
}

/** Answers once `open()` is called: holds calls in flight. */
function gate(): { handler: Handler; open: () => void } {
  let release!: () => void;
  const opened = new Promise<void>((r) => (release = r));
  return {
    handler: async (_req, res) => {
      await opened;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    },
    open: () => release(),
  };
}

async function until(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('never happened');
}

describe.skipIf(!runs)('a shared budget over two daemons', () => {
  let pg: TestPostgres;
  let url: string;
  let laptop: Harness;
  let server: Harness;

  beforeAll(async () => {
    pg = await startPostgres();
    url = await pg.createDatabase('fleet');
    [laptop, server] = await Promise.all([Harness.start(), Harness.start()]);
    for (const [h, machine] of [[laptop, 'laptop'], [server, 'server']] as const) {
      expect((await h.control('PATCH', '/v1/settings', { machineName: machine })).status).toBe(200);
    }
  });
  afterAll(async () => {
    await Promise.all([laptop?.close(), server?.close()]);
    pg?.destroy();
  });

  it('is set up over the control socket: the URL goes to the keychain and nowhere else', async () => {
    expect((await laptop.control('GET', '/v1/ledger')).json).toMatchObject({ configured: false, machine: 'laptop', budgets: [] });
    const refused = await laptop.control('PUT', '/v1/ledger', { url: 'postgresql://u:secret@db.example.org/x?sslmode=disable' });
    expect(refused.status).toBe(400);
    expect(refused.json.error.message).toMatch(/sslmode=disable/);
    for (const h of [laptop, server]) {
      const r = await h.control('PUT', '/v1/ledger', { url });
      expect(r.status, r.text).toBe(200);
      expect(r.json).toMatchObject({ configured: true, reachable: true, where: `postgres @ socket ${pg.socketDir} / fleet` });
      expect(await h.keychain.get(LEDGER_URL_ACCOUNT)).toBe(url);
      expect(allText(h.home)).not.toContain(pg.socketDir);
    }
    const budget = await server.control('PUT', '/v1/ledger/budgets/team', { monthlyCapUsd: 0.025 });
    expect(budget.status, budget.text).toBe(200);
    expect((await laptop.control('GET', '/v1/ledger')).json.budgets).toMatchObject([{ name: 'team', monthlyCapUsd: 0.025, spentUsd: 0 }]);
  });

  it('holds the cap exactly across both machines, and shows the spend per machine', async () => {
    for (const h of [laptop, server]) await h.addIntegration({ name: 'exa', sharedBudget: 'team' });
    // The cap admits 5 calls of 0.005 USD; each machine's own cap (10 USD) would admit them all.
    const replies = await Promise.all(Array.from({ length: 24 }, (_, i) => (i % 2 ? laptop : server).call('exa', SEARCH)));
    expect(replies.filter((r) => r.status === 200)).toHaveLength(5);
    expect(replies.filter((r) => r.status !== 200).every((r) => r.status === 402 && r.json.error.code === 'budget_exhausted')).toBe(true);
    expect(laptop.upstream.requests.length + server.upstream.requests.length).toBe(5);
    // A settle follows the answer: the last ones land just after.
    await until(async () => (await server.control('GET', '/v1/ledger')).json.budgets[0].reservedUsd === 0);
    const [team] = (await server.control('GET', '/v1/ledger')).json.budgets;
    expect(team).toMatchObject({ spentUsd: 0.025, reservedUsd: 0, remainingUsd: 0, open: [] });
    expect(team.machines.reduce((n: number, m: { calls: number }) => n + m.calls, 0)).toBe(5);
    expect(team.machines.every((m: { machine: string }) => ['laptop', 'server'].includes(m.machine))).toBe(true);
    // Each milestone of the shared budget is raised once over the fleet, not once a machine.
    const titles = async (): Promise<string[]> => (await Promise.all([laptop, server].map(async (h) =>
      (await h.control('GET', '/v1/alerts')).json.alerts.map((a: { title: string }) => a.title)))).flat();
    const milestones = ['50 % of the spend cap: shared budget team', '80 % of the spend cap: shared budget team', 'Spend cap reached: shared budget team'];
    await until(async () => {
      const raised = await titles();
      return milestones.every((m) => raised.includes(m));
    });
    const raised = await titles();
    for (const m of milestones) expect(raised.filter((t) => t === m)).toHaveLength(1);
  });

  it('refuses shared calls while PostgreSQL is away, keeps local ones working, and recovers by itself', async () => {
    await server.control('PUT', '/v1/ledger/budgets/team', { monthlyCapUsd: 1 });
    await laptop.addIntegration({ name: 'local' });
    const before = laptop.upstream.requests.length;
    pg.stop();
    try {
      const r = await laptop.call('exa', SEARCH);
      expect(r.status).toBe(503);
      expect(r.json.error.code).toBe('ledger_unavailable');
      expect(laptop.upstream.requests.length).toBe(before);
      expect((await laptop.call('local', SEARCH)).status).toBe(200);
      const alerts = (await laptop.control('GET', '/v1/alerts?tier=critical')).json.alerts;
      expect(alerts.some((a: { kind: string }) => a.kind === 'ledger_unavailable')).toBe(true);
      expect((await laptop.control('GET', '/v1/ledger')).json).toMatchObject({ configured: true, reachable: false });
    } finally {
      pg.start();
    }
    const back = await laptop.call('exa', SEARCH);
    expect(back.status).toBe(200);
    // What is left is the shared budget's (1 USD, 0.03 of it spent), not the integration's own 10 USD cap.
    expect(back.headers['tollgate-remaining-usd']).toBe('0.970000');
    // The refused call is in the local audit log, as a refusal that cost nothing.
    const audit = (await laptop.control('GET', '/v1/audit?integration=exa&limit=5')).json.records;
    expect(audit.some((a: { code: string | null; costUsd: number }) => a.code === 'ledger_unavailable' && a.costUsd === 0)).toBe(true);
  });

  it('keeps a call counted while its settle cannot be written, and settles it once the database is back', async () => {
    const held = gate();
    laptop.upstream.setHandler(held.handler);
    await until(async () => (await server.control('GET', '/v1/ledger')).json.budgets[0].reservedUsd === 0);
    const spentBefore = (await server.control('GET', '/v1/ledger')).json.budgets[0].spentUsd;
    const inFlight = laptop.call('exa', SEARCH);
    await until(async () => laptop.upstream.requests.length > 0 && (await server.control('GET', '/v1/ledger')).json.budgets[0].reservedUsd > 0);
    pg.stop();
    held.open();
    try {
      expect((await inFlight).status).toBe(200);
      await until(async () => laptop.daemon.shared.pendingSettles === 1);
      expect((await laptop.control('GET', '/v1/ledger')).json).toMatchObject({ reachable: false, pendingSettles: 1, budgets: [] });
    } finally {
      pg.start();
    }
    await until(async () => laptop.daemon.shared.pendingSettles === 0);
    const [team] = (await server.control('GET', '/v1/ledger')).json.budgets;
    expect(team.reservedUsd).toBe(0);
    expect(team.spentUsd).toBeCloseTo(spentBefore + 0.005, 9);
  });

  it("settles, on restart, what the machine's earlier run left open; and a dead machine's from another one", async () => {
    const pool = createPool(url);
    const engine = new PostgresLedger(pool);
    try {
      const at = laptop.clock.now();
      await engine.reserve({ id: randomUUID(), budgets: ['team'], amount: 7_000, machine: 'laptop', run: randomUUID(), integration: 'exa', at });
      await engine.reserve({ id: randomUUID(), budgets: ['team'], amount: 3_000, machine: 'ghost', run: randomUUID(), integration: 'exa', at });
      const before = (await server.control('GET', '/v1/ledger')).json.budgets[0];
      await laptop.restartDaemon();
      const after = (await laptop.control('GET', '/v1/ledger')).json.budgets[0];
      expect(after.spentUsd).toBeCloseTo(before.spentUsd + 0.007, 9);
      expect(after.open).toEqual([expect.objectContaining({ machine: 'ghost', count: 1, amountUsd: 0.003 })]);
      const settled = await server.control('POST', '/v1/ledger/machines/ghost/settle');
      expect(settled.json).toEqual({ count: 1, amountUsd: 0.003 });
      expect((await server.control('GET', '/v1/ledger')).json.budgets[0].open).toEqual([]);
    } finally {
      await pool.end();
    }
  });

  it("draws every integration on the fleet's global budget once the machine marks it (globalSharedBudget)", async () => {
    await server.control('PUT', '/v1/ledger/budgets/fleet', { monthlyCapUsd: 0.01 });
    expect((await laptop.control('PATCH', '/v1/settings', { globalSharedBudget: 'fleet' })).status).toBe(200);
    try {
      // 'local' has no sharedBudget of its own; 'exa' draws on 'team' as well.
      const replies = [await laptop.call('local', SEARCH), await laptop.call('exa', SEARCH), await laptop.call('local', SEARCH)];
      expect(replies.map((r) => r.status)).toEqual([200, 200, 402]);
      expect(replies[2]!.json.error.message).toMatch(/The shared budget fleet of \$0\.01, /);
      await until(async () => (await laptop.control('GET', '/v1/ledger')).json.budgets.every((b: { reservedUsd: number }) => b.reservedUsd === 0));
      const budgets = new Map((await laptop.control('GET', '/v1/ledger')).json.budgets.map((b: { name: string }) => [b.name, b]));
      expect(budgets.get('fleet')).toMatchObject({ spentUsd: 0.01, machines: [{ machine: 'laptop', spentUsd: 0.01, calls: 2 }] });
    } finally {
      await laptop.control('PATCH', '/v1/settings', { globalSharedBudget: null });
    }
  });

  it('forgets the ledger on DELETE: the URL leaves the keychain and shared calls are refused', async () => {
    const r = await server.control('DELETE', '/v1/ledger');
    expect(r.json).toMatchObject({ configured: false });
    expect(await server.keychain.get(LEDGER_URL_ACCOUNT)).toBeNull();
    const call = await server.call('exa', SEARCH);
    expect(call.json.error.code).toBe('ledger_unavailable');
    expect(call.json.error.message).toMatch(/No shared ledger is set up/);
  });
});
