// The client library (`tollgate/client`) against a real daemon: answers come back typed, the
// provider's own errors are results, and every code of the SPEC's error table is a TollgateRefusal.
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CallResult, TollgateClient, TollgateRefusal, TollgateUnavailable } from '../../../daemon/client/agent-client.ts';
import { ERROR_CODES, ERRORS, type ErrorCode } from '../../../daemon/errors.ts';
import { Harness } from '../../helpers/harness.ts';
import { hang, json, sse } from '../../helpers/upstream.ts';

const UUID = /^[0-9a-f-]{36}$/;

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('TollgateClient', () => {
  let h: Harness;
  let client: TollgateClient;
  let noPurpose: TollgateClient;

  beforeAll(async () => {
    // Short upstream timeouts, for upstream_timeout; every other answer here is immediate.
    h = await Harness.start({ handler: json(200, { ok: true }), timeouts: { connectMs: 2000, headersMs: 1000, bodyMs: 1000 } });
    await h.addIntegration({ routes: [{ method: 'GET', path: '/res/v1/web/search' }, { method: 'POST', path: '/v1/extract' }] });
    client = new TollgateClient({ socketPath: h.paths.agentSocket, purpose: 'testing the client library' });
    noPurpose = new TollgateClient({ socketPath: h.paths.agentSocket });
  });
  afterAll(async () => {
    await client?.close();
    await noPurpose?.close();
    await h?.close();
  });

  describe('answers', () => {
    it('health and the approved integrations, typed as the SPEC says', async () => {
      expect(await client.health()).toEqual({ ok: true, version: expect.any(String) });
      const [search] = await client.integrations();
      expect(search).toEqual({
        name: 'search', purpose: 'Web search for research tasks', status: 'active',
        routes: [{ method: 'GET', path: '/res/v1/web/search' }, { method: 'POST', path: '/v1/extract' }],
        period: expect.any(String), spentUsd: expect.any(Number), capUsd: 10, remainingUsd: expect.any(Number), resetsAt: expect.any(String),
      });
    });

    it('a call with a query object: status, body, cost and remaining budget; the purpose is sent', async () => {
      h.upstream.setHandler(json(200, { results: ['a', 'b'] }));
      const before = (await client.integrations())[0]!.remainingUsd;
      const r = await client.call({ integration: 'search', path: '/res/v1/web/search', query: { q: 'sqlite wal', count: 5, safe: true } });
      expect(r).toMatchObject({ status: 200, contentType: 'application/json', costUsd: 0.005, remainingUsd: before - 0.005 });
      expect(r.requestId).toMatch(UUID);
      expect(r.json()).toEqual({ results: ['a', 'b'] });
      expect(r.text()).toBe('{"results":["a","b"]}');
      const sent = h.upstream.requests.at(-1)!;
      expect(sent.url).toBe('/res/v1/web/search?q=sqlite+wal&count=5&safe=true');
      expect(sent.headers['tollgate-purpose']).toBeUndefined();
      const audit = await h.control('GET', '/v1/audit?limit=1');
      expect(audit.json.records[0]).toMatchObject({ requestId: r.requestId, purpose: 'testing the client library', outcome: 'ok' });
    });

    it('a query string, and a purpose of its own', async () => {
      const r = await client.call({ integration: 'search', path: '/res/v1/web/search', query: '?q=x&n=1', purpose: 'one purpose for this call' });
      expect(r.status).toBe(200);
      expect(h.upstream.requests.at(-1)!.url).toBe('/res/v1/web/search?q=x&n=1');
      const audit = await h.control('GET', '/v1/audit?limit=1');
      expect(audit.json.records[0].purpose).toBe('one purpose for this call');
    });

    it('bodies: an object as JSON, a string and bytes as they are', async () => {
      await client.call({ integration: 'search', method: 'POST', path: '/v1/extract', body: { urls: ['https://example.org'] } });
      let sent = h.upstream.requests.at(-1)!;
      expect(sent.headers['content-type']).toBe('application/json');
      expect(JSON.parse(sent.body.toString())).toEqual({ urls: ['https://example.org'] });
      await client.call({ integration: 'search', method: 'POST', path: '/v1/extract', body: 'plain words', headers: { 'content-type': 'text/plain' } });
      sent = h.upstream.requests.at(-1)!;
      expect([sent.headers['content-type'], sent.body.toString()]).toEqual(['text/plain', 'plain words']);
      await client.call({ integration: 'search', method: 'POST', path: '/v1/extract', body: Buffer.from([1, 2, 3]) });
      expect([...h.upstream.requests.at(-1)!.body]).toEqual([1, 2, 3]);
    });

    it("the provider's own 404 is a result, not a refusal", async () => {
      h.upstream.setHandler(json(404, { error: 'no such page' }));
      try {
        const r = await client.call({ integration: 'search', path: '/res/v1/web/search', query: { q: 'x' } });
        expect(r).toMatchObject({ status: 404, costUsd: 0.005 });
        expect(r.json()).toEqual({ error: 'no such page' });
      } finally {
        h.upstream.setHandler(json(200, { ok: true }));
      }
    });

    it('a stream: read as it comes, its cost from the trailers; call() reads the same cost', async () => {
      await h.addIntegration({ name: 'streaming', pricing: { costPointer: '/cost', maxPerRequestUsd: 0.01 } });
      h.upstream.setHandler(sse(['{"delta":"Hel"}', '{"delta":"lo","cost":0.002}', '[DONE]'], { delayMs: 5 }));
      try {
        const s = await client.callStream({ integration: 'streaming', path: '/res/v1/web/search', query: { q: 'x' } });
        expect(s.status).toBe(200);
        expect(s.contentType).toMatch(/^text\/event-stream/);
        let text = '';
        for await (const chunk of s.body) text += String(chunk);
        expect(text).toContain('data: {"delta":"lo","cost":0.002}');
        const cost = await s.cost;
        expect(cost.costUsd).toBe(0.002);
        expect(cost.remainingUsd).toBeCloseTo(9.998, 6);
        const r = await client.call({ integration: 'streaming', path: '/res/v1/web/search', query: { q: 'y' } });
        expect(r.costUsd).toBe(0.002);
        expect(r.remainingUsd).toBeCloseTo(9.996, 6);
      } finally {
        h.upstream.setHandler(json(200, { ok: true }));
      }
    });

    it('propose, then follow the proposal to its approval', async () => {
      const p = await client.propose({ kind: 'raise_cap', integration: 'search', monthlyCapUsd: 20, justification: 'A large review this month' });
      expect(p).toEqual({ id: expect.stringMatching(UUID), status: 'pending' });
      expect(await client.proposal(p.id)).toMatchObject({ id: p.id, kind: 'raise_cap', status: 'pending', decidedAt: null });
      expect((await h.control('POST', `/v1/proposals/${p.id}/approve`, {})).status).toBe(200);
      expect(await client.proposal(p.id)).toMatchObject({ status: 'approved', decidedAt: expect.any(String) });
      expect((await client.integrations()).find((i) => i.name === 'search')!.capUsd).toBe(20);
    });

    it('a socket nobody answers on: TollgateUnavailable, naming the socket', async () => {
      const missing = new TollgateClient({ socketPath: `${h.home}/run/nothing.sock` });
      const e = await missing.integrations().catch((x: unknown) => x);
      expect(e).toBeInstanceOf(TollgateUnavailable);
      expect((e as Error).message).toMatch(/nothing\.sock.*daemon running/);
      await missing.close();
    });

    it('finds the socket through TOLLGATE_AGENT_SOCKET, else TOLLGATE_HOME', async () => {
      const saved = { ...process.env };
      try {
        process.env.TOLLGATE_AGENT_SOCKET = h.paths.agentSocket;
        expect(new TollgateClient().socketPath).toBe(h.paths.agentSocket);
        delete process.env.TOLLGATE_AGENT_SOCKET;
        process.env.TOLLGATE_HOME = h.home;
        const c = new TollgateClient();
        expect(c.socketPath).toBe(h.paths.agentSocket);
        expect((await c.health()).ok).toBe(true);
        await c.close();
      } finally {
        process.env = saved;
      }
    });
  });

  describe('every code of the error table is a TollgateRefusal', () => {
    const search = (opts: Partial<Parameters<TollgateClient['call']>[0]> = {}) =>
      client.call({ integration: 'search', path: '/res/v1/web/search', query: { q: 'x' }, ...opts });

    // Each provoked for real, as cheaply as it can be.
    const provoke: Record<ErrorCode, () => Promise<unknown>> = {
      bad_request: () => search({ purpose: 'p'.repeat(201) }),
      purpose_required: () => noPurpose.call({ integration: 'search', path: '/res/v1/web/search' }),
      budget_exhausted: async () => {
        await h.addIntegration({ name: 'capped', monthlyCapUsd: 0.005 });
        expect((await client.call({ integration: 'capped', path: '/res/v1/web/search' })).status).toBe(200);
        return client.call({ integration: 'capped', path: '/res/v1/web/search' });
      },
      not_allowlisted: () => client.call({ integration: 'nope', path: '/res/v1/web/search' }),
      route_not_allowed: () => search({ path: '/res/v1/images/search' }),
      model_not_allowed: async () => {
        await h.addIntegration({
          name: 'llm', routes: [{ method: 'POST', path: '/v1/messages' }],
          pricing: { tokens: { format: 'anthropic', models: { 'claude-sonnet-4-5': { input: 3, output: 15 } } }, maxPerRequestUsd: 1 },
        });
        return client.call({ integration: 'llm', method: 'POST', path: '/v1/messages', body: { model: 'gpt-4o', max_tokens: 10, messages: [] } });
      },
      exfiltration_blocked: () => search({ query: { q: `AKIA${'Q3EGRRTK5VZM7XWP'}` } }),
      body_too_large: () => search({ method: 'POST', path: '/v1/extract', body: Buffer.alloc(1024 * 1024 + 1, 0x61) }),
      rate_limited: async () => {
        await h.addIntegration({ name: 'limited', rateLimit: { perMinute: 1, concurrent: 1 } });
        expect((await client.call({ integration: 'limited', path: '/res/v1/web/search' })).status).toBe(200);
        return client.call({ integration: 'limited', path: '/res/v1/web/search' });
      },
      upstream_error: async () => {
        await h.control('PATCH', '/v1/settings', { maxResponseBytes: 1024 });
        h.upstream.setHandler(json(200, { blob: 'x'.repeat(4096) }));
        try {
          return await search();
        } finally {
          h.upstream.setHandler(json(200, { ok: true }));
          await h.control('PATCH', '/v1/settings', { maxResponseBytes: 10 * 1024 * 1024 });
        }
      },
      integration_suspended: async () => {
        await h.addIntegration({ name: 'paused' });
        await h.control('POST', '/v1/integrations/paused/suspend', { reason: 'holiday' });
        return client.call({ integration: 'paused', path: '/res/v1/web/search' });
      },
      upstream_unavailable: async () => {
        await h.addIntegration({ name: 'unreachable', baseUrl: `https://127.0.0.1:${await closedPort()}` });
        return client.call({ integration: 'unreachable', path: '/res/v1/web/search' });
      },
      keychain_unavailable: async () => {
        h.keychain.locked = true;
        try {
          return await search();
        } finally {
          h.keychain.locked = false;
        }
      },
      audit_unavailable: async () => {
        h.daemon.db.exec("CREATE TRIGGER full_disk BEFORE INSERT ON reservations BEGIN SELECT RAISE(ABORT, 'disk full'); END");
        try {
          return await search();
        } finally {
          h.daemon.db.exec('DROP TRIGGER full_disk');
        }
      },
      // No shared ledger is set up on this machine: refused before anything is reserved there.
      ledger_unavailable: async () => {
        await h.addIntegration({ name: 'shared', sharedBudget: 'team' });
        return client.call({ integration: 'shared', path: '/res/v1/web/search' });
      },
      upstream_timeout: async () => {
        h.upstream.setHandler(hang());
        try {
          return await search();
        } finally {
          h.upstream.setHandler(json(200, { ok: true }));
        }
      },
    };

    it('covers exactly the codes of daemon/errors.ts', () => {
      expect(Object.keys(provoke).sort()).toEqual([...ERROR_CODES].sort());
    });

    for (const code of ERROR_CODES) {
      it(code, async () => {
        const e = await provoke[code]().then((r) => r as CallResult, (x: unknown) => x);
        expect(e).toBeInstanceOf(TollgateRefusal);
        const refusal = e as TollgateRefusal;
        expect({ code: refusal.code, status: refusal.status }).toEqual({ code, status: ERRORS[code].status });
        expect(refusal.requestId).toMatch(UUID);
        expect(refusal.message.length).toBeGreaterThan(10);
        expect(refusal.message).not.toMatch(/^\{/);
        if (code === 'rate_limited') expect(refusal.retryAfter).toBeGreaterThan(0);
        else if (code !== 'upstream_unavailable') expect(refusal.retryAfter).toBeUndefined();
      });
    }

    it('after all that, the daemon still answers', async () => {
      expect((await search()).status).toBe(200);
    });
  });
});
