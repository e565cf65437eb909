// Moments in the daemon's time zone, the zone named when it is not this machine's (issue 12).
import { describe, expect, it } from 'vitest';
import { dateText, dateTimeText, machineZone } from '../../daemon/time-text.ts';

// A zone that is not this machine's, whichever that is.
const away = machineZone() === 'Europe/Berlin' ? 'America/New_York' : 'Europe/Berlin';
const at = Date.parse('2026-12-06T13:00:05Z');

describe('times for people', () => {
  it("are read in the daemon's zone and name it where this machine's differs", () => {
    expect(dateTimeText(at, 'Europe/Berlin')).toBe(`2026-12-06 14:00:05${machineZone() === 'Europe/Berlin' ? '' : ' Europe/Berlin'}`);
    expect(dateTimeText('2026-12-06T23:30:00Z', 'Asia/Tokyo')).toMatch(/^2026-12-07 08:30:00( Asia\/Tokyo)?$/);
    expect(dateTimeText(at, away)).toMatch(new RegExp(` ${away}$`));
  });

  it("say nothing of the zone when it is this machine's", () => {
    expect(dateTimeText(at, machineZone())).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    expect(dateTimeText(at)).toBe(dateTimeText(at, machineZone()));
  });

  it('give the day in that zone, not in UTC', () => {
    // Midnight in Berlin is still the day before in UTC: the reset is on the 1st there.
    expect(dateText('2026-12-31T23:00:00.000Z', 'Europe/Berlin')).toBe(`2027-01-01${machineZone() === 'Europe/Berlin' ? '' : ' Europe/Berlin'}`);
  });
});
