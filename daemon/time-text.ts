// Moments as the operator reads them, in the CLI, the tray and the window: in the daemon's time
// zone (settings.timeZone, the zone its periods and active hours are read in), with the zone's
// name after them when it is not this machine's, so "14:00" never means two different hours.

export const machineZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone;

// Building a DateTimeFormat is costly; a table formats many moments in one or two zones.
const formats = new Map<string, Intl.DateTimeFormat>();

function format(at: number | string, timeZone: string, withTime: boolean): string {
  const id = `${timeZone} ${withTime}`;
  let f = formats.get(id);
  if (!f) {
    const day = { year: 'numeric', month: '2-digit', day: '2-digit' } as const;
    f = new Intl.DateTimeFormat('sv-SE', withTime ? { ...day, hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZone } : { ...day, timeZone });
    formats.set(id, f);
  }
  return f.format(new Date(at));
}

/** The zone's name, to follow a moment, where it is not this machine's ("" where it is). */
export const zoneSuffix = (timeZone: string): string => (timeZone === machineZone() ? '' : ` ${timeZone}`);

/** "2026-12-06 14:00:05", or "2026-12-06 14:00:05 Europe/Berlin" away from Berlin. Without a zone: this machine's. */
export const dateTimeText = (at: number | string, timeZone: string = machineZone()): string => `${format(at, timeZone, true)}${zoneSuffix(timeZone)}`;

/** "2026-12-06", the day in that zone (named where it is not this machine's). */
export const dateText = (at: number | string, timeZone: string = machineZone()): string => `${format(at, timeZone, false)}${zoneSuffix(timeZone)}`;
