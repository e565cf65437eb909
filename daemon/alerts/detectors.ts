// Anomaly detectors (SPEC rule 6): pure logic over call observations, clock injected as `obs.at`.
// Each returned draft is one occurrence; the caller keeps one alert per dedupeKey and coalesces
// repeats. Detectors that measure a rate (burst, loop, policy_violations) emit when the condition
// becomes true, not on every call while it stays true, so a coalesced count means episodes.
// A dedupe key names its subject (integration, route, request fingerprint, refusal code), so
// alerts about different subjects are never merged; only made-up integration names share one.

export type Tier = 'info' | 'warning' | 'critical';

export interface AlertDraft {
  tier: Tier;
  kind: string;
  dedupeKey: string;
  integration: string | null;
  title: string;
  /** What happened and what to do. Never query values, bodies or keys. */
  message: string;
}

export interface CallObservation {
  /** Milliseconds since the epoch. */
  at: number;
  /** For not_allowlisted: the name the assistant asked for, already sanitised by the caller. */
  integration: string;
  /** `${method} ${pattern}` when a route matched. */
  route: string | null;
  /** Keyed HMAC of the whole request, hex. */
  fingerprint: string;
  outcome: 'ok' | 'refused' | 'error';
  code: string | null;
}

/** 'HH:MM' local times; days 0 = Sunday .. 6; end < start means overnight. */
export interface ActiveHours {
  start: string;
  end: string;
  days: number[];
  timeZone: string;
}

export interface DetectorSettings {
  /** null turns the off-hours detector off. */
  activeHours: ActiveHours | null;
  burstFactor: number;
  burstMinCalls: number;
  loopRepeats: number;
  loopWindowMs: number;
  violationRepeats: number;
  violationWindowMs: number;
}

export const DEFAULT_DETECTOR_SETTINGS: DetectorSettings = Object.freeze({
  activeHours: null,
  burstFactor: 5,
  burstMinCalls: 30,
  loopRepeats: 5,
  loopWindowMs: 10 * 60_000,
  violationRepeats: 3,
  violationWindowMs: 10 * 60_000,
});

/** Persisted by the caller. Keys are `${integration} ${route}`. */
export interface KnownRoutes {
  has(key: string): boolean;
  add(key: string): void;
}

const MINUTE = 60_000;
const BASELINE_MINUTES = 60;
// The current minute plus the baseline minutes.
const RING = BASELINE_MINUTES + 1;
// Integration names on this path are operator-approved, so few; the cap only guards against a bug upstream.
const MAX_TRACKED_INTEGRATIONS = 1_000;
export const MAX_TRACKED_FINGERPRINTS = 10_000;
// Settings are operator-written; this keeps per-fingerprint memory bounded whatever they say.
const MAX_REPEATS = 1_000;

const VIOLATION_CODES: ReadonlySet<string> = new Set(['not_allowlisted', 'route_not_allowed', 'exfiltration_blocked']);

// Refusals that do not warn: purpose_required and bad_request are the assistant getting the
// request format wrong (it is told, and fixes it); rate_limited is the limiter doing its job under
// load (real floods show up as a burst); budget_exhausted already has its own cap alerts (80 %,
// cap reached). Warning on these would teach the operator to ignore refusal alerts.
const QUIET_REFUSALS: ReadonlySet<string> = new Set(['purpose_required', 'bad_request', 'rate_limited', 'budget_exhausted']);

interface BurstState {
  /** Calls per minute, slot = minute % RING. */
  counts: Uint32Array;
  firstMinute: number;
  lastMinute: number;
}

interface Violation {
  at: number;
  code: string;
}

interface CompiledHours {
  start: number;
  end: number;
  days: ReadonlySet<number>;
  timeZone: string;
  format: Intl.DateTimeFormat;
  label: string;
}

export class Detectors {
  #settings: DetectorSettings = DEFAULT_DETECTOR_SETTINGS;
  #hours: CompiledHours | null = null;
  readonly #knownRoutes: KnownRoutes;
  // Both maps are ordered by last touch (re-inserted on use), so the stalest entries come first.
  readonly #burst = new Map<string, BurstState>();
  readonly #loops = new Map<string, number[]>();
  #violations: Violation[] = [];

  constructor(settings: DetectorSettings, knownRoutes: KnownRoutes) {
    this.#knownRoutes = knownRoutes;
    this.updateSettings(settings);
  }

