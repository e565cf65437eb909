// How numbers and times read in the window. Money is always USD, formatted as everywhere else
// (the CLI, the tray, the daemon's messages): one formatter, in daemon/money.ts.
import { usd } from '../daemon/money.ts';
import { zoneSuffix } from '../daemon/time-text.ts';

export { usd };

/** Per-unit prices read like any amount (usd keeps their digits below the micro-dollar). */
export const usdPerUnit = usd;

/** "$1.20 of $10.00" */
export const usdOf = (spent: number, cap: number): string => `${usd(spent)} of ${usd(cap)}`;

const OPTIONS = {
  date: { day: 'numeric', month: 'short', year: 'numeric' },
  dateTime: { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', second: '2-digit' },
} as const;
const formats = new Map<string, Intl.DateTimeFormat>();

/** In the daemon's time zone when given, named where it is not this machine's; without one, this machine's. */
function zoned(kind: keyof typeof OPTIONS, at: string | number, timeZone: string | undefined): string {
  const id = `${kind} ${timeZone ?? ''}`;
  let f = formats.get(id);
  if (!f) formats.set(id, (f = new Intl.DateTimeFormat(undefined, { ...OPTIONS[kind], ...(timeZone ? { timeZone } : {}) })));
  return `${f.format(new Date(at))}${timeZone ? zoneSuffix(timeZone) : ''}`;
}

// Day ids are already local dates of the daemon's time zone: read them as UTC so nothing shifts.
const dayFormat = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', timeZone: 'UTC' });

export const date = (at: string | number, timeZone?: string): string => zoned('date', at, timeZone);
export const dateTime = (at: string | number, timeZone?: string): string => zoned('dateTime', at, timeZone);

/** A `YYYY-MM-DD` day id as "3 Sep". */
export const day = (id: string): string => dayFormat.format(Date.parse(`${id}T00:00:00Z`));

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** Spend against a cap as a tier: the same red/amber/neutral the alerts use. */
export function spendTone(spent: number, cap: number): 'critical' | 'warning' | 'neutral' {
  if (cap > 0 && spent >= cap) return 'critical';
  if (cap > 0 && spent >= cap * 0.8) return 'warning';
  return 'neutral';
}
