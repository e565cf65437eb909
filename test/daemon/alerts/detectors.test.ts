import { describe, expect, it } from 'vitest';
import {
  DEFAULT_DETECTOR_SETTINGS,
  Detectors,
  MAX_TRACKED_FINGERPRINTS,
  type AlertDraft,
  type CallObservation,
  type DetectorSettings,
} from '../../../daemon/alerts/detectors.ts';

const MIN = 60_000;
// Monday 2026-11-23 14:00:00 UTC: 09:00 in New York (EST), 23:00 in Tokyo.
const T0 = Date.UTC(2026, 10, 23, 14, 0, 0);

function knownRoutes(initial: string[] = []) {
  const set = new Set(initial);
  return { set, has: (k: string) => set.has(k), add: (k: string) => void set.add(k) };
}

function make(settings: Partial<DetectorSettings> = {}, routes = knownRoutes()) {
  return new Detectors({ ...DEFAULT_DETECTOR_SETTINGS, ...settings }, routes);
}

let seq = 0;
function call(at: number, over: Partial<CallObservation> = {}): CallObservation {
  seq += 1;
  return { at, integration: 'brave-search', route: null, fingerprint: `fp${seq.toString(16).padStart(8, '0')}`, outcome: 'ok', code: null, ...over };
}

function of(drafts: AlertDraft[], kind: string): AlertDraft[] {
  return drafts.filter((d) => d.kind === kind);
}

/** `n` calls spread over the minute that starts at `minuteStart`; returns the burst drafts. */
function minuteOf(d: Detectors, minuteStart: number, n: number, integration = 'brave-search'): AlertDraft[] {
  const out: AlertDraft[] = [];
  for (let i = 0; i < n; i++) out.push(...of(d.observe(call(minuteStart + Math.floor((i * MIN) / Math.max(n, 1)), { integration })), 'burst'));
  return out;
}

describe('burst', () => {
  it('a 2/min integration bursts at 30 calls in a minute, not at 29, and only once', () => {
    const d = make();
    for (let m = 0; m < 60; m++) expect(minuteOf(d, T0 + m * MIN, 2)).toEqual([]);
    const now = T0 + 60 * MIN;
    for (let i = 0; i < 29; i++) expect(of(d.observe(call(now + i)), 'burst')).toEqual([]);
    const fired = of(d.observe(call(now + 29)), 'burst');
    expect(fired).toHaveLength(1);
    expect(fired[0]).toMatchObject({ tier: 'warning', integration: 'brave-search', dedupeKey: 'burst:brave-search:2026-11-23T15' });
    expect(fired[0]?.message).toContain('30 calls');
    for (let i = 30; i < 100; i++) expect(of(d.observe(call(now + i)), 'burst')).toEqual([]);
  });

  it('a steady 40/min integration does not burst at 45, but does at 5x its baseline', () => {
    const d = make();
    // With no history the first busy minute is itself a burst (40 >= burstMinCalls).
    expect(minuteOf(d, T0, 40)).toHaveLength(1);
    for (let m = 1; m < 60; m++) expect(minuteOf(d, T0 + m * MIN, 40)).toEqual([]);
    const now = T0 + 60 * MIN;
    expect(minuteOf(d, now, 45)).toEqual([]);
    const later = T0 + 61 * MIN; // baseline now (59*40 + 45) / 60 = 40.083..., threshold 200.4
    for (let i = 0; i < 200; i++) expect(of(d.observe(call(later + i)), 'burst')).toEqual([]);
    expect(of(d.observe(call(later + 200)), 'burst')).toHaveLength(1);
  });

  it('counts only minutes after the first observed one in the baseline', () => {
    const d = make();
    minuteOf(d, T0, 20);
    minuteOf(d, T0 + MIN, 20);
    // Mean of 2 minutes is 20, so the threshold is 100 (not 5 x 40/60).
    const now = T0 + 2 * MIN;
    for (let i = 0; i < 99; i++) expect(of(d.observe(call(now + i)), 'burst')).toEqual([]);
    expect(of(d.observe(call(now + 99)), 'burst')).toHaveLength(1);
  });

  it('counts empty minutes as zero once history exists', () => {
    const d = make();
    minuteOf(d, T0, 20); // then 29 quiet minutes: mean over 30 minutes = 20/30
    const now = T0 + 30 * MIN;
    for (let i = 0; i < 29; i++) expect(of(d.observe(call(now + i)), 'burst')).toEqual([]);
    expect(of(d.observe(call(now + 29)), 'burst')).toHaveLength(1);
  });

  it('a new integration can burst from its first minute, at burstMinCalls', () => {
    const d = make({ burstMinCalls: 10 });
    expect(minuteOf(d, T0, 9)).toEqual([]);
    expect(of(d.observe(call(T0 + 59_000)), 'burst')).toHaveLength(1);
  });

  it('keeps integrations apart and changes the dedupe key with the hour', () => {
    const d = make();
    expect(minuteOf(d, T0, 30, 'exa')).toHaveLength(1);
    expect(minuteOf(d, T0, 29, 'tavily')).toEqual([]);
    const next = minuteOf(d, T0 + 2 * 60 * MIN, 30, 'exa');
    expect(next.map((a) => a.dedupeKey)).toEqual(['burst:exa:2026-11-23T16']);
  });

  it('drops integrations unseen for an hour', () => {
    const d = make();
    for (let i = 0; i < 50; i++) d.observe(call(T0, { integration: `int-${i}` }));
    expect(d.tracked().integrations).toBe(50);
    d.observe(call(T0 + 60 * MIN, { integration: 'int-0' }));
    expect(d.tracked().integrations).toBe(50); // minute 0 is still inside the 60-minute baseline
    d.observe(call(T0 + 61 * MIN, { integration: 'int-0' }));
    expect(d.tracked().integrations).toBe(1);
  });

  it('treats a late observation as part of the newest minute', () => {
    const d = make();
    minuteOf(d, T0 + 5 * MIN, 29);
    expect(of(d.observe(call(T0)), 'burst')).toHaveLength(1);
  });
});

