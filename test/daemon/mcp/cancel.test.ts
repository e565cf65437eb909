// An MCP client that cancels a tool call (notifications/cancelled, through the official SDK) after
// the request left: the call is billed at its reservation, and the cap holds for the calls after it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from '../../helpers/harness.ts';
import { type Mcp, startMcp } from '../../helpers/mcp-client.ts';
import { json, late } from '../../helpers/upstream.ts';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe('tollgate mcp: a cancelled call', () => {
  let h: Harness;
  let mcp: Mcp;

  beforeAll(async () => {
    // The provider answers after 3 s; the client gives up well before.
    h = await Harness.start({ handler: late(3_000, json(200, { results: [] })) });
    await h.addIntegration({ pricing: { perRequestUsd: 0.01, maxPerRequestUsd: 0.01 }, monthlyCapUsd: 0.02 });
    mcp = await startMcp(h.paths.agentSocket);
  });
  afterAll(async () => {
    await mcp?.client.close();
    await h?.close();
  });

  it('is billed at its reservation once it reached the provider; the cap stops the calls past it', async () => {
    const cancelled: string[] = [];
    for (let i = 0; i < 4; i++) {
      const ac = new AbortController();
      const before = h.upstream.requests.length;
      let done = false;
      const call = mcp.client.callTool({ name: 'tollgate_call', arguments: { integration: 'search', path: '/res/v1/web/search', query: { q: `cancel ${i}` }, purpose: 'cancellation test' } }, undefined, { signal: ac.signal, timeout: 10_000 })
        .then((r) => JSON.stringify(r), (e: unknown) => `cancelled: ${String(e)}`)
        .finally(() => void (done = true));
      // Cancel once the request is at the provider (a refused call ends by itself).
      for (let t = 0; t < 100 && !done && h.upstream.requests.length === before; t++) await sleep(20);
      ac.abort('changed my mind');
      cancelled.push(await call);
    }
    // The first two were cancelled at the provider; the other two were refused by the cap.
    expect(h.upstream.requests.length).toBe(2);
    expect(cancelled.slice(0, 2).every((o) => o.startsWith('cancelled'))).toBe(true);
    expect(cancelled.slice(2).every((o) => o.includes('budget_exhausted'))).toBe(true);
    for (let t = 0; t < 250; t++) {
      const r = await h.control('GET', '/v1/spend');
      if (r.json.integrations[0].reservedUsd === 0) break;
      await sleep(20);
    }
    const spend = await h.control('GET', '/v1/spend');
    expect(spend.json.integrations[0]).toMatchObject({ name: 'search', spentUsd: 0.02, reservedUsd: 0 });
    const audit = await h.control('GET', '/v1/audit?limit=10');
    const costs = (audit.json.records as { costUsd: number; code: string | null }[]).map((r) => [r.costUsd, r.code]).sort();
    expect(costs).toEqual([[0, 'budget_exhausted'], [0, 'budget_exhausted'], [0.01, null], [0.01, null]]);
  });
});
