// Spend milestones name the day caps reset on as the operator's calendar has it: the daemon's
// time zone, not UTC (a period of Asia/Tokyo resets at 15:00 UTC the day before).
import { describe, expect, it } from 'vitest';
import { capReached, crossedThreshold } from '../../../daemon/alerts/thresholds.ts';
import { periodAt } from '../../../daemon/period.ts';
import { zoneSuffix } from '../../../daemon/time-text.ts';

describe('spend milestones', () => {
  const period = periodAt(Date.parse('2026-11-20T12:00:00Z'), { timeZone: 'Asia/Tokyo', resetDay: 1 });

  it('name the reset day in the daemon\'s time zone, with the zone where it is not this machine\'s', () => {
    expect(new Date(period.resetsAt).toISOString()).toBe('2026-11-30T15:00:00.000Z');
    const reached = capReached('search', 10_000_000, 10_000_000, period.id, period.resetsAt, 'Asia/Tokyo');
    expect(reached.message).toBe(`$10.00 of $10.00 spent this period by search. Calls are refused until the reset on 2026-12-01${zoneSuffix('Asia/Tokyo')}. Raise the cap only if this spend was expected.`);
    const crossed = crossedThreshold(null, 9_000_000, 10_000_000, 10_000_000, period.id, period.resetsAt, 'Asia/Tokyo');
    expect(crossed).toMatchObject({ tier: 'critical', title: 'Spend cap reached: all integrations', message: expect.stringContaining('until the reset on 2026-12-01') });
  });

  it('fire once per milestone, the highest one crossed', () => {
    expect(crossedThreshold('search', 0, 4_000_000, 10_000_000, period.id, period.resetsAt, 'UTC')).toBeNull();
    expect(crossedThreshold('search', 4_000_000, 8_500_000, 10_000_000, period.id, period.resetsAt, 'UTC'))
      .toMatchObject({ tier: 'warning', dedupeKey: `spend:search:80:${period.id}`, message: '$8.50 of $10.00 spent this period by search. Check that this usage is expected.' });
  });
});
