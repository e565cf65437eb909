import { describe, expect, it } from 'vitest';
import { compileIntegration } from '../../../daemon/integrations/integration.ts';
import { integrationSchema, type PricingSpec } from '../../../daemon/integrations/schema.ts';
import { Meter } from '../../../daemon/pipeline/meter.ts';

function pricing(p: PricingSpec) {
  const spec = integrationSchema.parse({
    name: 'x', purpose: 'p', account: 'a', baseUrl: 'https://example.org', auth: { type: 'bearer' },
    routes: [{ method: 'GET', path: '/' }], pricing: p, monthlyCapUsd: 1,
  });
  return compileIntegration(spec, {
    id: 1, status: 'active', statusReason: null, keyFingerprint: null, keyLength: null, keySetAt: null,
    approvedBy: 'op', approvedAt: 0, updatedAt: 0, decommissionedAt: null,
  }).pricing;
}

const feed = (m: Meter, ...chunks: string[]) => chunks.forEach((c) => m.push(Buffer.from(c)));

describe('metering', () => {
  it('charges a fixed price without reading the answer', () => {
    const m = new Meter(pricing({ perRequestUsd: 0.005, maxPerRequestUsd: 0.005 }), 'application/json');
    feed(m, 'not even json');
    expect(m.finish(true)).toEqual({ cost: 5000, readable: true, overMax: false });
  });

  it('adds a reported cost and usage counters to the fixed price, in micro-dollars', () => {
    const m = new Meter(pricing({
      perRequestUsd: 0.001, costPointer: '/cost/total', usage: [{ pointer: '/usage/in', usdPerUnit: 0.000002 }, { pointer: '/usage/out', usdPerUnit: 0.00001 }],
      maxPerRequestUsd: 1,
    }), 'application/json; charset=utf-8');
    feed(m, '{"cost":{"total":0.0125},', '"usage":{"in":1000,"out":300}}');
    expect(m.finish(true).cost).toBe(1000 + 12500 + 2000 + 3000);
  });

  it('counts a missing counter as 0 when another is reported, the maximum when none is', () => {
    const p = pricing({ usage: [{ pointer: '/a', usdPerUnit: 0.001 }, { pointer: '/b/c', usdPerUnit: 0.001 }], maxPerRequestUsd: 0.5 });
    const one = new Meter(p, 'application/json');
    feed(one, '{"b":{"c":3}}');
    expect(one.finish(true)).toEqual({ cost: 3000, readable: true, overMax: false });
    const none = new Meter(p, 'application/json');
    feed(none, '{"other":1}');
    expect(none.finish(true)).toEqual({ cost: 500_000, readable: false, overMax: false });
  });

  it('reads SSE events split across chunks; the last usage event wins', () => {
    const m = new Meter(pricing({ usage: [{ pointer: '/usage/total_tokens', usdPerUnit: 0.000001 }], maxPerRequestUsd: 0.1 }), 'text/event-stream');
    feed(m, 'data: {"usage":{"total_tok', 'ens":5}}\n\n', 'data: [DONE]\r\n', 'data: {"usage":{"total_tokens":700}}\n\n');
    expect(m.finish(true).cost).toBe(700);
  });

  it('charges the maximum for a stream cut before its usage event, and for a cut JSON answer', () => {
    const p = pricing({ costPointer: '/cost', maxPerRequestUsd: 0.2 });
    const s = new Meter(p, 'text/event-stream');
    feed(s, 'data: {"delta":"x"}\n\n');
    expect(s.finish(false).cost).toBe(200_000);
    const j = new Meter(p, 'application/json');
    feed(j, '{"cost":0.01');
    expect(j.finish(false).cost).toBe(200_000);
  });

  it('charges a stream cut after a usage event the maximum: its counters may still have grown', () => {
    const m = new Meter(pricing({ usage: [{ pointer: '/usage/total_tokens', usdPerUnit: 0.000001 }], maxPerRequestUsd: 0.1 }), 'text/event-stream');
    feed(m, 'data: {"usage":{"total_tokens":700}}\n\n');
    expect(m.finish(false)).toEqual({ cost: 100_000, readable: false, overMax: false });
    // More than the maximum already read: that is what it cost, at least.
    const over = new Meter(pricing({ usage: [{ pointer: '/usage/total_tokens', usdPerUnit: 0.000001 }], maxPerRequestUsd: 0.1 }), 'text/event-stream');
    feed(over, 'data: {"usage":{"total_tokens":250000}}\n\n');
    expect(over.finish(false)).toEqual({ cost: 250_000, readable: false, overMax: true });
  });

  it('flags a reported cost above the declared maximum, and still records it', () => {
    const m = new Meter(pricing({ costPointer: '/cost', maxPerRequestUsd: 0.01 }), 'application/json');
    feed(m, '{"cost":0.05}');
    expect(m.finish(true)).toEqual({ cost: 50_000, readable: true, overMax: true });
  });
});
