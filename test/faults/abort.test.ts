// A call that may have reached the provider is never billed below what it cost (SPEC rule 4),
// wherever it ends: the client hangs up before the head, mid-body or mid-stream; the upstream
// times out waiting for the head or between chunks, cuts or resets; Tollgate stops gracefully;
// Tollgate's own failure path throws. A property test draws abort points and timings against a
// real HTTPS upstream that says what it billed for each request it received.
import fc from 'fast-check';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { Agent, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { Harness } from '../helpers/harness.ts';
import { destroy, json, late } from '../helpers/upstream.ts';
import { auditRecords, spendOf } from './invariants.ts';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const micros = (usd: number) => Math.round(usd * 1e6);
const MONTH_MS = 32 * 24 * 3600 * 1000;

// Short upstream timeouts, so that the drawn delays cross them.
const TIMEOUTS = { connectMs: 2_000, headersMs: 300, bodyMs: 300 };
// "metered" reads the cost the provider reports (held JSON, or SSE passed through); "fixed" has a
// fixed price and streams its answer as it comes.
const METERED = { name: 'metered', max: 0.01, cap: 0.03 };
const FIXED = { name: 'fixed', price: 0.004, cap: 0.012 };

type Abort = { at: 'never' } | { at: 'time'; ms: number } | { at: 'head' } | { at: 'bytes'; n: number };
interface Call {
  integration: 'metered' | 'fixed';
  sse: boolean;
  /** What the provider bills, in micro-dollars (at most the integration's maximum). */
  billed: number;
  headDelayMs: number;
  chunks: number;
  chunkDelayMs: number;
  end: 'clean' | 'cut' | 'reset';
  abort: Abort;
}

const callArb: fc.Arbitrary<Call> = fc.record({
  integration: fc.constantFrom('metered', 'fixed'),
  sse: fc.boolean(),
  billed: fc.integer({ min: 0, max: micros(METERED.max) }),
  headDelayMs: fc.oneof(fc.integer({ min: 0, max: 250 }), fc.integer({ min: 350, max: 450 })),
  chunks: fc.integer({ min: 1, max: 4 }),
  chunkDelayMs: fc.oneof(fc.integer({ min: 0, max: 120 }), fc.constant(450)),
  end: fc.constantFrom('clean', 'clean', 'cut', 'reset'),
  abort: fc.oneof(
    fc.constant({ at: 'never' as const }),
    fc.record({ at: fc.constant('time' as const), ms: fc.integer({ min: 0, max: 700 }) }),
    fc.constant({ at: 'head' as const }),
    fc.record({ at: fc.constant('bytes' as const), n: fc.integer({ min: 1, max: 200 }) }),
  ),
});

/** The provider: for each request it receives, records what it bills, then answers as the call says. */
class Provider {
  readonly calls = new Map<string, Call>();
  readonly billed = new Map<string, number>();

  handler = async (req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> => {
    const id = (req.url ?? '').split('?')[0]!.split('/').at(-1)!;
    const call = this.calls.get(id);
    if (!call) return json(404, { error: 'unknown call' })(req, res, body);
    this.billed.set(id, call.integration === 'fixed' ? micros(FIXED.price) : call.billed);
    await sleep(call.headDelayMs);
    if (res.destroyed) return;
    res.writeHead(200, { 'content-type': call.sse ? 'text/event-stream' : 'application/json' });
    res.flushHeaders();
    const pad = 'x'.repeat(100);
    const pieces = call.sse
      ? [...Array.from({ length: call.chunks }, () => `data: {"delta":"${pad}"}\n\n`), `data: {"cost":${call.billed / 1e6}}\n\n`, 'data: [DONE]\n\n']
      : [...Array.from({ length: call.chunks }, (_, i) => (i === 0 ? `{"pad":"${pad}` : pad)), `","cost":${call.billed / 1e6}}`];
    const last = pieces.length - 1;
    for (const [i, piece] of pieces.entries()) {
      if (i > 0) await sleep(call.chunkDelayMs);
      if (res.destroyed) return;
      // A cut or reset answer stops before its last piece (where the cost is).
      if (i === last && call.end !== 'clean') {
        if (call.end === 'cut') res.socket?.end();
        else await destroy()(req, res, body);
        return;
      }
      res.write(piece);
    }
    res.end();
  };
}

/** One assistant call that hangs up as `abort` says; never throws. */
async function assistantCall(agent: Agent, path: string, abort: Abort): Promise<void> {
  const ac = new AbortController();
  const timer = abort.at === 'time' ? setTimeout(() => ac.abort(), abort.ms) : undefined;
  try {
    const res = await request(`http://tollgate${path}`, { dispatcher: agent, headers: { 'tollgate-purpose': 'abort property' }, signal: ac.signal });
    if (abort.at === 'head') {
      ac.abort();
      await res.body.dump().catch(() => undefined);
      return;
    }
    let seen = 0;
    for await (const chunk of res.body) {
      seen += (chunk as Buffer).length;
      if (abort.at === 'bytes' && seen >= abort.n) {
        ac.abort();
        break;
      }
    }
  } catch {
    // Refused, cut or aborted: what matters is what the ledger says.
  } finally {
    clearTimeout(timer);
  }
}

/** Waits until no reservation of these integrations is open (every call has settled). */
async function settledLedger(h: Harness, names: string[]): Promise<void> {
  for (let i = 0; i < 250; i++) {
    const spends = await Promise.all(names.map((name) => spendOf(h, name)));
    if (spends.every((s) => s.reservedUsd === 0)) return;
    await sleep(20);
  }
  throw new Error('reservations still open 5 s after the last call');
}

async function addIntegrations(h: Harness): Promise<void> {
  const rateLimit = { perMinute: 100_000, concurrent: 1000 };
  await h.addIntegration({ name: METERED.name, routes: [{ method: 'GET', path: '/v1/metered/*' }], pricing: { costPointer: '/cost', maxPerRequestUsd: METERED.max }, monthlyCapUsd: METERED.cap, rateLimit });
  await h.addIntegration({ name: FIXED.name, routes: [{ method: 'GET', path: '/v1/fixed/*' }], pricing: { perRequestUsd: FIXED.price, maxPerRequestUsd: FIXED.price }, monthlyCapUsd: FIXED.cap, rateLimit });
}

describe('a call that may have reached the provider is billed at least what it cost', () => {
  let h: Harness;
  let agent: Agent | null = null;
  afterEach(async () => {
    await agent?.close();
    agent = null;
    await h?.close();
  });

  it('property: any abort point and timing, any upstream stage failing; each call billed ≥ what the provider billed, caps never crossed', async () => {
    const provider = new Provider();
    h = await Harness.start({ handler: provider.handler, timeouts: TIMEOUTS });
    await addIntegrations(h);
    agent = new Agent({ connect: { socketPath: h.paths.agentSocket } });
    let next = 0;
    await fc.assert(fc.asyncProperty(fc.array(callArb, { minLength: 1, maxLength: 5 }), async (calls) => {
      // Each run in a period of its own: fresh caps, and the spend to check is just this run's.
      h.clock.advance(MONTH_MS);
      const ids = calls.map((call) => {
        const id = `c${next++}`;
        provider.calls.set(id, call);
        return id;
      });
      await Promise.all(calls.map((call, i) => assistantCall(agent!, `/v1/call/${call.integration}/v1/${call.integration}/${ids[i]}`, call.abort)));
      await settledLedger(h, [METERED.name, FIXED.name]);
      const records = new Map((await Promise.all([auditRecords(h, METERED.name), auditRecords(h, FIXED.name)])).flat()
        .map((r) => [(r as unknown as { path: string }).path.split('/').at(-1)!, r]));
      for (const id of ids) {
        const billed = provider.billed.get(id);
        if (billed === undefined) continue; // never reached the provider
        const record = records.get(id);
        expect(record, `call ${id} reached the provider but has no audit record`).toBeDefined();
        expect(record!.cost, `call ${id}: ${JSON.stringify(provider.calls.get(id))} → ${JSON.stringify(record)}`).toBeGreaterThanOrEqual(billed);
      }
      for (const { name, cap } of [METERED, FIXED]) {
        const spend = await spendOf(h, name);
        expect(spend.spentUsd).toBeLessThanOrEqual(cap);
        const audited = ids.reduce((sum, id) => sum + ((records.get(id)?.integration === name ? records.get(id)?.cost : 0) ?? 0), 0);
        expect(micros(spend.spentUsd)).toBe(audited);
      }
    }), { numRuns: 25 });
  }, 240_000);

  it('the reproduction: clients that hang up before a slow answer are billed; the cap then holds', async () => {
    h = await Harness.start({ handler: late(3_000, json(200, { results: [] })) });
    await h.addIntegration({ pricing: { perRequestUsd: 0.01, maxPerRequestUsd: 0.01 }, monthlyCapUsd: 0.02 });
    agent = new Agent({ connect: { socketPath: h.paths.agentSocket } });
    await Promise.all(Array.from({ length: 5 }, (_, i) => assistantCall(agent!, `/v1/call/search/res/v1/web/search?q=${i}`, { at: 'time', ms: 700 })));
    // Two reservations fit the cap; the other three are refused before anything is sent.
    expect(h.upstream.requests.length).toBe(2);
    await settledLedger(h, ['search']);
    const spend = await spendOf(h, 'search');
    expect(spend.spentUsd).toBe(0.02);
    const records = await auditRecords(h, 'search');
    expect(records.filter((r) => r.cost === 10_000)).toHaveLength(2);
    expect(records.filter((r) => r.code === 'budget_exhausted')).toHaveLength(3);
  });

  it('an exception in Tollgate\'s own failure path (a DOMException with a numeric code, an error whose code throws) bills the reservation', async () => {
    let fault: () => unknown = () => new DOMException('The operation was aborted.', 'AbortError');
    // The request really goes out and is answered; then the way back fails as the fault says.
    const wrap = (real: Dispatcher): Dispatcher => ({
      request: async (opts: Dispatcher.RequestOptions) => {
        const res = await real.request(opts);
        await res.body.dump();
        throw fault();
      },
    }) as unknown as Dispatcher;
    h = await Harness.start({ handler: json(200, { results: [] }), wrapDispatcher: wrap });
    await h.addIntegration({ pricing: { perRequestUsd: 0.001, maxPerRequestUsd: 0.003 }, monthlyCapUsd: 1 });
    const first = await h.call('search', '/res/v1/web/search?q=one');
    expect(first.status).toBe(502);
    fault = () => ({ get code(): string { throw new Error('a bug in the classifier'); } });
    const second = await h.call('search', '/res/v1/web/search?q=two');
    expect(second.status).toBe(502);
    expect(h.upstream.requests.length).toBe(2);
    const records = await auditRecords(h, 'search');
    expect(records.map((r) => r.cost)).toEqual([3_000, 3_000]);
    expect((await spendOf(h, 'search')).spentUsd).toBe(0.006);
  });

  it('a graceful stop with calls in flight: each is settled at its reservation, none at 0', async () => {
    h = await Harness.start({ handler: late(5_000, json(200, { results: [] })) });
    await h.addIntegration({ pricing: { perRequestUsd: 0.001, maxPerRequestUsd: 0.002 }, monthlyCapUsd: 1 });
    const calls = Array.from({ length: 3 }, (_, i) => h.call('search', `/res/v1/web/search?q=${i}`).catch(() => 'cut'));
    for (let i = 0; i < 100 && h.upstream.requests.length < 3; i++) await sleep(20);
    expect(h.upstream.requests.length).toBe(3);
    // The grace runs out before the provider answers: the connections are cut, the calls settle.
    await h.running.stop(100);
    await Promise.all(calls);
    await h.startDaemon();
    const records = await auditRecords(h, 'search');
    expect(records.map((r) => r.cost)).toEqual([2_000, 2_000, 2_000]);
    expect((await spendOf(h, 'search')).spentUsd).toBe(0.006);
  });
});