describe('new_route', () => {
  it('is information, never a warning: fires once ever per integration and route, and records the route', () => {
    const routes = knownRoutes(['brave-search GET /res/v1/web/search']);
    const d = make({}, routes);
    expect(of(d.observe(call(T0, { route: 'GET /res/v1/web/search' })), 'new_route')).toEqual([]);
    const fired = of(d.observe(call(T0, { route: 'GET /res/v1/news/search' })), 'new_route');
    expect(fired).toEqual([
      expect.objectContaining({
        tier: 'info', integration: 'brave-search', dedupeKey: 'new_route:brave-search:GET /res/v1/news/search',
        title: 'First use of GET /res/v1/news/search on brave-search',
      }),
    ]);
    expect(routes.set.has('brave-search GET /res/v1/news/search')).toBe(true);
    expect(of(d.observe(call(T0 + 5 * 3_600_000, { route: 'GET /res/v1/news/search' })), 'new_route')).toEqual([]);
    expect(of(d.observe(call(T0, { integration: 'exa', route: 'GET /res/v1/news/search' })), 'new_route')).toHaveLength(1);
  });

  it('ignores calls without a matched route, and counts refused calls that matched one', () => {
    const d = make();
    expect(of(d.observe(call(T0, { outcome: 'refused', code: 'route_not_allowed' })), 'new_route')).toEqual([]);
    expect(of(d.observe(call(T0, { route: 'POST /v1/search', outcome: 'refused', code: 'exfiltration_blocked' })), 'new_route')).toHaveLength(1);
  });
});

