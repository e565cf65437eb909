import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness, TestClock } from '../../helpers/harness.ts';
import { json } from '../../helpers/upstream.ts';

describe('spend periods and the audit chain', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await Harness.start({ clock: new TestClock(Date.parse('2026-11-30T22:00:00Z')), handler: json(200, {}) });
    await h.control('PATCH', '/v1/settings', { timeZone: 'UTC' });
    await h.addIntegration({ pricing: { perRequestUsd: 1, maxPerRequestUsd: 1 }, monthlyCapUsd: 2 });
  });
  afterAll(() => h.close());

  it('resets the cap when the clock enters a new period, with no job to run', async () => {
    expect((await h.call('search', '/res/v1/web/search')).status).toBe(200);
    expect((await h.call('search', '/res/v1/web/search')).status).toBe(200);
    const third = await h.call('search', '/res/v1/web/search');
    expect(third.status).toBe(402);
    expect(third.json.error.message).toContain('2026-12-01T00:00:00.000Z');
    h.clock.at = Date.parse('2026-12-01T00:00:01Z');
    const next = await h.call('search', '/res/v1/web/search');
    expect(next.status).toBe(200);
    expect(next.headers['tollgate-remaining-usd']).toBe('1.000000');
    const spend = await h.control('GET', '/v1/spend');
    expect(spend.json.period.id).toBe('2026-12-01');
    expect(spend.json.periods).toEqual(expect.arrayContaining([
      { period: '2026-11-01', integration: 'search', spentUsd: 2, calls: 2 },
      { period: '2026-12-01', integration: 'search', spentUsd: 1, calls: 1 },
    ]));
  });

  it('honours a reset day and the operator\'s time zone', async () => {
    await h.control('PATCH', '/v1/settings', { timeZone: 'Asia/Tokyo', resetDay: 15 });
    // 2026-12-14T15:30Z is already the 15th in Tokyo: a new period.
    h.clock.at = Date.parse('2026-12-14T15:30:00Z');
    const r = await h.agent('GET', '/v1/integrations');
    expect(r.json.integrations[0]).toMatchObject({ period: '2026-12-15', spentUsd: 0, resetsAt: '2027-01-14T15:00:00.000Z' });
  });

  it('verifies the chain, and names the first record that was edited', async () => {
    const ok = await h.control('GET', '/v1/audit/verify');
    expect(ok.json).toEqual({ ok: true, records: 4 });
    // A second connection edits row 2 behind the daemon's back.
    const db = new Database(h.paths.database);
    db.prepare('UPDATE audit SET cost = 0 WHERE id = 2').run();
    db.close();
    const bad = await h.control('GET', '/v1/audit/verify');
    expect(bad.json).toEqual({ ok: false, records: 1, firstBad: 2 });
  });
});
