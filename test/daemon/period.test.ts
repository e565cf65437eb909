import { describe, expect, it } from 'vitest';
import { Calendar, dayAt, periodAt } from '../../daemon/period.ts';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

describe('spend periods', () => {
  it('is the calendar month in the operator\'s time zone by default', () => {
    const p = periodAt(at('2026-11-30T23:30:00Z'), { timeZone: 'Europe/Berlin', resetDay: 1 });
    // Already 1 December in Berlin.
    expect(p.id).toBe('2026-12-01');
    expect(iso(p.startsAt)).toBe('2026-11-30T23:00:00.000Z');
    expect(iso(p.resetsAt)).toBe('2026-12-31T23:00:00.000Z');
  });

  it('moves the reset to the configured day, wrapping the year', () => {
    const p = periodAt(at('2027-01-10T12:00:00Z'), { timeZone: 'UTC', resetDay: 15 });
    expect(p.id).toBe('2026-12-15');
    expect(iso(p.resetsAt)).toBe('2027-01-15T00:00:00.000Z');
  });

  it('finds local midnight across a DST change', () => {
    // US DST starts 2027-03-14: midnight of 1 April is at UTC-4.
    const p = periodAt(at('2027-04-02T12:00:00Z'), { timeZone: 'America/New_York', resetDay: 1 });
    expect(iso(p.startsAt)).toBe('2027-04-01T04:00:00.000Z');
    expect(iso(dayAt(at('2027-03-14T12:00:00Z'), 'America/New_York').endsAt)).toBe('2027-03-15T04:00:00.000Z');
  });

  it('caches the current period and recomputes when the clock leaves it', () => {
    const c = new Calendar({ timeZone: 'UTC', resetDay: 1 });
    const a = c.periodAt(at('2026-11-05T00:00:00Z'));
    expect(c.periodAt(at('2026-11-29T00:00:00Z'))).toBe(a);
    expect(c.periodAt(at('2026-12-01T00:00:00Z')).id).toBe('2026-12-01');
    expect(c.periodAt(at('2026-10-31T23:59:59Z')).id).toBe('2026-10-01');
  });
});