describe('off_hours', () => {
  const workdays = { start: '09:00', end: '18:00', days: [1, 2, 3, 4, 5] };

  it('is off when activeHours is null', () => {
    const d = make();
    expect(of(d.observe(call(T0 - 10 * 3_600_000)), 'off_hours')).toEqual([]);
  });

  it('uses the configured time zone: the same instant is in hours in New York, not in Tokyo', () => {
    const ny = make({ activeHours: { ...workdays, timeZone: 'America/New_York' } });
    const tokyo = make({ activeHours: { ...workdays, timeZone: 'Asia/Tokyo' } });
    expect(of(ny.observe(call(T0)), 'off_hours')).toEqual([]); // 09:00 exactly: start is inclusive
    const fired = of(tokyo.observe(call(T0)), 'off_hours');
    expect(fired).toEqual([expect.objectContaining({ tier: 'warning', dedupeKey: 'off_hours:brave-search:2026-11-23' })]);
    expect(fired[0]?.message).toContain('23:00');
    expect(fired[0]?.message).toContain('Asia/Tokyo');
  });

  it('has an inclusive start and an exclusive end', () => {
    const d = make({ activeHours: { ...workdays, timeZone: 'America/New_York' } });
    expect(of(d.observe(call(T0 - MIN)), 'off_hours')).toHaveLength(1); // 08:59
    expect(of(d.observe(call(T0 + 9 * 60 * MIN - MIN)), 'off_hours')).toEqual([]); // 17:59
    expect(of(d.observe(call(T0 + 9 * 60 * MIN)), 'off_hours')).toHaveLength(1); // 18:00
  });

  it('keys on the local date, which can differ from the UTC one', () => {
    const at = Date.UTC(2026, 10, 23, 15, 30); // Tokyo: Tue 24th 00:30; New York: Mon 23rd 10:30
    const tokyo = make({ activeHours: { start: '09:00', end: '18:00', days: [0, 1, 2, 3, 4, 5, 6], timeZone: 'Asia/Tokyo' } });
    expect(of(tokyo.observe(call(at)), 'off_hours')[0]?.dedupeKey).toBe('off_hours:brave-search:2026-11-24');
    const ny = make({ activeHours: { start: '11:00', end: '18:00', days: [1], timeZone: 'America/New_York' } });
    expect(of(ny.observe(call(at)), 'off_hours')[0]?.dedupeKey).toBe('off_hours:brave-search:2026-11-23');
  });

  it('handles overnight hours, which belong to the day they start on', () => {
    // Friday 22:00 to Saturday 06:00, UTC. 2026-11-27 is a Friday.
    const d = make({ activeHours: { start: '22:00', end: '06:00', days: [5], timeZone: 'UTC' } });
    const at = (day: number, h: number, m = 0) => Date.UTC(2026, 10, day, h, m);
    const off = (ms: number) => of(d.observe(call(ms)), 'off_hours').length === 1;
    expect(off(at(27, 22))).toBe(false);
    expect(off(at(27, 23, 59))).toBe(false);
    expect(off(at(28, 3))).toBe(false);
    expect(off(at(28, 5, 59))).toBe(false);
    expect(off(at(28, 6))).toBe(true);
    expect(off(at(27, 21, 59))).toBe(true);
    expect(off(at(27, 3))).toBe(true); // Thursday night, Thursday not listed
    expect(off(at(28, 22))).toBe(true); // Saturday not listed
  });

  it('rejects an unknown time zone or a bad time, and keeps the previous settings', () => {
    const d = make({ activeHours: { ...workdays, timeZone: 'America/New_York' } });
    expect(() => d.updateSettings({ ...DEFAULT_DETECTOR_SETTINGS, activeHours: { ...workdays, timeZone: 'Mars/Olympus' } })).toThrow(RangeError);
    expect(() => d.updateSettings({ ...DEFAULT_DETECTOR_SETTINGS, activeHours: { ...workdays, start: '9:00', timeZone: 'UTC' } })).toThrow(RangeError);
    expect(() => d.updateSettings({ ...DEFAULT_DETECTOR_SETTINGS, loopRepeats: 1 })).toThrow(RangeError);
    expect(of(d.observe(call(T0 - MIN)), 'off_hours')).toHaveLength(1);
  });

  it('follows updated settings', () => {
    const d = make();
    d.updateSettings({ ...DEFAULT_DETECTOR_SETTINGS, activeHours: { ...workdays, timeZone: 'Asia/Tokyo' } });
    expect(of(d.observe(call(T0)), 'off_hours')).toHaveLength(1);
    d.updateSettings(DEFAULT_DETECTOR_SETTINGS);
    expect(of(d.observe(call(T0)), 'off_hours')).toEqual([]);
  });
});

