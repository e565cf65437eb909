import type { Outcome } from '../hooks.ts';

/** The result of the operator's last action: refusals interrupt, everything else is polite. */
export function OutcomeMessage({ outcome }: { outcome: Outcome | null }) {
  if (!outcome) return null;
  return (
    <p role={outcome.tone === 'error' ? 'alert' : 'status'} className={`outcome tone-${outcome.tone}`}>
      {outcome.text}
    </p>
  );
}
