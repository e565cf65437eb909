// How numbers and times read in the window. Money is always USD: the daemon counts in USD.

const dollars = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', minimumFractionDigits: 2, maximumFractionDigits: 2 });
const cents = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', minimumFractionDigits: 2, maximumFractionDigits: 4 });
const unitPrice = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', maximumSignificantDigits: 3 });

/** "$1.20"; below a dollar up to four decimals, so a $0.005 call does not read as $0.01. */
export const usd = (v: number): string => (Math.abs(v) < 1 ? cents : dollars).format(v);

/** "$1.20 of $10.00" */
export const usdOf = (spent: number, cap: number): string => `${usd(spent)} of ${usd(cap)}`;

/** Prices per token or unit are far below a cent: significant digits, not decimals. */
export const usdPerUnit = (v: number): string => unitPrice.format(v);

/** Audit records count cost in integer micro-dollars. */
export const microsToUsd = (micros: number): number => micros / 1_000_000;

const dateFormat = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', year: 'numeric' });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', second: '2-digit' });
// Day ids are already local dates of the daemon's time zone: read them as UTC so nothing shifts.
const dayFormat = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', timeZone: 'UTC' });

export const date = (at: string | number): string => dateFormat.format(new Date(at));
export const dateTime = (at: string | number): string => dateTimeFormat.format(new Date(at));

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
