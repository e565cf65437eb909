// Upstream faults with many calls in flight: a 5xx storm (the circuit opens, nothing is retried),
// SSE streams cut before their usage event (charged at the maximum), slowloris bodies (timeout,
// charged at the maximum). After each: the ledger and the audit agree and the daemon serves again.
import { afterEach, describe, expect, it } from 'vitest';
import { Harness } from '../helpers/harness.ts';
import { json, type Handler, slowBody, sse } from '../helpers/upstream.ts';
import { FAILURES_TO_OPEN } from '../../daemon/pipeline/circuit.ts';
import { alertsOf, auditRecords, code, expectConsistent, settled } from './invariants.ts';

const IN_FLIGHT = 20;
const CAP_USD = 10;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Answers after `ms`, so that every call of a burst is in flight at once. */
const late = (ms: number, h: Handler): Handler => async (req, res, body) => {
  await sleep(ms);
  await h(req, res, body);
};

describe('upstream faults with calls in flight', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('a 5xx storm: every call answered, the circuit opens with a warning, no retries, ledger consistent', async () => {
    h = await Harness.start({ handler: late(200, json(503, { error: 'overloaded' })) });
    await h.addIntegration({ pricing: { perRequestUsd: 0.001, maxPerRequestUsd: 0.002 }, monthlyCapUsd: CAP_USD });
    const replies = await Promise.all(Array.from({ length: IN_FLIGHT }, (_, i) => settled(h.call('search', `/res/v1/web/search?q=storm-${i}`))));
    // All were in flight before the first failure came back: each reached the upstream once.
    expect(h.upstream.requests).toHaveLength(IN_FLIGHT);
    for (const r of replies) {
      expect(r).not.toBe('cut');
      if (r !== 'cut') expect(r.status).toBe(503);
    }
    expect((await alertsOf(h)).filter((a) => a.kind === 'circuit_open' && a.tier === 'warning' && a.integration === 'search')).toHaveLength(1);

    // The circuit is open: the next burst fails fast, without reaching the upstream.
    const sent = h.upstream.requests.length;
    const fast = await Promise.all(Array.from({ length: IN_FLIGHT }, () => h.call('search', '/res/v1/web/search?q=after')));
    for (const r of fast) {
      expect(r.status).toBe(503);
      expect(code(r)).toBe('upstream_unavailable');
      expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
    }
    expect(h.upstream.requests).toHaveLength(sent);
    const records = await expectConsistent(h, 'search', CAP_USD);
    expect(records.filter((r) => r.code === 'upstream_unavailable')).toHaveLength(IN_FLIGHT);
    expect(FAILURES_TO_OPEN).toBeLessThanOrEqual(IN_FLIGHT);

    // After the cool-down the provider is back: one probe call succeeds and closes the circuit.
    h.upstream.setHandler(json(200, { results: [] }));
    h.clock.advance(31_000);
    const probe = await h.call('search', '/res/v1/web/search?q=probe');
    expect(probe.status).toBe(200);
    expect((await h.call('search', '/res/v1/web/search?q=next')).status).toBe(200);
    await expectConsistent(h, 'search', CAP_USD);
  });

  it('SSE streams cut before the usage event: each charged at its maximum and audited', async () => {
    h = await Harness.start();
    const MAX = 0.01;
    await h.addIntegration({
      pricing: { usage: [{ pointer: '/usage/total_tokens', usdPerUnit: 0.000001 }], maxPerRequestUsd: MAX },
      monthlyCapUsd: CAP_USD,
    });
    h.upstream.setHandler(sse(['{"delta":"Hel"}', '{"delta":"lo"}'], { delayMs: 50, cutBeforeEnd: true }));
    const replies = await Promise.all(Array.from({ length: IN_FLIGHT }, (_, i) => settled(h.call('search', `/res/v1/web/search?q=cut-${i}`))));
    // The headers went out before the cut: the assistant sees the stream end abruptly.
    for (const r of replies) expect(r).toBe('cut');
    expect(h.upstream.requests).toHaveLength(IN_FLIGHT);
    const records = await expectConsistent(h, 'search', CAP_USD);
    expect(records).toHaveLength(IN_FLIGHT);
    for (const r of records) expect(r).toMatchObject({ outcome: 'error', cost: MAX * 1e6, status: 200 });

    // The daemon is fine: a complete stream is metered from its usage event.
    h.upstream.setHandler(sse(['{"delta":"x"}', '{"usage":{"total_tokens":1000}}', '[DONE]']));
    const ok = await h.call('search', '/res/v1/web/search?q=whole');
    expect(ok.status).toBe(200);
    expect((await h.control('GET', '/v1/health')).status).toBe(200);
    await expectConsistent(h, 'search', CAP_USD);
  });

  it('slowloris bodies past bodyMs with concurrency: upstream_timeout, charged at the maximum', async () => {
    h = await Harness.start({ timeouts: { connectMs: 2000, headersMs: 1000, bodyMs: 500 } });
    const MAX = 0.004;
    await h.addIntegration({
      pricing: { costPointer: '/cost', maxPerRequestUsd: MAX },
      monthlyCapUsd: CAP_USD,
    });
    // A JSON answer whose cost is read from the body, trickled slower than bodyMs between chunks.
    h.upstream.setHandler(slowBody(['{"results":[', '1,', '2,', '3', '],"cost":0.001}'], 800, { contentType: 'application/json' }));
    const replies = await Promise.all(Array.from({ length: IN_FLIGHT }, (_, i) => settled(h.call('search', `/res/v1/web/search?q=slow-${i}`))));
    for (const r of replies) {
      expect(r).not.toBe('cut');
      if (r !== 'cut') {
        expect(r.status).toBe(504);
        expect(code(r)).toBe('upstream_timeout');
      }
    }
    expect(h.upstream.requests).toHaveLength(IN_FLIGHT);
    const records = await expectConsistent(h, 'search', CAP_USD);
    expect(records).toHaveLength(IN_FLIGHT);
    for (const r of records) expect(r).toMatchObject({ outcome: 'error', code: 'upstream_timeout', cost: MAX * 1e6 });

    h.upstream.setHandler(json(200, { results: [], cost: 0.001 }));
    const ok = await h.call('search', '/res/v1/web/search?q=fast');
    expect(ok.status).toBe(200);
    expect(ok.headers['tollgate-cost-usd']).toBe('0.001000');
    expect((await auditRecords(h, 'search'))).toHaveLength(IN_FLIGHT + 1);
    await expectConsistent(h, 'search', CAP_USD);
  });
});
