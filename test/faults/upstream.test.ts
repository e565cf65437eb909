// Upstream faults with many calls in flight: a 5xx storm (the circuit opens, nothing is retried),
// SSE streams cut before their usage event (charged at the maximum), slowloris bodies (timeout,
// charged at the maximum), connections reset before any answer or mid-body, upstreams that never
// answer (timeout), answers over the response cap (declared or grown), and truncated bodies. A
// call that may have reached the provider costs its maximum; an answer cut after it began is billed
// as the meter reads it. After each: the ledger and the audit agree and the daemon serves again.
import { afterEach, describe, expect, it } from 'vitest';
import { Harness, type Reply } from '../helpers/harness.ts';
import { cutBody, destroy, hang, json, late, slowBody, sse } from '../helpers/upstream.ts';
import { FAILURES_TO_OPEN } from '../../daemon/pipeline/circuit.ts';
import { type AuditRecord, alertsOf, auditRecords, code, expectConsistent, settled } from './invariants.ts';

const IN_FLIGHT = 20;
const CAP_USD = 10;

/** IN_FLIGHT calls at once to one integration; each reply, or 'cut'. */
const burst = (h: Harness, name: string, path: string, tag: string, n = IN_FLIGHT): Promise<Array<Reply | 'cut'>> =>
  Promise.all(Array.from({ length: n }, (_, i) => settled(h.call(name, `${path}?q=${tag}-${i}`))));

/** Every reply is Tollgate's refusal with `code` and its SPEC status. */
function expectRefused(replies: Array<Reply | 'cut'>, status: number, expected: string): void {
  for (const r of replies) {
    expect(r).not.toBe('cut');
    if (r !== 'cut') expect({ status: r.status, code: code(r) }).toEqual({ status, code: expected });
  }
}

// Two integrations on one upstream: "search" passes its answer on as it streams in (fixed price);
// "metered" holds its JSON answer to read the cost from it, so a failure is still a clean refusal.
const STREAMED = { name: 'search', path: '/res/v1/web/search', perRequest: 0.001, max: 0.002 };
const HELD = { name: 'metered', path: '/v1/metered', max: 0.004 };
const micros = (usd: number) => Math.round(usd * 1e6);

async function addBoth(h: Harness): Promise<void> {
  await h.addIntegration({ pricing: { perRequestUsd: STREAMED.perRequest, maxPerRequestUsd: STREAMED.max }, monthlyCapUsd: CAP_USD });
  await h.addIntegration({
    name: HELD.name,
    routes: [{ method: 'GET', path: HELD.path }],
    pricing: { costPointer: '/cost', maxPerRequestUsd: HELD.max },
    monthlyCapUsd: CAP_USD,
  });
}

/** Half the burst to each integration, all in flight together. */
async function burstBoth(h: Harness, tag: string): Promise<{ streamed: Array<Reply | 'cut'>; held: Array<Reply | 'cut'> }> {
  const [streamed, held] = await Promise.all([
    burst(h, STREAMED.name, STREAMED.path, tag, IN_FLIGHT / 2),
    burst(h, HELD.name, HELD.path, tag, IN_FLIGHT / 2),
  ]);
  return { streamed, held };
}

/** The invariants for both integrations; returns their audit records. */
async function expectBothConsistent(h: Harness): Promise<{ streamed: AuditRecord[]; held: AuditRecord[] }> {
  return {
    streamed: await expectConsistent(h, STREAMED.name, CAP_USD, STREAMED.path),
    held: await expectConsistent(h, HELD.name, CAP_USD, HELD.path),
  };
}

