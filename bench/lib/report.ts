// The bench's printed tables and the rows of its targets table (PASS/MISS).

export interface TargetRow {
  check: string;
  value: number;
  shown: string;
  target: string;
  pass: boolean;
}

const round4 = (v: number): number => (Number.isFinite(v) ? Number(v.toFixed(4)) : v);

export function row(check: string, value: number, target: string, pass: (v: number) => boolean, unit: string, detail?: string): TargetRow {
  const shown = unit === '%' ? `${(value * 100).toFixed(0)} %` : unit === '×' ? `${value.toFixed(2)}×` : `${value.toFixed(unit === 'MB' ? 1 : 3)} ${unit}`;
  return { check, value: round4(value), shown: detail ? `${shown} (${detail})` : shown, target, pass: pass(value) };
}

export function fx(v: unknown): string {
  return typeof v === 'number' && Number.isFinite(v) ? v.toFixed(3) : '-';
}

/** A Markdown table, the first column left-aligned and the others right-aligned. */
export function table(head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join(' | ')} |`;
  return [line(head), `|${w.map((n, i) => (i === 0 ? `:${'-'.repeat(n + 1)}` : `${'-'.repeat(n + 1)}:`)).join('|')}|`, ...rows.map(line)].join('\n');
}
