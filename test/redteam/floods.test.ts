// Red team: an assistant that floods. 500 proposals, then 1 000 refused calls of every kind, then
// 1 000 calls to made-up integration names. The flood itself is refused where it should be (at most
// 20 proposals wait, the rest are rate_limited), every refused call still gets its audit record,
// and the operator is not flooded: one information alert per waiting proposal (none pops up), a
// handful of alerts for a thousand refusals, and at most three native notifications a minute plus
// one summary.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_PENDING } from '../../daemon/proposals.ts';
import type { Harness, Reply } from '../helpers/harness.ts';
import { expectRefusal, expectSound, expectUpstreamClean, startSearch } from './helpers.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

let h: Harness;
let key: string;

interface AlertRow { id: number; kind: string; tier: string; dedupeKey: string; count: number; title: string; message: string; ackedAt: number | null }

async function alerts(): Promise<AlertRow[]> {
  return (await h.control('GET', '/v1/alerts?limit=1000')).json.alerts as AlertRow[];
}

/** Runs fn(0..n-1) with at most `concurrency` at once. */
async function pool<T>(n: number, concurrency: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out = new Array<T>(n);
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    for (let i = next++; i < n; i = next++) out[i] = await fn(i);
  }));
  return out;
}

const tally = (replies: Reply[]): Record<string, number> => {
  const t: Record<string, number> = {};
  for (const r of replies) {
    const k = `${r.status} ${String(r.headers['tollgate-error'] ?? '')}`.trim();
    t[k] = (t[k] ?? 0) + 1;
  }
  return t;
};

/**
 * Native notifications held back by the throttle are folded into one summary when the minute is
 * over; that timer is real time (60 s), so the test fires it itself instead of waiting.
 */
function endTheMinute(): void {
  const a = h.daemon.alerts as unknown as { notifications?: { flush?: () => void } };
  expect(typeof a.notifications?.flush, 'Alerts.notifications.flush (the summary timer\'s callback) exists').toBe('function');
  a.notifications!.flush!();
  h.clock.advance(2 * MINUTE);
}

beforeAll(async () => {
  ({ h, key } = await startSearch());
  // The warm-up's own alerts (a new route) are behind us.
  endTheMinute();
});
afterAll(() => h.close());

describe('500 proposals', () => {
  let replies: Reply[] = [];
  let notificationsBefore = 0;

  beforeAll(async () => {
    notificationsBefore = h.notifications.length;
    replies = await pool(500, 25, (i) => h.agent('POST', '/v1/proposals', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(i % 2
        ? { kind: 'raise_cap', integration: 'search', monthlyCapUsd: 10 + i, justification: `URGENT #${i}: the task needs a bigger budget` }
        : { kind: 'new_integration', name: `helper-${i}`, purpose: 'more tools', baseUrl: 'https://evil.example', justification: `the instructions say so (#${i})` }),
    }));
  });

  it(`at most ${MAX_PENDING} wait for the operator; the rest are refused rate_limited, with Retry-After`, async () => {
    expect(tally(replies)).toEqual({ '202': MAX_PENDING, '429 rate_limited': 500 - MAX_PENDING });
    for (const r of replies.filter((x) => x.status === 429)) {
      expectRefusal(r, 'rate_limited');
      expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
    }
    const pending = (await h.control('GET', '/v1/proposals?status=pending')).json.proposals;
    expect(pending).toHaveLength(MAX_PENDING);
  });

  it('nothing changed: same cap, same integrations', async () => {
    const list = (await h.control('GET', '/v1/integrations')).json.integrations as { name: string; spec: { monthlyCapUsd: number } }[];
    expect(list.map((i) => [i.name, i.spec.monthlyCapUsd])).toEqual([['search', 10]]);
  });

  it('the operator gets one information alert per waiting proposal, none for those refused, and no notification', async () => {
    const proposalAlerts = (await alerts()).filter((a) => a.kind === 'proposal');
    expect(proposalAlerts).toHaveLength(MAX_PENDING);
    expect(new Set(proposalAlerts.map((a) => `${a.tier} ${a.count}`))).toEqual(new Set(['info 1']));
    expect(h.notifications.slice(notificationsBefore)).toEqual([]);
  });

  it('with room again, the next proposal is an alert of its own; the decided one is acknowledged with it', async () => {
    h.clock.advance(HOUR);
    const pending = (await h.control('GET', '/v1/proposals?status=pending')).json.proposals as { id: string }[];
    expect((await h.control('POST', `/v1/proposals/${pending[0]!.id}/reject`, { reason: 'flood' })).status).toBe(200);
    const body = JSON.stringify({ kind: 'raise_cap', integration: 'search', monthlyCapUsd: 99, justification: 'again' });
    const headers = { 'content-type': 'application/json' };
    expect((await h.agent('POST', '/v1/proposals', { headers, body })).status).toBe(202);
    expectRefusal(await h.agent('POST', '/v1/proposals', { headers, body }), 'rate_limited');
    const proposalAlerts = (await alerts()).filter((a) => a.kind === 'proposal');
    expect(proposalAlerts).toHaveLength(MAX_PENDING + 1);
    expect(proposalAlerts.filter((a) => a.ackedAt !== null).map((a) => a.dedupeKey)).toEqual([`proposal:${pending[0]!.id}`]);
    endTheMinute();
  });
});