/** A normal answer: both integrations serve again, each charged what it should be. */
async function expectBothServe(h: Harness): Promise<void> {
  h.upstream.setHandler(json(200, { results: [], cost: 0.001 }));
  const [streamed, held] = await Promise.all([h.call(STREAMED.name, `${STREAMED.path}?q=after`), h.call(HELD.name, `${HELD.path}?q=after`)]);
  expect(streamed.status).toBe(200);
  expect(streamed.headers['tollgate-cost-usd']).toBe('0.001000');
  expect(held.status).toBe(200);
  expect(held.headers['tollgate-cost-usd']).toBe('0.001000');
  await expectBothConsistent(h);
}

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

  // No answer at all: the call may have reached the provider (billed at its maximum), and a
  // provider that does not answer is failing (the circuit opens).
  const NO_ANSWER = [
    { label: 'connections reset before any answer', handler: late(200, destroy()), timeouts: undefined, status: 502, code: 'upstream_error', tag: 'reset' },
    // Given up on after headersMs, not the default 30 s.
    { label: 'an upstream that never answers (headersMs)', handler: hang(), timeouts: { connectMs: 2000, headersMs: 500, bodyMs: 500 }, status: 504, code: 'upstream_timeout', tag: 'hang' },
  ] as const;
  for (const c of NO_ANSWER) {
    it(`${c.label}: ${c.code}, charged at the maximum, no retries; serves again after the cool-down`, async () => {
      h = await Harness.start({ handler: c.handler, ...(c.timeouts ? { timeouts: c.timeouts } : {}) });
      await h.addIntegration({ pricing: { perRequestUsd: STREAMED.perRequest, maxPerRequestUsd: STREAMED.max }, monthlyCapUsd: CAP_USD });
      const started = Date.now();
      const replies = await burst(h, 'search', '/res/v1/web/search', c.tag);
      expectRefused(replies, c.status, c.code);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(h.upstream.requests).toHaveLength(IN_FLIGHT);
      const records = await expectConsistent(h, 'search', CAP_USD);
      expect(records).toHaveLength(IN_FLIGHT);
      for (const r of records) expect(r).toMatchObject({ outcome: 'error', code: c.code, cost: micros(STREAMED.max), status: null });
      expect((await alertsOf(h)).filter((a) => a.kind === 'circuit_open' && a.integration === 'search')).toHaveLength(1);

      h.upstream.setHandler(json(200, { results: [] }));
      h.clock.advance(31_000);
      expect((await h.call('search', '/res/v1/web/search?q=after')).status).toBe(200);
      await expectConsistent(h, 'search', CAP_USD);
    });
  }

  // Answers that began and then broke off: the headers went out before the break.
  const BROKEN = [
    // 10 000 bytes declared, 1 000 sent.
    { label: 'connections reset mid-body', handler: cutBody(10_000, 'a'.repeat(1000), { reset: true }), marker: 'aaaa', maxResponseBytes: null },
    { label: 'connections closed cleanly mid-body (a truncated body)', handler: cutBody(10_000, 'a'.repeat(1000), { reset: false }), marker: 'aaaa', maxResponseBytes: null },
    { label: 'answers that grow past maxResponseBytes (no declared length)', handler: slowBody(Array.from({ length: 10 }, () => 'y'.repeat(1024)), 5, { contentType: 'application/json' }), marker: 'yyyy', maxResponseBytes: 2048 },
  ] as const;
  for (const c of BROKEN) {
    it(`${c.label}: streamed answers cut, held ones upstream_error; billed as metered`, async () => {
      h = await Harness.start();
      await addBoth(h);
      if (c.maxResponseBytes) expect((await h.control('PATCH', '/v1/settings', { maxResponseBytes: c.maxResponseBytes })).status).toBe(200);
      h.upstream.setHandler(late(200, c.handler));
      const { streamed, held } = await burstBoth(h, 'cut');
      // What was passed on is never passed off as complete: the assistant's stream ends abruptly.
      for (const r of streamed) expect(r).toBe('cut');
      expectRefused(held, 502, 'upstream_error');
      for (const r of held) if (r !== 'cut') expect(r.text).not.toContain(c.marker);
      expect(h.upstream.requests).toHaveLength(IN_FLIGHT);
      const records = await expectBothConsistent(h);
      // The provider answered, so the call happened: a fixed price is owed; an unreadable cost is the maximum.
      for (const r of records.streamed) expect(r).toMatchObject({ outcome: 'error', code: 'upstream_error', status: 200, cost: micros(STREAMED.perRequest) });
      for (const r of records.held) expect(r).toMatchObject({ outcome: 'error', code: 'upstream_error', status: 200, cost: micros(HELD.max) });
      // An answer that began is no sign of a dead provider: the circuit stays closed.
      expect((await alertsOf(h)).filter((a) => a.kind === 'circuit_open')).toEqual([]);
      await expectBothServe(h);
    });
  }

  it('answers declared larger than maxResponseBytes: upstream_error before a byte is passed on, charged at the maximum', async () => {
    h = await Harness.start();
    await addBoth(h);
    expect((await h.control('PATCH', '/v1/settings', { maxResponseBytes: 2048 })).status).toBe(200);
    // json() declares its Content-Length.
    h.upstream.setHandler(late(200, json(200, { blob: 'x'.repeat(10 * 1024), cost: 0.001 })));
    const { streamed, held } = await burstBoth(h, 'big');
    for (const replies of [streamed, held]) {
      expectRefused(replies, 502, 'upstream_error');
      for (const r of replies) if (r !== 'cut') expect(r.json.error.message).toMatch(/larger than 2048 bytes/);
    }
    expect(h.upstream.requests).toHaveLength(IN_FLIGHT);
    const records = await expectBothConsistent(h);
    for (const r of records.streamed) expect(r).toMatchObject({ outcome: 'error', code: 'upstream_error', cost: micros(STREAMED.max) });
    for (const r of records.held) expect(r).toMatchObject({ outcome: 'error', code: 'upstream_error', cost: micros(HELD.max) });
    // Small answers still fit under the cap.
    await expectBothServe(h);
  });
});
