// Output: aligned plain-text tables for people, JSON (--json) for scripts.

/** Columns separated by two spaces; the columns listed in `right` (numbers) are right-aligned. */
export function table(head: string[], rows: string[][], right: number[] = []): string {
  const all = [head, ...rows];
  const widths = head.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all
    .map((r) => r.map((cell, i) => (right.includes(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ').trimEnd())
    .join('\n');
}

/** Dollars with at least two decimals and up to six (caps in cents, per-call prices below them). */
export function usd(v: number): string {
  const [whole, fraction = ''] = v.toFixed(6).replace(/0+$/, '').split('.');
  return `${whole}.${fraction.padEnd(2, '0')}`;
}

/** A moment in this machine's time zone, as YYYY-MM-DD HH:MM:SS. */
export function time(at: number | string): string {
  return new Date(at).toLocaleString('sv-SE');
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export const jsonOption = ['--json', 'print JSON, for scripts'] as const;
