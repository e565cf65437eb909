// Sessions across a daemon killed with SIGKILL (rule 4, SPEC "Sessions"): a reservation left open
// by a call in a session is settled at its reserved amount on restart and counted to that session;
// the session, whose socket died with the daemon, is marked ended; its stale socket file is removed.
import { existsSync, statSync } from 'node:fs';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode, Testbed, waitFor } from '../../helpers/daemon-process.ts';
import { socketRequest } from '../../helpers/harness.ts';
import { hang, json } from '../../helpers/upstream.ts';

const MAX = 10_000;

describe('a session when the daemon is killed', () => {
  let t: Testbed;
  const agents: Agent[] = [];

  beforeAll(async () => {
    t = await Testbed.create({ handler: json(200, { ok: true }) });
  });
  afterAll(async () => {
    await Promise.all(agents.map((a) => a.destroy()));
    await t.close();
  });

  it('counts its open reservations to it on restart, and marks it ended', async () => {
    await t.start();
    await t.addIntegration({ pricing: { perRequestUsd: 0.001, maxPerRequestUsd: MAX / 1e6 } });
    const s = (await t.control('POST', '/v1/sessions', { purpose: 'Killed mid-run', budgetUsd: 1 })).json;
    expect(statSync(s.socket).mode & 0o777).toBe(0o600);
    const agent = new Agent({ connect: { socketPath: s.socket } });
    agents.push(agent);
    expect((await socketRequest(agent, 'GET', '/v1/call/search/res/v1/web/search')).status).toBe(200);

    t.upstream.setHandler(hang());
    const calls = [1, 2].map(() => socketRequest(agent, 'GET', '/v1/call/search/res/v1/web/search').then(() => 'answered', () => 'cut'));
    await waitFor(() => t.upstream.requests.length === 3, 'the calls to reach the upstream');
    expect((await t.control('GET', `/v1/sessions/${s.id}`)).json).toMatchObject({ spentUsd: 0.001, reservedUsd: 0.02, remainingUsd: 0.979 });

    await t.kill9();
    expect(await Promise.all(calls)).toEqual(['cut', 'cut']);
    expect(existsSync(s.socket)).toBe(true);

    t.upstream.setHandler(json(200, { ok: true }));
    const d = await t.start();
    expect(d.stdout).toContain('settled 2 call(s) left open by an earlier stop at their reserved amount');
    expect((await t.control('GET', `/v1/sessions/${s.id}`)).json).toMatchObject({
      status: 'ended', endReason: 'Tollgate stopped while it ran', spentUsd: (1_000 + 2 * MAX) / 1e6, reservedUsd: 0, calls: 3,
    });
    const records = (await t.control('GET', `/v1/audit?session=${s.id}`)).json.records;
    expect(records.map((r: { outcome: string; costUsd: number; session: string }) => [r.outcome, r.costUsd, r.session])).toEqual([
      ['unknown', MAX / 1e6, s.id], ['unknown', MAX / 1e6, s.id], ['ok', 0.001, s.id],
    ]);
    expect((await t.control('GET', '/v1/audit/verify')).json).toMatchObject({ ok: true, records: 3 });
    // The socket died with the daemon: its file is gone, nothing answers there.
    expect(existsSync(s.socket)).toBe(false);
    const fresh = new Agent({ connect: { socketPath: s.socket } });
    agents.push(fresh);
    const err = await socketRequest(fresh, 'GET', '/v1/health').then(() => null, (e: unknown) => e);
    expect(['ENOENT', 'ECONNREFUSED']).toContain(errorCode(err));
    expect((await t.cli(['audit', 'verify'])).stdout).toBe('audit chain intact: 3 records\n');
  });

  it('SIGTERM ends every session: its socket goes, its history stays', async () => {
    const s = (await t.control('POST', '/v1/sessions', { purpose: 'Ended by SIGTERM' })).json;
    const agent = new Agent({ connect: { socketPath: s.socket } });
    agents.push(agent);
    expect((await socketRequest(agent, 'GET', '/v1/call/search/res/v1/web/search')).status).toBe(200);
    expect(await t.stop()).toEqual({ code: 0, signal: null });
    expect(existsSync(s.socket)).toBe(false);
    await t.start();
    expect((await t.control('GET', `/v1/sessions/${s.id}`)).json).toMatchObject({ status: 'ended', endReason: 'Tollgate stopped', spentUsd: 0.001, calls: 1 });
    const all = (await t.control('GET', '/v1/sessions')).json.sessions as { status: string }[];
    expect(all.map((x) => x.status)).toEqual(['ended', 'ended']);
  });
});
