// Output: aligned plain-text tables for people, JSON (--json) for scripts.

/** Columns separated by two spaces; the columns listed in `right` (numbers) are right-aligned. */
export function table(head: string[], rows: string[][], right: number[] = []): string {
  const all = [head, ...rows];
  const widths = head.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all
    .map((r) => r.map((cell, i) => (right.includes(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ').trimEnd())
    .join('\n');
}

/** Dollars: the one formatter of the CLI, the tray, the window and the daemon's messages (money.ts). */
export { usd } from '../money.ts';

/** A moment as YYYY-MM-DD HH:MM:SS in the daemon's time zone, named when it is not this machine's (time-text.ts). */
export { dateTimeText as time } from '../time-text.ts';

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export const jsonOption = ['--json', 'print JSON, for scripts'] as const;
