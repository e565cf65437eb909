// Sessions (SPEC "Sessions"): one run of an assistant on its own agent socket, started over the
// control socket, with a purpose, an optional budget and optionally some integrations only. A real
// daemon, the real keychain, SQLite on disk and an HTTPS upstream on 127.0.0.1.
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { Agent, request } from 'undici';
import { TollgateClient } from '../../../daemon/client/agent-client.ts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { errorCode, waitFor } from '../../helpers/daemon-process.ts';
import { Harness, type Reply, socketRequest } from '../../helpers/harness.ts';
import { hang, json, late } from '../../helpers/upstream.ts';

const mode = (path: string): number => statSync(path).mode & 0o777;
const price = (usd: number) => ({ pricing: { perRequestUsd: usd, maxPerRequestUsd: usd } });

/** The assistant's side of a session's socket. */
class SessionClient {
  readonly dispatcher: Agent;
  constructor(socket: string) {
    this.dispatcher = new Agent({ connect: { socketPath: socket } });
  }
  get(path: string): Promise<Reply> {
    return socketRequest(this.dispatcher, 'GET', path);
  }
  call(name: string, upstreamPath: string, headers: Record<string, string> = {}): Promise<Reply> {
    return socketRequest(this.dispatcher, 'GET', `/v1/call/${name}${upstreamPath}`, { headers });
  }
  close(): Promise<void> {
    return this.dispatcher.destroy();
  }
}

