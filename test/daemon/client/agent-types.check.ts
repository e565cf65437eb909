// Checked by `npm run typecheck` (part of `npm test`), not run: the client library writes the agent
// API's shapes out by hand (it carries no daemon code), and these lines stop compiling the day
// those shapes drift from what the daemon accepts and answers.
import type { z } from 'zod';
import type { AgentIntegration, ProposalBody, ProposalStatus } from '../../../daemon/client/agent-client.ts';
import type { Status } from '../../../daemon/integrations/integration.ts';
import type { ProposalStatus as DaemonProposalStatus, proposalSchema } from '../../../daemon/proposals.ts';

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

export type AgentTypesAgree = [
  Same<ProposalBody, z.input<typeof proposalSchema>>,
  Same<ProposalStatus, DaemonProposalStatus>,
  Same<AgentIntegration['status'], Exclude<Status, 'decommissioned'>>,
] extends [true, true, true] ? true : never;

export const agentTypesAgree: AgentTypesAgree = true;
