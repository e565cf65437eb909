import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from '../../helpers/harness.ts';
import { json, sse } from '../../helpers/upstream.ts';

describe('a call through the agent socket', () => {
  let h: Harness;
  let key: string;

  beforeAll(async () => {
    h = await Harness.start({ handler: json(200, { web: { results: [{ title: 'Tollgate' }] } }) });
    key = await h.addIntegration();
  });
  afterAll(() => h.close());

  it('reaches the upstream with the key attached, and only there', async () => {
    const r = await h.call('search', '/res/v1/web/search?q=tollgate+secret-query&count=3', {
      headers: { authorization: 'Bearer agent-made-this-up', cookie: 'a=b', 'x-subscription-token': 'forged', 'x-custom': 'kept' },
    });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ web: { results: [{ title: 'Tollgate' }] } });
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.headers['tollgate-cost-usd']).toBe('0.005000');
    expect(r.headers['tollgate-remaining-usd']).toBe('9.995000');
    expect(r.headers['tollgate-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.text).not.toContain(key);
    const seen = h.upstream.requests.at(-1)!;
    expect(seen.url).toBe('/res/v1/web/search?q=tollgate+secret-query&count=3');
    expect(seen.headers['x-subscription-token']).toBe(key);
    expect(seen.headers.authorization).toBeUndefined();
    expect(seen.headers.cookie).toBeUndefined();
    expect(seen.headers['tollgate-purpose']).toBeUndefined();
    expect(seen.headers['x-custom']).toBe('kept');
  });

  it('writes an audit record without the query, the key or the body', async () => {
    const audit = await h.control('GET', '/v1/audit?limit=1');
    const [rec] = audit.json.records;
    expect(rec).toMatchObject({
      integration: 'search', purpose: 'testing Tollgate', method: 'GET', path: '/res/v1/web/search',
      outcome: 'ok', status: 200, costUsd: 0.005, code: null,
    });
    expect(rec.host).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(JSON.stringify(audit.json)).not.toContain('secret-query');
    expect(JSON.stringify(audit.json)).not.toContain(key);
    expect(rec.fingerprint).toMatch(/^[0-9a-f]{64}$/);
  });

  it('lists approved integrations with their budget for the assistant', async () => {
    const r = await h.agent('GET', '/v1/integrations');
    expect(r.status).toBe(200);
    expect(r.json.integrations).toEqual([{
      name: 'search', purpose: 'Web search for research tasks', status: 'active',
      routes: [{ method: 'GET', path: '/res/v1/web/search' }], period: '2026-11-01',
      spentUsd: 0.005, capUsd: 10, remainingUsd: 9.995, resetsAt: expect.stringMatching(/^2026-12-01T/),
    }]);
    expect(r.text).not.toContain(key);
  });

  it('meters a provider-reported cost read from the JSON answer', async () => {
    await h.addIntegration({
      name: 'exa', auth: { type: 'header', name: 'x-api-key' }, routes: [{ method: 'POST', path: '/search' }],
      pricing: { costPointer: '/costDollars/total', maxPerRequestUsd: 0.05 },
    });
    h.upstream.setHandler(json(200, { results: [], costDollars: { total: 0.0125 } }));
    const r = await h.call('exa', '/search', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"x"}' });
    expect(r.status).toBe(200);
    expect(r.headers['tollgate-cost-usd']).toBe('0.012500');
    expect(h.upstream.requests.at(-1)!.body.toString()).toBe('{"query":"x"}');
  });

  it('prices a route at its own price where it has one', async () => {
    await h.addIntegration({
      name: 'priced', routes: [{ method: 'GET', path: '/cheap' }, { method: 'GET', path: '/dear', pricing: { perRequestUsd: 0.004, maxPerRequestUsd: 0.004 } }],
      pricing: { perRequestUsd: 0.001, maxPerRequestUsd: 0.001 },
    });
    h.upstream.setHandler(json(200, { ok: true }));
    expect((await h.call('priced', '/cheap')).headers['tollgate-cost-usd']).toBe('0.001000');
    expect((await h.call('priced', '/dear')).headers['tollgate-cost-usd']).toBe('0.004000');
  });

  it('settles at the maximum when the cost cannot be read', async () => {
    h.upstream.setHandler(json(200, { results: [] }));
    const r = await h.call('exa', '/search', { method: 'POST', body: '{}' });
    expect(r.headers['tollgate-cost-usd']).toBe('0.050000');
  });

  it('says what is left after the call, even when a reported cost runs past the maximum and the cap', async () => {
    await h.addIntegration({
      name: 'exa-small', auth: { type: 'header', name: 'x-api-key' }, routes: [{ method: 'POST', path: '/search' }],
      pricing: { costPointer: '/costDollars/total', maxPerRequestUsd: 0.01 }, monthlyCapUsd: 0.02,
    });
    h.upstream.setHandler(json(200, { results: [], costDollars: { total: 0.004 } }));
    const first = await h.call('exa-small', '/search', { method: 'POST', body: '{}' });
    expect(first.headers['tollgate-remaining-usd']).toBe('0.016000');
    // The ledger records the real cost (0.03 > the 0.01 maximum): nothing is left, never less.
    h.upstream.setHandler(json(200, { results: [], costDollars: { total: 0.03 } }));
    const over = await h.call('exa-small', '/search', { method: 'POST', body: '{}' });
    expect(over.headers['tollgate-cost-usd']).toBe('0.030000');
    expect(over.headers['tollgate-remaining-usd']).toBe('0.000000');
    const spend = await h.control('GET', '/v1/spend');
    expect(spend.json.integrations.find((i: { name: string }) => i.name === 'exa-small')).toMatchObject({ spentUsd: 0.034, remainingUsd: 0 });
  });

  it('streams server-sent events and meters them from the usage event', async () => {
    await h.addIntegration({
      name: 'llm', auth: { type: 'bearer' }, routes: [{ method: 'POST', path: '/chat/completions' }],
      pricing: { usage: [{ pointer: '/usage/total_tokens', usdPerUnit: 0.000001 }], maxPerRequestUsd: 0.01 },
    });
    h.upstream.setHandler(sse(['{"delta":"Hel"}', '{"delta":"lo"}', '{"usage":{"total_tokens":1234}}', '[DONE]'], { delayMs: 5 }));
    const r = await h.call('llm', '/chat/completions', { method: 'POST', body: '{"stream":true}' });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/event-stream');
    expect(r.text).toContain('data: {"delta":"Hel"}');
    expect(r.text).toContain('[DONE]');
    expect(h.upstream.requests.at(-1)!.headers.authorization).toMatch(/^Bearer tg-test-key-/);
    const audit = await h.control('GET', '/v1/audit?integration=llm&limit=1');
    expect(audit.json.records[0].costUsd).toBe(0.001234);
  });
});