describe('sessions', () => {
  let h: Harness;
  const clients: SessionClient[] = [];
  const client = (socket: string): SessionClient => {
    const c = new SessionClient(socket);
    clients.push(c);
    return c;
  };
  const start = async (body: object): Promise<Reply> => h.control('POST', '/v1/sessions', body);
  const started = async (body: object): Promise<{ id: string; socket: string; c: SessionClient }> => {
    const r = await start(body);
    expect(r.status, r.text).toBe(200);
    return { id: r.json.id, socket: r.json.socket, c: client(r.json.socket) };
  };

  beforeAll(async () => {
    h = await Harness.start({ handler: json(200, { ok: true }) });
    await h.addIntegration();
    await h.addIntegration({ name: 'other', monthlyCapUsd: 5 });
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    h.upstream.setHandler(json(200, { ok: true }));
  });
  afterAll(() => h.close());

  describe('over the control socket', () => {
    it('starts one on its own 0600 socket in the 0700 run folder, and lists, reads and stops it', async () => {
      const r = await start({ purpose: 'Literature review', budgetUsd: 2, integrations: ['search'] });
      expect(r.status, r.text).toBe(200);
      const s = r.json;
      expect(s).toMatchObject({
        id: expect.stringMatching(/^[0-9a-f]{16}$/), socket: `${h.paths.sessionsDir}/${s.id}.sock`, purpose: 'Literature review',
        budgetUsd: 2, integrations: ['search'], owner: null, status: 'running', startedAt: '2026-11-10T12:00:00.000Z',
        startedBy: expect.stringContaining('(test)'), endedAt: null, spentUsd: 0, reservedUsd: 0, remainingUsd: 2, calls: 0,
      });
      expect(statSync(s.socket).isSocket()).toBe(true);
      expect(mode(s.socket)).toBe(0o600);
      expect(mode(dirname(s.socket))).toBe(0o700);
      expect(mode(h.paths.runDir)).toBe(0o700);

      expect((await h.control('GET', `/v1/sessions/${s.id}`)).json).toEqual(s);
      expect((await h.control('GET', '/v1/sessions')).json.sessions).toContainEqual(s);

      const stopped = await h.control('POST', `/v1/sessions/${s.id}/stop`);
      expect(stopped.json).toMatchObject({ id: s.id, status: 'ended', endedAt: '2026-11-10T12:00:00.000Z', endReason: 'stopped by the operator' });
      expect(existsSync(s.socket)).toBe(false);
      // Stopping again changes nothing.
      expect((await h.control('POST', `/v1/sessions/${s.id}/stop`)).json).toEqual(stopped.json);
      expect((await h.control('GET', '/v1/sessions/0123456789abcdef')).json.error.code).toBe('not_found');
    });

    it.each([
      [{}, /purpose/],
      [{ purpose: '   ' }, /purpose: say what the session is for/],
      [{ purpose: 'two\nlines' }, /purpose: must be one line of plain text/],
      [{ purpose: 'x'.repeat(201) }, /purpose/],
      [{ purpose: 'x', budgetUsd: 0 }, /budgetUsd: must be above 0/],
      [{ purpose: 'x', budgetUsd: -1 }, /budgetUsd/],
      [{ purpose: 'x', budgetUsd: '5' }, /budgetUsd/],
      [{ purpose: 'x', integrations: [] }, /integrations: name at least one integration/],
      [{ purpose: 'x', integrations: ['Not A Name'] }, /integrations\.0: must be an integration name/],
      [{ purpose: 'x', owner: 1.5 }, /owner/],
      [{ purpose: 'x', cap: 5 }, /cap/],
    ])('refuses %j with a message saying what is wrong', async (body, message) => {
      const r = await start(body);
      expect(r.status).toBe(400);
      expect(r.json.error).toMatchObject({ code: 'invalid', message: expect.stringMatching(message) });
    });

    it('refuses an integration that is not approved, naming it and what is', async () => {
      const r = await start({ purpose: 'x', integrations: ['search', 'nope'] });
      expect(r.status).toBe(400);
      expect(r.json.error).toMatchObject({ code: 'invalid', message: 'No approved integration is named nope. A session can include only approved integrations: search, other.' });
    });

    it('refuses an owner that is not running', async () => {
      const gone = spawn(process.execPath, ['-e', '']);
      await new Promise((r) => gone.once('exit', r));
      const r = await start({ purpose: 'x', owner: gone.pid });
      expect(r.status).toBe(400);
      expect(r.json.error.message).toBe(`No process ${gone.pid} is running: a session's owner must be a running process (the session ends when it exits).`);
    });
  });

  describe('a call on a session socket', () => {
    it('needs no purpose header: the session\'s stands in, and the audit records the session', async () => {
      const { id, c } = await started({ purpose: 'Find prior work on SQLite WAL' });
      const r = await c.call('search', '/res/v1/web/search?q=wal');
      expect(r.status, r.text).toBe(200);
      expect(r.headers['tollgate-cost-usd']).toBe('0.005000');
      // A purpose it sends is the call's own.
      expect((await c.call('search', '/res/v1/web/search?q=x', { 'tollgate-purpose': 'Check one citation' })).status).toBe(200);
      // Non-ASCII purposes survive the stand-in.
      const { id: other, c: c2 } = await started({ purpose: 'Recherche für Kunden — Übersicht' });
      expect((await c2.call('search', '/res/v1/web/search')).status).toBe(200);

      const records = (await h.control('GET', `/v1/audit?session=${id}`)).json.records;
      expect(records.map((a: { purpose: string; session: string; outcome: string }) => [a.purpose, a.session, a.outcome])).toEqual([
        ['Check one citation', id, 'ok'],
        ['Find prior work on SQLite WAL', id, 'ok'],
      ]);
      expect((await h.control('GET', `/v1/audit?session=${other}`)).json.records).toMatchObject([{ purpose: 'Recherche für Kunden — Übersicht', session: other }]);
      // Calls on the agent socket itself belong to no session, and still need their purpose.
      expect((await h.call('search', '/res/v1/web/search')).status).toBe(200);
      expect((await h.agent('GET', '/v1/call/search/res/v1/web/search')).json.error.code).toBe('purpose_required');
      const latest = (await h.control('GET', '/v1/audit?limit=2')).json.records;
      expect(latest.map((a: { session: string | null }) => a.session)).toEqual([null, null]);
      expect((await h.control('GET', '/v1/audit/verify')).json).toMatchObject({ ok: true });

      expect((await h.control('GET', `/v1/sessions/${id}`)).json).toMatchObject({ spentUsd: 0.01, reservedUsd: 0, calls: 2, budgetUsd: null, remainingUsd: null });
    });

    it('reaches only the session\'s integrations, and lists only those with the session\'s budget left', async () => {
      const { id, c } = await started({ purpose: 'Search only', budgetUsd: 1, integrations: ['search'] });
      const refused = await c.call('other', '/res/v1/web/search');
      expect(refused.status).toBe(403);
      expect(refused.headers['tollgate-error']).toBe('not_allowlisted');
      expect(refused.json.error.message).toMatch(/^This session does not include an integration named "other"\. .*The session includes search/);
      expect(h.upstream.requests.filter((r) => r.url.includes('other'))).toEqual([]);

      expect((await c.call('search', '/res/v1/web/search')).status).toBe(200);
      const listed = await c.get('/v1/integrations');
      expect(listed.json.integrations.map((i: { name: string }) => i.name)).toEqual(['search']);
      expect(listed.json.session).toEqual({ id, purpose: 'Search only', budgetUsd: 1, spentUsd: 0.005, remainingUsd: 0.995 });
      expect(listed.json.integrations[0].remainingUsd).toBe(0.995);
      // The refusal is in the audit, with the session.
      const records = (await h.control('GET', `/v1/audit?session=${id}`)).json.records;
      expect(records.map((a: { integration: string; code: string | null }) => [a.integration, a.code])).toEqual([['search', null], ['other', 'not_allowlisted']]);
      expect((await h.control('GET', `/v1/sessions/${id}`)).json.calls).toBe(2);
      // The agent socket itself still reaches everything.
      expect((await h.agent('GET', '/v1/integrations')).json.integrations.map((i: { name: string }) => i.name)).toEqual(['search', 'other']);
    });

    it('the client library works on it as on the agent socket, with no purpose of its own', async () => {
      const { id, socket } = await started({ purpose: 'Through the client library', budgetUsd: 0.5, integrations: ['search'] });
      const lib = new TollgateClient({ socketPath: socket });
      try {
        expect(await lib.session()).toEqual({ id, purpose: 'Through the client library', budgetUsd: 0.5, spentUsd: 0, remainingUsd: 0.5 });
        const r = await lib.call({ integration: 'search', path: '/res/v1/web/search', query: { q: 'x' } });
        expect(r).toMatchObject({ status: 200, costUsd: 0.005, remainingUsd: 0.495 });
        expect((await lib.integrations()).map((i) => i.name)).toEqual(['search']);
      } finally {
        await lib.close();
      }
      const plain = new TollgateClient({ socketPath: h.paths.agentSocket });
      expect(await plain.session()).toBeNull();
      await plain.close();
    });

    it('serves exactly the agent API: no operator verb', async () => {
      const { c } = await started({ purpose: 'x' });
      expect((await c.get('/v1/health')).json.ok).toBe(true);
      expect((await c.get('/v1/sessions')).json.error.code).toBe('bad_request');
      expect((await c.get('/v1/audit')).json.error.code).toBe('bad_request');
    });
  });

  it('streams its start, its spend (at most once a second) and its end on /v1/events', async () => {
    const dispatcher = new Agent({ connect: { socketPath: h.paths.controlSocket } });
    try {
      const res = await request('http://tollgate/v1/events', { dispatcher, headers: { 'tollgate-client': 'test' } });
      const events: { change: string; session: { id: string; spentUsd: number; calls: number; status: string } }[] = [];
      let text = '';
      const reading = (async () => {
        for await (const chunk of res.body) {
          text += chunk.toString();
          for (const block of text.split('\n\n').slice(0, -1)) {
            if (block.startsWith('event: session\n')) events.push(JSON.parse(block.slice(block.indexOf('data: ') + 6)));
          }
          if (text.includes('\n\n')) text = text.slice(text.lastIndexOf('\n\n') + 2);
          if (events.some((e) => e.change === 'ended')) break;
        }
      })();
      const { id, c } = await started({ purpose: 'Watched' });
      for (let n = 0; n < 3; n++) expect((await c.call('search', '/res/v1/web/search')).status).toBe(200);
      await waitFor(() => events.some((e) => e.change === 'updated' && e.session.id === id), 'a spend event', 5_000);
      await h.control('POST', `/v1/sessions/${id}/stop`);
      await reading;
      // (Sessions of the tests before may still report their last calls.)
      const own = events.filter((e) => e.session.id === id);
      expect(own.map((e) => e.change)).toEqual(['started', 'updated', 'ended']);
      // Three calls within a second: one update, with the latest figures.
      expect(own[1]!.session).toMatchObject({ spentUsd: 0.015, calls: 3, status: 'running' });
      expect(own[2]!.session).toMatchObject({ status: 'ended', calls: 3 });
    } finally {
      await dispatcher.destroy();
    }
  });

  describe('three limits at once, exact under concurrency', () => {
    const burst = async (c: SessionClient, name: string, n = 100) => {
      const before = h.upstream.requests.length;
      const results = await Promise.all(Array.from({ length: n }, () => c.call(name, '/res/v1/web/search')));
      return {
        ok: results.filter((r) => r.status === 200).length,
        refused: results.filter((r) => r.status === 402 && r.headers['tollgate-error'] === 'budget_exhausted'),
        reached: h.upstream.requests.length - before,
      };
    };

    beforeAll(() => {
      // Each answer takes a while, so every call of a burst is in flight at once.
      h.upstream.setHandler(late(50, json(200, { ok: true })));
    });

    it('the session budget: 100 calls, exactly 7 admitted', async () => {
      await h.addIntegration({ name: 'cent', ...price(0.01), monthlyCapUsd: 10 });
      await h.control('PATCH', '/v1/settings', { globalCapUsd: 100 });
      const { id, c } = await started({ purpose: 'Budget test', budgetUsd: 0.07 });
      h.upstream.setHandler(late(50, json(200, { ok: true })));
      const r = await burst(c, 'cent');
      expect(r.ok).toBe(7);
      expect(r.refused).toHaveLength(93);
      expect(r.reached).toBe(7);
      expect(r.refused[0]!.json.error.message).toMatch(/^The session budget of \$0\.07 would be crossed \(spent \$[\d.]+, in flight \$[\d.]+, this call reserves up to \$0\.01\)\. It does not reset: the operator can start a new session with a higher budget\.$/);
      expect((await h.control('GET', `/v1/sessions/${id}`)).json).toMatchObject({ spentUsd: 0.07, reservedUsd: 0, remainingUsd: 0, calls: 100 });
      const spend = (await h.control('GET', '/v1/spend')).json.integrations.find((i: { name: string }) => i.name === 'cent');
      expect(spend).toMatchObject({ spentUsd: 0.07, reservedUsd: 0 });
      // The session's budget is no cap: no cap alert.
      const alerts = (await h.control('GET', '/v1/alerts')).json.alerts as { dedupeKey: string }[];
      expect(alerts.filter((a) => a.dedupeKey.startsWith('spend:cent:100'))).toEqual([]);
    });

    it('the integration cap, within a larger session budget', async () => {
      await h.addIntegration({ name: 'capped', ...price(0.01), monthlyCapUsd: 0.05 });
      const { id, c } = await started({ purpose: 'Cap test', budgetUsd: 1 });
      h.upstream.setHandler(late(50, json(200, { ok: true })));
      const r = await burst(c, 'capped');
      expect([r.ok, r.refused.length, r.reached]).toEqual([5, 95, 5]);
      expect(r.refused[0]!.json.error.message).toMatch(/^The monthly cap of \$0\.05 for capped would be crossed/);
      expect((await h.control('GET', `/v1/sessions/${id}`)).json).toMatchObject({ spentUsd: 0.05, reservedUsd: 0 });
    });

    it('the global cap, within a larger session budget and integration cap', async () => {
      const spent = (await h.control('GET', '/v1/spend')).json.totalSpentUsd as number;
      // Exactly 9 more cents fit under the global cap.
      await h.control('PATCH', '/v1/settings', { globalCapUsd: Math.round((spent + 0.09) * 1e6) / 1e6 });
      await h.addIntegration({ name: 'wide', ...price(0.01), monthlyCapUsd: 10 });
      const { id, c } = await started({ purpose: 'Global test', budgetUsd: 5 });
      h.upstream.setHandler(late(50, json(200, { ok: true })));
      const r = await burst(c, 'wide');
      expect([r.ok, r.refused.length, r.reached]).toEqual([9, 91, 9]);
      expect(r.refused[0]!.json.error.message).toMatch(/^The global cap of \$[\d.,]+ over all integrations would be crossed/);
      expect((await h.control('GET', `/v1/sessions/${id}`)).json).toMatchObject({ spentUsd: 0.09, reservedUsd: 0 });
      await h.control('PATCH', '/v1/settings', { globalCapUsd: null });
    });
  });

  describe('ending', () => {
    it('ends by itself when its owner process exits: the socket goes and refuses connections', async () => {
      const owner = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 300)']);
      const { id, socket, c } = await started({ purpose: 'Tied to a command', owner: owner.pid });
      expect((await c.call('search', '/res/v1/web/search')).status).toBe(200);
      await new Promise((r) => owner.once('exit', r));
      await waitFor(async () => (await h.control('GET', `/v1/sessions/${id}`)).json.status === 'ended', 'the session to end', 5_000);
      const s = (await h.control('GET', `/v1/sessions/${id}`)).json;
      expect(s).toMatchObject({ status: 'ended', endReason: `its owner process ${owner.pid} exited`, spentUsd: 0.005, calls: 1 });
      expect(existsSync(socket)).toBe(false);
      const fresh = client(socket);
      const err = await fresh.get('/v1/health').then(() => null, (e: unknown) => e);
      expect(['ENOENT', 'ECONNREFUSED']).toContain(errorCode(err));
    });

    it('stopped with a call in flight: the call finishes and is counted; later connections fail', async () => {
      let answer: (() => void) | null = null;
      h.upstream.setHandler(async (req, res, body) => {
        await new Promise<void>((r) => { answer = r; });
        await json(200, { ok: true })(req, res, body);
      });
      const { id, socket, c } = await started({ purpose: 'Stopped mid-call', budgetUsd: 1 });
      const inFlight = c.call('search', '/res/v1/web/search');
      await waitFor(() => answer !== null, 'the call to reach the upstream');
      const during = (await h.control('POST', `/v1/sessions/${id}/stop`)).json;
      expect(during).toMatchObject({ status: 'ended', reservedUsd: 0.005, spentUsd: 0 });
      expect(existsSync(socket)).toBe(false);
      const err = await client(socket).get('/v1/health').then(() => null, (e: unknown) => e);
      expect(['ENOENT', 'ECONNREFUSED']).toContain(errorCode(err));

      answer!();
      const r = await inFlight;
      expect(r.status).toBe(200);
      expect((await h.control('GET', `/v1/sessions/${id}`)).json).toMatchObject({ spentUsd: 0.005, reservedUsd: 0, calls: 1 });
      expect((await h.control('GET', `/v1/audit?session=${id}`)).json.records).toMatchObject([{ outcome: 'ok', costUsd: 0.005 }]);
    });

    it('the daemon\'s stop ends every session; the history survives a restart', async () => {
      h.upstream.setHandler(hang());
      const { id, socket, c } = await started({ purpose: 'Across a restart', budgetUsd: 3, integrations: ['search'] });
      const before = h.upstream.requests.length;
      const cut = c.call('search', '/res/v1/web/search').then(() => 'answered', () => 'cut');
      await waitFor(() => h.upstream.requests.length > before, 'the call to reach the upstream');
      await h.restartDaemon();
      // Cut after the grace: settled at its reservation (it may have reached the provider).
      expect(['answered', 'cut']).toContain(await cut);
      expect(existsSync(socket)).toBe(false);
      const s = (await h.control('GET', `/v1/sessions/${id}`)).json;
      expect(s).toMatchObject({ status: 'ended', endReason: 'Tollgate stopped', purpose: 'Across a restart', budgetUsd: 3, integrations: ['search'], spentUsd: 0.005, reservedUsd: 0, calls: 1 });
      expect((await h.control('GET', '/v1/sessions')).json.sessions.every((x: { status: string }) => x.status === 'ended')).toBe(true);
      expect((await h.control('GET', '/v1/audit/verify')).json).toMatchObject({ ok: true });
    });
  });
});
