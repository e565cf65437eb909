// Spend milestones: 50 % of a cap is information, 80 % a warning, reaching it critical.
// Each fires once per period (the period is in the dedupe key).
import { type Micros, usdOfMicros } from '../money.ts';
import { dateText } from '../time-text.ts';
import type { AlertDraft, Tier } from './detectors.ts';

const LEVELS: readonly { percent: number; tier: Tier }[] = [
  { percent: 100, tier: 'critical' },
  { percent: 80, tier: 'warning' },
  { percent: 50, tier: 'info' },
];

/**
 * The milestone crossed by moving from `before` to `after` (the highest one, if several).
 * `subject` is an integration name, or null for the global cap; `timeZone`, the daemon's, the reset day is named in.
 */
export function crossedThreshold(subject: string | null, before: Micros, after: Micros, cap: Micros, periodId: string, resetsAt: number, timeZone: string): AlertDraft | null {
  for (const { percent, tier } of LEVELS) {
    const line = Math.ceil((cap * percent) / 100);
    if (before < line && after >= line) return capAlert(subject, percent, tier, after, cap, periodId, resetsAt, timeZone);
  }
  return null;
}

/** The cap is reached: a call was refused for it. */
export function capReached(subject: string | null, spent: Micros, cap: Micros, periodId: string, resetsAt: number, timeZone: string): AlertDraft {
  return capAlert(subject, 100, 'critical', spent, cap, periodId, resetsAt, timeZone);
}

function capAlert(subject: string | null, percent: number, tier: Tier, spent: Micros, cap: Micros, periodId: string, resetsAt: number, timeZone: string): AlertDraft {
  const what = subject ?? 'all integrations';
  // The day the operator's caps reset on: in UTC it can be the day before.
  const reset = dateText(resetsAt, timeZone);
  const advice = percent >= 100
    ? `Calls are refused until the reset on ${reset}. Raise the cap only if this spend was expected.`
    : percent >= 80 ? 'Check that this usage is expected.' : 'No action needed.';
  return {
    tier,
    kind: 'spend',
    dedupeKey: `spend:${subject ?? '*'}:${percent}:${periodId}`,
    integration: subject,
    title: percent >= 100 ? `Spend cap reached: ${what}` : `${percent} % of the spend cap: ${what}`,
    message: `${usdOfMicros(spent)} of ${usdOfMicros(cap)} spent this period by ${what}. ${advice}`,
  };
}