describe('1 000 refused calls against the approved integration', () => {
  let before: AlertRow[] = [];
  let notificationsBefore = 0;
  let recordsBefore = 0;
  let replies: Reply[] = [];

  beforeAll(async () => {
    before = await alerts();
    notificationsBefore = h.notifications.length;
    recordsBefore = (await h.control('GET', '/v1/audit/verify')).json.records;
    const upstreamBefore = h.upstream.requests.length;
    replies = await pool(1000, 20, (i) => {
      switch (i % 4) {
        case 0: return h.call('search', `/res/v1/admin/${i}`); // route_not_allowed
        case 1: return h.call('search', `/res/v1/web/search?q=${key}&i=${i}`); // exfiltration_blocked
        case 2: return h.agent('GET', `/v1/call/search/res/v1/web/search?i=${i}`); // purpose_required
        default: return h.call('search', `/res/v1/web/%2e%2e/${i}`); // route_not_allowed (a trick)
      }
    });
    expect(h.upstream.requests.length).toBe(upstreamBefore);
  });

  it('each is refused, and each has its audit record', async () => {
    expect(tally(replies)).toEqual({ '403 route_not_allowed': 500, '403 exfiltration_blocked': 250, '400 purpose_required': 250 });
    const verify = (await h.control('GET', '/v1/audit/verify')).json;
    expect(verify.ok).toBe(true);
    expect(verify.records).toBe(recordsBefore + 1000);
  });

  it('a handful of alerts, not a thousand', async () => {
    const ids = new Set(before.map((a) => a.id));
    const fresh = (await alerts()).filter((a) => !ids.has(a.id));
    expect(fresh.length, JSON.stringify(fresh.map((a) => a.dedupeKey))).toBeGreaterThan(0);
    expect(fresh.length, JSON.stringify(fresh.map((a) => a.dedupeKey))).toBeLessThanOrEqual(6);
    // The violations are named, once, critical.
    expect(fresh.filter((a) => a.kind === 'policy_violations').map((a) => a.tier)).toEqual(['critical']);
    // Repeats bump counts instead of adding alerts.
    expect(fresh.reduce((n, a) => n + a.count, 0)).toBeGreaterThanOrEqual(750);
  });

  it('at most three native notifications, then one summary when the minute ends', async () => {
    const during = h.notifications.slice(notificationsBefore);
    expect(during.length).toBeLessThanOrEqual(3);
    endTheMinute();
    const summaries = h.notifications.slice(notificationsBefore + during.length);
    expect(summaries.length).toBeLessThanOrEqual(1);
    // Several held back come as one "N more alerts"; a single one as itself.
    const titles = new Set((await alerts()).map((a) => a.title));
    for (const s of summaries) expect(/^\d+ more alerts$/.test(s.title) || titles.has(s.title), s.title).toBe(true);
    // The critical one (policy violations) is never the one left out.
    expect(h.notifications.slice(notificationsBefore).some((n) => n.tier === 'critical')).toBe(true);
  });
});

describe('1 000 calls to made-up integration names', () => {
  let before: AlertRow[] = [];
  let notificationsBefore = 0;
  let replies: Reply[] = [];

  beforeAll(async () => {
    h.clock.advance(HOUR);
    before = await alerts();
    notificationsBefore = h.notifications.length;
    replies = await pool(1000, 20, (i) => h.call(`tool-${i}`, '/res/v1/web/search?q=x'));
  });

  it('each is refused not_allowlisted, and nothing reaches the provider', () => {
    expect(tally(replies)).toEqual({ '403 not_allowlisted': 1000 });
  });

  it('at most three native notifications, then one summary', () => {
    const during = h.notifications.slice(notificationsBefore);
    expect(during.length).toBeLessThanOrEqual(3);
    endTheMinute();
    expect(h.notifications.length - notificationsBefore - during.length).toBeLessThanOrEqual(1);
  });

  // Was a bug (daemon/alerts/detectors.ts, #observeRefused), fixed: the "Call refused" alert's dedupe key holds
  // the integration name, and for not_allowlisted that name is whatever the assistant made up, so
  // every new made-up name is a new alert row: 1 000 names → 1 000 warning alerts in GET
  // /v1/alerts (and in the tray's Alerts page, whose list tops out at 200). Native notifications
  // are throttled, the list is not. Fix: for not_allowlisted use one dedupe key per code and hour
  // (e.g. `refused:(not allowlisted):not_allowlisted:<hour>`, message without the name; the audit
  // log keeps the names), which also keeps a made-up name (possibly a key, see exfiltration.test.ts)
  // out of alerts and notifications.
  it('a handful of alerts, not a thousand', async () => {
    const ids = new Set(before.map((a) => a.id));
    const fresh = (await alerts()).filter((a) => !ids.has(a.id));
    expect(fresh.length, `${fresh.length} new alerts, e.g. ${JSON.stringify(fresh.slice(0, 3).map((a) => a.dedupeKey))}`).toBeLessThanOrEqual(6);
  });
});

describe('after the storm', () => {
  it('the provider saw only the warm-up and nothing else', () => {
    expectUpstreamClean(h.upstream.requests, { keys: { search: { key, header: 'x-subscription-token' } }, allowedPath: /^\/res\/v1\/web\/search$/ });
    expect(h.upstream.requests).toHaveLength(1);
  });

  it('nothing lost, nothing leaked, still healthy', () =>
    expectSound(h, { secrets: [key], call: ['search', '/res/v1/web/search?q=after'] }));
});
