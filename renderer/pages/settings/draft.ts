// The settings form as typed, and the change it makes to the daemon's settings. Only fields that
// differ are sent, so main's confirmation names just those; the daemon judges every value.
import type { Settings } from '../../../daemon/control-types.ts';

export interface Draft {
  timeZone: string;
  resetDay: string;
  capped: boolean;
  globalCapUsd: string;
  activeHours: boolean;
  start: string;
  end: string;
  days: number[];
  maxRequestBytes: string;
  maxResponseBytes: string;
  fullSync: boolean;
  /** This machine's name in a shared ledger, and the fleet's budget every call also draws on there ('' for none). */
  machineName: string;
  globalSharedBudget: string;
  connectMs: string;
  headersMs: string;
  bodyMs: string;
}

/** Field errors by the setting's path, as the daemon names it in a refusal ("activeHours.start"). */
export type FieldErrors = Partial<Record<string, string>>;

// What turning active hours on starts from, when they were off.
const OFFICE_HOURS = { start: '09:00', end: '17:00', days: [1, 2, 3, 4, 5] };

export function draftOf(s: Settings): Draft {
  const hours = s.activeHours ?? OFFICE_HOURS;
  return {
    timeZone: s.timeZone,
    resetDay: String(s.resetDay),
    capped: s.globalCapUsd !== null,
    globalCapUsd: s.globalCapUsd === null ? '' : String(s.globalCapUsd),
    activeHours: s.activeHours !== null,
    start: hours.start,
    end: hours.end,
    days: hours.days,
    maxRequestBytes: String(s.maxRequestBytes),
    maxResponseBytes: String(s.maxResponseBytes),
    fullSync: s.fullSync,
    machineName: s.machineName,
    globalSharedBudget: s.globalSharedBudget ?? '',
    connectMs: String(s.upstreamTimeouts.connectMs),
    headersMs: String(s.upstreamTimeouts.headersMs),
    bodyMs: String(s.upstreamTimeouts.bodyMs),
  };
}

/**
 * The settings a draft asks for, or what cannot be read as a number. Unreadable numbers stop
 * here: NaN would cross to the daemon as null, and a null global cap means no cap at all.
 */
export function readDraft(d: Draft): { settings: Settings; errors?: never } | { settings?: never; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const num = (path: string, text: string): number => {
    const n = Number(text);
    if (text.trim() === '' || !Number.isFinite(n)) errors[path] = 'Enter a number.';
    return n;
  };
  const settings: Settings = {
    timeZone: d.timeZone.trim(),
    resetDay: num('resetDay', d.resetDay),
    globalCapUsd: d.capped ? num('globalCapUsd', d.globalCapUsd) : null,
    activeHours: d.activeHours ? { start: d.start.trim(), end: d.end.trim(), days: [...d.days].sort((a, b) => a - b) } : null,
    maxRequestBytes: num('maxRequestBytes', d.maxRequestBytes),
    maxResponseBytes: num('maxResponseBytes', d.maxResponseBytes),
    fullSync: d.fullSync,
    machineName: d.machineName.trim(),
    globalSharedBudget: d.globalSharedBudget.trim() || null,
    upstreamTimeouts: {
      connectMs: num('upstreamTimeouts.connectMs', d.connectMs),
      headersMs: num('upstreamTimeouts.headersMs', d.headersMs),
      bodyMs: num('upstreamTimeouts.bodyMs', d.bodyMs),
    },
  };
  return Object.keys(errors).length ? { errors } : { settings };
}

/** The settings that differ from `before`, each whole (the daemon replaces a setting, it does not merge it). */
export function changeOf(before: Settings, after: Settings): Partial<Settings> {
  const keys = (Object.keys(after) as (keyof Settings)[]).filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]));
  return Object.fromEntries(keys.map((k) => [k, after[k]])) as Partial<Settings>;
}

const LABELS: Record<keyof Settings, string> = {
  timeZone: 'time zone',
  resetDay: 'reset day',
  globalCapUsd: 'global cap',
  activeHours: 'active hours',
  maxRequestBytes: 'largest request',
  maxResponseBytes: 'largest response',
  fullSync: 'durability',
  machineName: 'machine name',
  globalSharedBudget: 'shared global budget',
  upstreamTimeouts: 'upstream timeouts',
};

/** "time zone, global cap" */
export const namesOf = (change: Partial<Settings>): string => (Object.keys(change) as (keyof Settings)[]).map((k) => LABELS[k]).join(', ');

/**
 * The daemon refuses a settings change with one message naming each bad value by its path
 * ("resetDay: Too big: expected number to be <=28; timeZone: must be an IANA time zone …"):
 * read back per path, so each shows beside its field.
 */
export function refusalsOf(message: string): FieldErrors {
  const errors: FieldErrors = {};
  for (const part of message.split('; ')) {
    const m = /^([A-Za-z]+(?:\.[A-Za-z0-9]+)*): (.+)$/s.exec(part);
    if (!m) continue;
    // An array item's error ("activeHours.days.0") belongs to the array's field.
    const path = m[1]!.replace(/(\.\d+)+$/, '');
    if (path.split('.')[0]! in LABELS) errors[path] ??= m[2]!;
  }
  return errors;
}