  /** Throws a RangeError, and keeps the previous settings, when the new ones are unusable. */
  updateSettings(settings: DetectorSettings): void {
    validate(settings);
    const hours = settings.activeHours === null ? null : compileHours(settings.activeHours);
    // A copy, so a caller mutating its object later cannot bypass validation.
    const activeHours = settings.activeHours === null ? null : { ...settings.activeHours, days: [...settings.activeHours.days] };
    this.#settings = { ...settings, activeHours };
    this.#hours = hours;
  }

  observe(obs: CallObservation): AlertDraft[] {
    const drafts: AlertDraft[] = [];
    // A not_allowlisted name is whatever the assistant made up: it has no routes, hours or
    // baseline worth tracking, and refused + policy_violations already cover it.
    const real = obs.code !== 'not_allowlisted';
    if (real) {
      push(drafts, this.#observeBurst(obs));
      push(drafts, this.#observeNewRoute(obs));
      push(drafts, this.#observeOffHours(obs));
      push(drafts, this.#observeLoop(obs));
    }
    push(drafts, this.#observeRefused(obs));
    push(drafts, this.#observeViolations(obs));
    return drafts;
  }

  /** How much state the detectors hold, for diagnostics and the memory-bound tests. */
  tracked(): { integrations: number; fingerprints: number; violations: number } {
    return { integrations: this.#burst.size, fingerprints: this.#loops.size, violations: this.#violations.length };
  }

  #observeBurst(obs: CallObservation): AlertDraft | null {
    const minute = Math.floor(obs.at / MINUTE);
    this.#sweepBurst(minute);
    let state = this.#burst.get(obs.integration);
    if (state === undefined) {
      state = { counts: new Uint32Array(RING), firstMinute: minute, lastMinute: minute };
      if (this.#burst.size >= MAX_TRACKED_INTEGRATIONS) dropOldest(this.#burst);
      this.#burst.set(obs.integration, state);
    } else if (minute > state.lastMinute) {
      // Clear the slots of the minutes that passed without calls; at most one full turn.
      const gap = Math.min(minute - state.lastMinute, RING);
      for (let m = minute - gap + 1; m <= minute; m++) state.counts[m % RING] = 0;
      state.lastMinute = minute;
      this.#burst.delete(obs.integration);
      this.#burst.set(obs.integration, state);
    }
    // A late observation (an earlier `at`) counts in the newest minute: close enough for a rate.
    const current = state.lastMinute;
    const slot = current % RING;
    const count = (state.counts[slot] ?? 0) + 1;
    state.counts[slot] = count;

    const from = Math.max(state.firstMinute, current - BASELINE_MINUTES);
    let sum = 0;
    for (let m = from; m < current; m++) sum += state.counts[m % RING] ?? 0;
    const minutes = current - from;
    const mean = minutes === 0 ? 0 : sum / minutes;
    const threshold = Math.max(this.#settings.burstMinCalls, this.#settings.burstFactor * mean);
    if (!(count - 1 < threshold && count >= threshold)) return null;

    const usual = minutes === 0 ? 'no history yet' : `a usual ${formatRate(mean)} per minute over the last ${minutes} min`;
    return {
      tier: 'warning',
      kind: 'burst',
      dedupeKey: `burst:${obs.integration}:${utcHour(obs.at)}`,
      integration: obs.integration,
      title: `Burst of calls to ${obs.integration}`,
      message: `${obs.integration} received ${count} calls in one minute, against ${usual}. If the assistant is not expected to be this busy, suspend the integration and check the Activity log.`,
    };
  }

  // Drops integrations with no call in the baseline window: their state would be all zeros anyway.
  #sweepBurst(minute: number): void {
    for (const [name, state] of this.#burst) {
      if (state.lastMinute >= minute - BASELINE_MINUTES) break;
      this.#burst.delete(name);
    }
  }

  #observeNewRoute(obs: CallObservation): AlertDraft | null {
    if (obs.route === null) return null;
    const key = `${obs.integration} ${obs.route}`;
    if (this.#knownRoutes.has(key)) return null;
    this.#knownRoutes.add(key);
    // Information, never a warning: the operator approved this route, so its first use is the
    // expected outcome of that decision (SPEC rule 6), listed for the record.
    return {
      tier: 'info',
      kind: 'new_route',
      dedupeKey: `new_route:${obs.integration}:${obs.route}`,
      integration: obs.integration,
      title: `First use of ${obs.route} on ${obs.integration}`,
      message: `The assistant called ${obs.route} on ${obs.integration} for the first time. It is an approved route, so no action is needed; if this use is not expected, remove the route from the integration.`,
    };
  }

  #observeOffHours(obs: CallObservation): AlertDraft | null {
    const hours = this.#hours;
    if (hours === null) return null;
    const local = localTime(hours.format, obs.at);
    if (isActive(hours, local)) return null;
    return {
      tier: 'warning',
      kind: 'off_hours',
      dedupeKey: `off_hours:${obs.integration}:${local.date}`,
      integration: obs.integration,
      title: `${obs.integration} used outside active hours`,
      message: `${obs.integration} was called at ${local.date} ${local.hhmm} (${hours.timeZone}), outside your active hours (${hours.label}). If no one started this, suspend the integration and check the Activity log.`,
    };
  }

  #observeLoop(obs: CallObservation): AlertDraft | null {
    // Calls refused before they were fingerprinted are not "the same request".
    if (obs.fingerprint === '') return null;
    const { loopRepeats, loopWindowMs } = this.#settings;
    this.#sweepLoops(obs.at, loopWindowMs);
    const key = `${obs.integration}\u0000${obs.fingerprint}`;
    let times = this.#loops.get(key);
    if (times === undefined) {
      times = [];
      if (this.#loops.size >= MAX_TRACKED_FINGERPRINTS) dropOldest(this.#loops);
    } else {
      this.#loops.delete(key);
    }
    this.#loops.set(key, times);
    const inWindow = recordInWindow(times, obs.at, loopWindowMs, loopRepeats);
    if (!(inWindow - 1 < loopRepeats && inWindow >= loopRepeats)) return null;

    const short = obs.fingerprint.slice(0, 12);
    return {
      tier: 'warning',
      kind: 'loop',
      dedupeKey: `loop:${obs.integration}:${obs.fingerprint}:${utcHour(obs.at)}`,
      integration: obs.integration,
      title: `Repeated request to ${obs.integration}`,
      message: `The assistant sent the same request to ${obs.integration} ${inWindow} times within ${formatWindow(loopWindowMs)} (fingerprint ${short}…). It may be stuck in a loop; check the Activity log and suspend the integration if it keeps going.`,
    };
  }

  // Fingerprints whose newest call left the window can never count again.
  #sweepLoops(now: number, windowMs: number): void {
    for (const [key, times] of this.#loops) {
      const newest = times[times.length - 1];
      if (newest !== undefined && now - newest < windowMs) break;
      this.#loops.delete(key);
    }
  }

  #observeRefused(obs: CallObservation): AlertDraft | null {
    if (obs.outcome !== 'refused') return null;
    const code = obs.code ?? 'unknown';
    if (QUIET_REFUSALS.has(code)) return null;
    const violation = VIOLATION_CODES.has(code) ? ' This is a policy violation.' : '';
    // A name that is not approved is the assistant's own text, not a subject: made-up names must
    // not each make an alert of their own, nor be repeated in one (the audit log keeps them).
    const named = code !== 'not_allowlisted';
    return {
      tier: 'warning',
      kind: 'refused',
      dedupeKey: `refused:${named ? obs.integration : '*'}:${code}:${utcHour(obs.at)}`,
      integration: named ? obs.integration : null,
      title: `Call refused: ${code}`,
      message: `Tollgate refused a call to ${named ? obs.integration : 'an integration that is not approved'} with ${code}.${violation} Check the Activity log for what the assistant tried; if it should be allowed, change the integration, otherwise no action is needed.`,
    };
  }

  #observeViolations(obs: CallObservation): AlertDraft | null {
    if (obs.code === null || !VIOLATION_CODES.has(obs.code)) return null;
    const { violationRepeats, violationWindowMs } = this.#settings;
    const list = this.#violations.filter((v) => obs.at - v.at < violationWindowMs);
    list.push({ at: obs.at, code: obs.code });
    const inWindow = list.length;
    // Only the newest `violationRepeats` matter for the next decision.
    this.#violations = list.slice(-violationRepeats);
    if (!(inWindow - 1 < violationRepeats && inWindow >= violationRepeats)) return null;

    const codes = [...new Set(list.map((v) => v.code))].join(', ');
    return {
      tier: 'critical',
      kind: 'policy_violations',
      dedupeKey: `policy_violations:${utcHour(obs.at)}`,
      integration: null,
      title: 'Repeated policy violations',
      message: `The assistant made ${inWindow} policy violations within ${formatWindow(violationWindowMs)} (${codes}). It is trying to reach what it is not allowed to. Review the Activity log now; use Suspend all if this is not expected.`,
    };
  }
}

function push(drafts: AlertDraft[], draft: AlertDraft | null): void {
  if (draft !== null) drafts.push(draft);
}

function dropOldest(map: Map<string, unknown>): void {
  const first = map.keys().next();
  if (first.done !== true) map.delete(first.value);
}

// Keeps at most `keep` timestamps, newest last; returns how many are in the window including `now`.
function recordInWindow(times: number[], now: number, windowMs: number, keep: number): number {
  while (times.length > 0 && !(now - (times[0] ?? now) < windowMs)) times.shift();
  times.push(now);
  const inWindow = times.length;
  while (times.length > keep) times.shift();
  return inWindow;
}

function utcHour(ms: number): string {
  return new Date(ms).toISOString().slice(0, 13);
}

function formatRate(mean: number): string {
  return mean >= 10 ? mean.toFixed(0) : mean.toFixed(1);
}

function formatWindow(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % MINUTE === 0) return `${ms / MINUTE} min`;
  return `${Math.round(ms / 1000)} s`;
}

// --- settings -----------------------------------------------------------------------------------

function validate(s: DetectorSettings): void {
  const positive = (name: string, v: number): void => {
    if (!Number.isFinite(v) || v <= 0) throw new RangeError(`${name} must be a positive number`);
  };
  const count = (name: string, v: number, min: number): void => {
    if (!Number.isInteger(v) || v < min || v > MAX_REPEATS) throw new RangeError(`${name} must be a whole number from ${min} to ${MAX_REPEATS}`);
  };
  positive('burstFactor', s.burstFactor);
  count('burstMinCalls', s.burstMinCalls, 1);
  // One call is not a loop.
  count('loopRepeats', s.loopRepeats, 2);
  positive('loopWindowMs', s.loopWindowMs);
  count('violationRepeats', s.violationRepeats, 1);
  positive('violationWindowMs', s.violationWindowMs);
}

const HHMM = /^(?:([01]\d|2[0-3]):([0-5]\d)|(24):(00))$/;

function parseHHMM(name: string, value: string): number {
  const m = HHMM.exec(value);
  if (m === null) throw new RangeError(`activeHours.${name} must be a time such as 09:00`);
  return Number(m[1] ?? m[3]) * 60 + Number(m[2] ?? m[4]);
}

function compileHours(h: ActiveHours): CompiledHours {
  const start = parseHHMM('start', h.start);
  const end = parseHHMM('end', h.end);
  if (!h.days.every((d) => Number.isInteger(d) && d >= 0 && d <= 6)) {
    throw new RangeError('activeHours.days must hold weekday numbers from 0 (Sunday) to 6');
  }
  const format = formatterFor(h.timeZone);
  const names = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const days = [...new Set(h.days)].sort((a, b) => a - b);
  const label = `${h.start}–${h.end} on ${days.length === 0 ? 'no day' : days.map((d) => names[d]).join(', ')}`;
  return { start, end, days: new Set(days), timeZone: h.timeZone, format, label };
}

// --- local time ---------------------------------------------------------------------------------

// Building a DateTimeFormat is costly; settings change rarely and name few zones.
const formatters = new Map<string, Intl.DateTimeFormat>();
const MAX_FORMATTERS = 32;

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (format === undefined) {
    try {
      format = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        weekday: 'short',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
      });
    } catch {
      throw new RangeError(`activeHours.timeZone is not a known time zone: ${timeZone}`);
    }
    if (formatters.size >= MAX_FORMATTERS) formatters.clear();
    formatters.set(timeZone, format);
  }
  return format;
}

