// Spend periods are derived from the clock: a period is the span between two reset dates
// in the operator's time zone. There is no reset job that could fail; a new period simply
// has no spend yet.

export interface Period {
  /** Local date the period starts on, `YYYY-MM-DD`: the key spend is stored under. */
  id: string;
  startsAt: number;
  resetsAt: number;
}

export interface Day {
  id: string; // local `YYYY-MM-DD`
  startsAt: number;
  endsAt: number;
}

export interface PeriodSettings {
  timeZone: string;
  /** Day of the month the cap resets on, 1–28 (so every month has it). */
  resetDay: number;
}

interface LocalDate {
  y: number;
  m: number; // 1–12
  d: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

function localParts(at: number, timeZone: string): { y: number; m: number; d: number; h: number; mi: number; s: number } {
  const parts = formatter(timeZone).formatToParts(at);
  const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value);
  return { y: get('year'), m: get('month'), d: get('day'), h: get('hour'), mi: get('minute'), s: get('second') };
}

/** The instant local midnight of a date falls on in a time zone (DST-safe to the minute). */
function localMidnight(date: LocalDate, timeZone: string): number {
  const guess = Date.UTC(date.y, date.m - 1, date.d);
  let at = guess;
  // Two passes settle the offset even across a DST change.
  for (let i = 0; i < 2; i++) {
    const p = localParts(at, timeZone);
    const asUtc = Date.UTC(p.y, p.m - 1, p.d, p.h, p.mi, p.s);
    at -= asUtc - guess;
  }
  return at;
}

function addMonths(date: LocalDate, n: number): LocalDate {
  const zeroBased = date.y * 12 + (date.m - 1) + n;
  return { y: Math.floor(zeroBased / 12), m: (zeroBased % 12) + 1, d: date.d };
}

function isoDate(date: LocalDate): string {
  return `${date.y}-${String(date.m).padStart(2, '0')}-${String(date.d).padStart(2, '0')}`;
}

function nextDay(date: LocalDate): LocalDate {
  const t = new Date(Date.UTC(date.y, date.m - 1, date.d + 1));
  return { y: t.getUTCFullYear(), m: t.getUTCMonth() + 1, d: t.getUTCDate() };
}

export function periodAt(at: number, settings: PeriodSettings): Period {
  const p = localParts(at, settings.timeZone);
  let start: LocalDate = { y: p.y, m: p.m, d: settings.resetDay };
  if (p.d < settings.resetDay) start = addMonths(start, -1);
  const end = addMonths(start, 1);
  return { id: isoDate(start), startsAt: localMidnight(start, settings.timeZone), resetsAt: localMidnight(end, settings.timeZone) };
}

export function dayAt(at: number, timeZone: string): Day {
  const p = localParts(at, timeZone);
  const date = { y: p.y, m: p.m, d: p.d };
  return { id: isoDate(date), startsAt: localMidnight(date, timeZone), endsAt: localMidnight(nextDay(date), timeZone) };
}

/** Answers "which period / day is it" cheaply on the hot path: recomputes only when the clock leaves the cached span. */
export class Calendar {
  private settings: PeriodSettings;
  private period: Period | null = null;
  private day: Day | null = null;

  constructor(settings: PeriodSettings) {
    this.settings = settings;
  }

  update(settings: PeriodSettings): void {
    this.settings = settings;
    this.period = null;
    this.day = null;
  }

  get timeZone(): string {
    return this.settings.timeZone;
  }

  periodAt(at: number): Period {
    const p = this.period;
    if (p && at >= p.startsAt && at < p.resetsAt) return p;
    return (this.period = periodAt(at, this.settings));
  }

  dayAt(at: number): Day {
    const d = this.day;
    if (d && at >= d.startsAt && at < d.endsAt) return d;
    return (this.day = dayAt(at, this.settings.timeZone));
  }
}