describe('loop', () => {
  const same = (at: number, fingerprint = 'ab'.repeat(32), integration = 'brave-search') => call(at, { fingerprint, integration });

  it('fires at the fifth identical request within the window, once', () => {
    const d = make();
    for (let i = 0; i < 4; i++) expect(of(d.observe(same(T0 + i * MIN)), 'loop')).toEqual([]);
    const fired = of(d.observe(same(T0 + 4 * MIN)), 'loop');
    expect(fired).toEqual([expect.objectContaining({ tier: 'warning', integration: 'brave-search', dedupeKey: `loop:brave-search:${'ab'.repeat(32)}:2026-11-23T14` })]);
    expect(of(d.observe(same(T0 + 5 * MIN)), 'loop')).toEqual([]);
  });

  it('does not count a request exactly one window old', () => {
    const d = make();
    for (let i = 0; i < 4; i++) d.observe(same(T0 + i * MIN));
    expect(of(d.observe(same(T0 + 10 * MIN)), 'loop')).toEqual([]); // the first left the window
    const e = make();
    for (let i = 0; i < 4; i++) e.observe(same(T0 + i * MIN));
    expect(of(e.observe(same(T0 + 10 * MIN - 1)), 'loop')).toHaveLength(1);
  });

  it('keeps fingerprints and integrations apart', () => {
    const d = make();
    for (let i = 0; i < 4; i++) {
      d.observe(same(T0 + i, 'aa'));
      d.observe(same(T0 + i, 'bb'));
      d.observe(same(T0 + i, 'aa', 'exa'));
    }
    expect(of(d.observe(same(T0 + 10, 'aa')), 'loop')).toHaveLength(1);
    expect(of(d.observe(same(T0 + 10, 'cc')), 'loop')).toEqual([]);
  });

  it('fires again in a later hour with a new dedupe key', () => {
    const d = make();
    for (let i = 0; i < 5; i++) d.observe(same(T0 + i));
    const at = T0 + 60 * MIN;
    for (let i = 0; i < 4; i++) expect(of(d.observe(same(at + i)), 'loop')).toEqual([]);
    expect(of(d.observe(same(at + 4)), 'loop')[0]?.dedupeKey).toBe(`loop:brave-search:${'ab'.repeat(32)}:2026-11-23T15`);
  });

  it('stays bounded after 100 000 distinct fingerprints and still detects loops', () => {
    const d = make();
    for (let i = 0; i < 100_000; i++) d.observe(call(T0 + Math.floor(i / 1000), { fingerprint: `f${i}` }));
    expect(d.tracked().fingerprints).toBeLessThanOrEqual(MAX_TRACKED_FINGERPRINTS);
    const now = T0 + 200;
    for (let i = 0; i < 4; i++) d.observe(same(now + i));
    expect(of(d.observe(same(now + 4)), 'loop')).toHaveLength(1);
    // A window later nothing is worth keeping.
    d.observe(call(now + 10 * MIN + 5));
    expect(d.tracked().fingerprints).toBe(1);
  });
});

describe('refused', () => {
  it('warns on a refused call, per integration, code and hour', () => {
    const d = make();
    const fired = of(d.observe(call(T0 + 5 * MIN, { outcome: 'refused', code: 'body_too_large' })), 'refused');
    expect(fired).toEqual([expect.objectContaining({ tier: 'warning', integration: 'brave-search', dedupeKey: 'refused:brave-search:body_too_large:2026-11-23T14' })]);
    expect(of(d.observe(call(T0 + 65 * MIN, { outcome: 'refused', code: 'body_too_large' })), 'refused')[0]?.dedupeKey).toBe('refused:brave-search:body_too_large:2026-11-23T15');
  });

  it.each(['purpose_required', 'bad_request', 'rate_limited', 'budget_exhausted'])('stays quiet on %s', (code) => {
    expect(make().observe(call(T0, { outcome: 'refused', code }))).toEqual([]);
  });

  it('ignores calls that were not refused', () => {
    const d = make();
    expect(of(d.observe(call(T0, { outcome: 'error', code: 'upstream_timeout' })), 'refused')).toEqual([]);
    expect(of(d.observe(call(T0)), 'refused')).toEqual([]);
  });

  it('never puts the fingerprint, query values or bodies in a message', () => {
    const d = make({ loopRepeats: 2 });
    const fingerprint = 'deadbeef'.repeat(8);
    const drafts = [
      ...d.observe(call(T0, { fingerprint, outcome: 'refused', code: 'exfiltration_blocked', route: 'POST /v1/search' })),
      ...d.observe(call(T0 + 1, { fingerprint, outcome: 'refused', code: 'exfiltration_blocked', route: 'POST /v1/search' })),
    ];
    expect(drafts.map((a) => a.kind).sort()).toEqual(['loop', 'new_route', 'refused', 'refused']);
    for (const a of drafts) {
      expect(a.message).not.toContain(fingerprint);
      expect(a.title).not.toContain(fingerprint.slice(0, 12));
    }
  });
});