const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

interface LocalTime {
  /** 0 = Sunday. */
  weekday: number;
  /** Minutes since local midnight. */
  minutes: number;
  /** YYYY-MM-DD. */
  date: string;
  hhmm: string;
}

function localTime(format: Intl.DateTimeFormat, ms: number): LocalTime {
  const p: Record<string, string> = {};
  for (const part of format.formatToParts(ms)) p[part.type] = part.value;
  const hour = p['hour'] ?? '00';
  const minute = p['minute'] ?? '00';
  return {
    weekday: WEEKDAYS[p['weekday'] ?? ''] ?? 0,
    minutes: Number(hour) * 60 + Number(minute),
    date: `${p['year']}-${p['month']}-${p['day']}`,
    hhmm: `${hour}:${minute}`,
  };
}

// An overnight window belongs to the day it starts on: Fri 22:00–06:00 covers Saturday 03:00.
// start === end is read as the whole day, since an empty window would make every call off-hours.
function isActive(h: CompiledHours, t: LocalTime): boolean {
  if (h.start === h.end) return h.days.has(t.weekday);
  if (h.start < h.end) return h.days.has(t.weekday) && t.minutes >= h.start && t.minutes < h.end;
  if (t.minutes >= h.start) return h.days.has(t.weekday);
  if (t.minutes < h.end) return h.days.has((t.weekday + 6) % 7);
  return false;
}
