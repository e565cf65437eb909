import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from '../../helpers/harness.ts';
import { json } from '../../helpers/upstream.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the spend cap under concurrency', () => {
  let h: Harness;

  beforeAll(async () => {
    // Each answer takes a while, so all 200 calls are in flight together.
    h = await Harness.start({
      handler: async (req, res, body) => {
        await sleep(50);
        await json(200, { ok: true })(req, res, body);
      },
    });
  });
  afterAll(() => h.close());

  it('admits exactly N of 200 simultaneous calls when the cap admits N', async () => {
    // 0.01 USD a call, cap 0.37 USD: exactly 37 calls fit.
    await h.addIntegration({ pricing: { perRequestUsd: 0.01, maxPerRequestUsd: 0.01 }, monthlyCapUsd: 0.37 });
    const results = await Promise.all(Array.from({ length: 200 }, () => h.call('search', '/res/v1/web/search?q=x')));
    const ok = results.filter((r) => r.status === 200).length;
    const refused = results.filter((r) => r.status === 402 && r.headers['tollgate-error'] === 'budget_exhausted').length;
    expect(ok).toBe(37);
    expect(refused).toBe(163);
    expect(h.upstream.requests.length).toBe(37);
    const spend = await h.control('GET', '/v1/spend');
    expect(spend.json.integrations[0]).toMatchObject({ spentUsd: 0.37, reservedUsd: 0, remainingUsd: 0 });
  });

  it('holds the global cap across integrations', async () => {
    await h.control('PATCH', '/v1/settings', { globalCapUsd: 0.5 });
    await h.addIntegration({ name: 'second', pricing: { perRequestUsd: 0.01, maxPerRequestUsd: 0.01 }, monthlyCapUsd: 5 });
    const before = h.upstream.requests.length;
    const results = await Promise.all(Array.from({ length: 100 }, () => h.call('second', '/res/v1/web/search')));
    // 0.37 already spent by "search": 13 more calls of 0.01 fit under 0.50.
    expect(results.filter((r) => r.status === 200).length).toBe(13);
    expect(h.upstream.requests.length - before).toBe(13);
    const refusal = results.find((r) => r.status === 402)!;
    expect(refusal.json.error.message).toMatch(/global cap/);
    const alerts = (await h.control('GET', '/v1/alerts')).json.alerts as { dedupeKey: string; tier: string }[];
    expect(alerts.filter((a) => a.dedupeKey.startsWith('spend:*:')).map((a) => [a.dedupeKey, a.tier])).toEqual(
      expect.arrayContaining([['spend:*:100:2026-11-01', 'critical'], ['spend:*:80:2026-11-01', 'warning']]));
  });
});
