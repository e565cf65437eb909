import type { SpendReport } from '../../daemon/control-types.ts';
import { day, usd } from '../format.ts';

const WIDTH = 620;
const HEIGHT = 180;
const AXIS = 18;
const TOP = 16;
const SERIES = 6;
const DAY_MS = 86_400_000;

/** Every day of the period that starts on `periodId`: up to the same date next month (reset days are 1–28). */
function periodDays(periodId: string): string[] {
  const [y = 0, m = 1, d = 1] = periodId.split('-').map(Number);
  const days: string[] = [];
  for (let t = Date.UTC(y, m - 1, d); t < Date.UTC(y, m, d); t += DAY_MS) days.push(new Date(t).toISOString().slice(0, 10));
  return days;
}

/** Daily spend for the period: one bar per day, stacked by integration. */
export function DailyChart({ report }: { report: SpendReport }) {
  const days = periodDays(report.period.id);
  const names = [...new Set(report.daily.map((d) => d.integration))].sort();
  const spentOn = new Map(report.daily.map((d) => [`${d.day} ${d.integration}`, d.spentUsd]));
  const columns = days.map((id) => {
    const parts = names.map((name, series) => ({ name, series, usd: spentOn.get(`${id} ${name}`) ?? 0 })).filter((p) => p.usd > 0);
    return { id, parts, total: parts.reduce((s, p) => s + p.usd, 0) };
  });
  const max = Math.max(0, ...columns.map((c) => c.total));
  if (max === 0) return <p className="muted">No spend yet this period.</p>;

  const slot = WIDTH / days.length;
  const scale = (HEIGHT - AXIS - TOP) / max;
  const total = columns.reduce((s, c) => s + c.total, 0);
  return (
    <figure className="chart">
      <svg
        role="img"
        aria-label={`Daily spend from ${day(days[0]!)} to ${day(days.at(-1)!)}: ${usd(total)} in total, at most ${usd(max)} a day`}
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      >
        <line className="axis-line" x1={0} x2={WIDTH} y1={HEIGHT - AXIS} y2={HEIGHT - AXIS} />
        <text className="axis" x={2} y={11}>{usd(max)}</text>
        {columns.map((c, i) => {
          let top = HEIGHT - AXIS;
          const dayOfMonth = Number(c.id.slice(8));
          return (
            <g key={c.id} data-day={c.id}>
              <title>{`${day(c.id)}: ${usd(c.total)}${c.parts.map((p) => `\n${p.name}: ${usd(p.usd)}`).join('')}`}</title>
              {c.parts.map((p) => {
                const height = p.usd * scale;
                top -= height;
                return (
                  <rect key={p.name} data-integration={p.name} className={`series-${p.series % SERIES}`} x={i * slot + 1} y={top} width={Math.max(1, slot - 2)} height={height} />
                );
              })}
              {(i === 0 || dayOfMonth % 5 === 0) && (
                <text className="axis" x={i * slot + slot / 2} y={HEIGHT - 4} textAnchor="middle">{dayOfMonth}</text>
              )}
            </g>
          );
        })}
      </svg>
      <figcaption>
        <ul className="legend" aria-label="Integrations in the chart">
          {names.map((name, series) => (
            <li key={name}>
              <span className={`swatch series-${series % SERIES}`} aria-hidden="true" />
              {name}
            </li>
          ))}
        </ul>
      </figcaption>
    </figure>
  );
}
