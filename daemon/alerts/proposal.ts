// The alert an assistant's proposal raises: one per proposal, so none hides behind another.
// Information, not a warning: asking is what a well-behaved assistant does, nothing has changed,
// and the Proposals page is where it waits. The assistant's own text (the justification) stays out.
import { usd } from '../money.ts';
import type { ProposalBody } from '../proposals.ts';
import type { AlertDraft } from './detectors.ts';

export const proposalAlertKey = (id: string): string => `proposal:${id}`;

export function proposalAlert(id: string, body: ProposalBody): AlertDraft {
  const what = body.kind === 'raise_cap'
    ? `raise the cap of ${body.integration} to ${usd(body.monthlyCapUsd)}`
    : `a new integration, ${body.name}`;
  return {
    tier: 'info',
    kind: 'proposal',
    dedupeKey: proposalAlertKey(id),
    integration: body.kind === 'raise_cap' ? body.integration : null,
    title: `Proposal: ${what}`,
    message: `The assistant asks ${body.kind === 'raise_cap' ? 'to ' : 'for '}${what} (proposal ${id.slice(0, 8)}). Nothing changes until you decide: approve or reject it on the Proposals page or with "tollgate proposals".`,
  };
}
