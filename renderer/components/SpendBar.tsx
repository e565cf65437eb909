import type { ReactNode } from 'react';
import { spendTone, usd, usdOf } from '../format.ts';

/** Spend against a cap: "$1.20 of $10.00" over a bar that turns amber at 80 % and red at the cap. */
export function SpendBar({ name, label = name, tag, spent, cap, reserved = 0, note }: {
  /** What is spending: the meter is called "<name> spend". */
  name: string;
  label?: string;
  tag?: ReactNode;
  spent: number;
  cap: number;
  reserved?: number;
  note?: string;
}) {
  const percent = cap > 0 ? Math.min(100, (spent / cap) * 100) : 0;
  const figures = usdOf(spent, cap);
  return (
    <div className="spend">
      <div className="spend-head">
        <span className="spend-label">{label} {tag}</span>
        <span className="spend-figures">
          {figures}
          {reserved > 0 && <span className="muted"> (+{usd(reserved)} reserved by calls in flight)</span>}
        </span>
      </div>
      <div
        role="meter"
        aria-label={`${name} spend`}
        aria-valuemin={0}
        aria-valuemax={cap}
        aria-valuenow={spent}
        aria-valuetext={figures}
        className={`bar tone-${spendTone(spent, cap)}`}
      >
        <div className="bar-fill" style={{ width: `${percent}%` }} />
      </div>
      {note && <p className="hint">{note}</p>}
    </div>
  );
}