describe('policy_violations', () => {
  it('goes critical at the third violation in the window, across integrations, once', () => {
    const d = make();
    expect(of(d.observe(call(T0, { integration: 'made-up', outcome: 'refused', code: 'not_allowlisted' })), 'policy_violations')).toEqual([]);
    expect(of(d.observe(call(T0 + MIN, { outcome: 'refused', code: 'route_not_allowed' })), 'policy_violations')).toEqual([]);
    const fired = of(d.observe(call(T0 + 2 * MIN, { integration: 'exa', outcome: 'refused', code: 'exfiltration_blocked' })), 'policy_violations');
    expect(fired).toEqual([expect.objectContaining({ tier: 'critical', integration: null, dedupeKey: 'policy_violations:2026-11-23T14' })]);
    expect(fired[0]?.message).toContain('not_allowlisted, route_not_allowed, exfiltration_blocked');
    expect(of(d.observe(call(T0 + 3 * MIN, { outcome: 'refused', code: 'route_not_allowed' })), 'policy_violations')).toEqual([]);
  });

  it('does not count a violation exactly one window old', () => {
    const v = { outcome: 'refused', code: 'route_not_allowed' } as const;
    const d = make();
    d.observe(call(T0, v));
    d.observe(call(T0 + MIN, v));
    expect(of(d.observe(call(T0 + 10 * MIN, v)), 'policy_violations')).toEqual([]);
    expect(of(d.observe(call(T0 + 10 * MIN + 1, v)), 'policy_violations')).toHaveLength(1);
    expect(of(d.observe(call(T0 + 70 * MIN, v)), 'policy_violations')).toEqual([]);
    expect(of(d.observe(call(T0 + 71 * MIN, v)), 'policy_violations')).toEqual([]);
    expect(of(d.observe(call(T0 + 72 * MIN, v)), 'policy_violations')[0]?.dedupeKey).toBe('policy_violations:2026-11-23T15');
    expect(d.tracked().violations).toBeLessThanOrEqual(3);
  });

  it('ignores other codes', () => {
    const d = make();
    for (let i = 0; i < 5; i++) expect(of(d.observe(call(T0 + i, { outcome: 'refused', code: 'body_too_large' })), 'policy_violations')).toEqual([]);
  });

  it('keeps no per-integration state for names the assistant made up', () => {
    const d = make({ activeHours: { start: '00:00', end: '00:01', days: [], timeZone: 'UTC' } });
    for (let i = 0; i < 1000; i++) {
      const drafts = d.observe(call(T0 + i, { integration: `guess-${i}`, outcome: 'refused', code: 'not_allowlisted', fingerprint: 'same' }));
      expect(drafts.map((a) => a.kind).filter((k) => k !== 'refused' && k !== 'policy_violations')).toEqual([]);
    }
    expect(d.tracked()).toMatchObject({ integrations: 0, fingerprints: 0 });
  });
});

describe('dedupe keys', () => {
  it('never merge alerts about different subjects: integration, route, request or refusal code', () => {
    // Off-hours all day long, loops at two repeats, bursts at three calls: every detector fires.
    const d = make({ loopRepeats: 2, burstMinCalls: 3, activeHours: { start: '00:00', end: '00:01', days: [0], timeZone: 'UTC' } });
    const subjectOf: Record<string, (o: CallObservation) => string> = {
      burst: (o) => o.integration,
      new_route: (o) => `${o.integration} ${o.route}`,
      off_hours: (o) => o.integration,
      loop: (o) => `${o.integration} ${o.fingerprint}`,
      refused: (o) => `${o.integration} ${o.code}`,
      // The assistant as a whole: what it tries across integrations is one pattern.
      policy_violations: () => '*',
    };
    const subjects = new Map<string, Set<string>>();
    for (const integration of ['brave-search', 'exa']) {
      for (const route of ['GET /res/v1/web/search', 'GET /res/v1/news/search']) {
        for (const fingerprint of ['f1', 'f2']) {
          for (const code of [null, 'route_not_allowed', 'upstream_error']) {
            for (let i = 0; i < 2; i++) {
              const o = call(T0 + i, { integration, route, fingerprint, outcome: code ? 'refused' : 'ok', code });
              for (const draft of d.observe(o)) {
                const set = subjects.get(draft.dedupeKey) ?? new Set<string>();
                set.add(`${draft.kind}: ${subjectOf[draft.kind]!(o)}`);
                subjects.set(draft.dedupeKey, set);
              }
            }
          }
        }
      }
    }
    expect(new Set([...subjects.values()].flatMap((s) => [...s].map((x) => x.split(':')[0])))).toEqual(new Set(Object.keys(subjectOf)));
    for (const [key, set] of subjects) expect([...set], key).toHaveLength(1);
  });
});
