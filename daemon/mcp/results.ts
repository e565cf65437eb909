// What the MCP tools say back: text an assistant can act on. Tollgate's refusals become tool
// errors that say what happened and what to do next, in terms of this server's tools.
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { type AgentIntegration, type CallResult, TollgateRefusal, TollgateUnavailable } from '../client/agent-client.ts';
import { usd } from '../money.ts';

/** Past this, a body is cut: an assistant's context is worth more than the rest of a page. */
export const MAX_BODY_BYTES = 50 * 1024;

const TEXTUAL = /^(text\/|application\/([\w.+-]*\+)?(json|xml|javascript|x-ndjson|x-www-form-urlencoded)\b)/i;

export function text(s: string, isError = false): CallToolResult {
  return isError ? { content: [{ type: 'text', text: s }], isError: true } : { content: [{ type: 'text', text: s }] };
}

export function callResult(r: CallResult): CallToolResult {
  const summary = [
    `HTTP ${r.status}${r.contentType ? ` (${r.contentType})` : ''}`,
    `cost ${r.costUsd === null ? 'not reported' : usd(r.costUsd)}`,
    `remaining budget ${r.remainingUsd === null ? 'not reported' : usd(r.remainingUsd)}`,
    `request ${r.requestId ?? '-'}`,
  ].join(' · ');
  return text(`${summary}\n\n${bodyText(r)}`);
}

function bodyText(r: CallResult): string {
  if (r.body.length === 0) return '(empty body)';
  if (r.contentType !== null && !TEXTUAL.test(r.contentType) && !r.contentType.includes('event-stream')) {
    return `(${r.body.length} bytes of ${r.contentType}, not shown as text)`;
  }
  if (r.body.length <= MAX_BODY_BYTES) return r.text();
  return `${r.body.subarray(0, MAX_BODY_BYTES).toString('utf8')}\n\n[truncated by Tollgate: showing the first ${MAX_BODY_BYTES} of ${r.body.length} bytes; ask for less, e.g. fewer results]`;
}

export function integrationsText(list: AgentIntegration[], toolsOf: (name: string) => string[]): string {
  if (list.length === 0) return 'No integration is approved yet. Propose one with tollgate_propose (kind "new_integration", with a justification).';
  return list.map((i) => {
    const tools = toolsOf(i.name);
    return [
      `${i.name} [${i.status}]: ${i.purpose}`,
      `  routes: ${i.routes.map((r) => `${r.method} ${r.path}`).join(', ')}`,
      `  budget: ${usd(i.remainingUsd)} left of a ${usd(i.capUsd)} monthly cap (${usd(i.spentUsd)} spent since ${i.period}); resets ${i.resetsAt}`,
      `  tools: ${[...tools, 'tollgate_call'].join(', ')}`,
    ].join('\n');
  }).join('\n\n');
}

/** A refusal or a failure as a tool error. `approved` is the current list, when it could be read. */
export function failure(e: unknown, integration: string | null, approved: AgentIntegration[] | null): CallToolResult {
  if (e instanceof TollgateUnavailable) {
    return text(`${e.message} No call was made. Tell the user; do not retry until Tollgate runs.`, true);
  }
  if (!(e instanceof TollgateRefusal)) {
    return text(`The call failed: ${(e instanceof Error ? e.message : String(e)).replace(/\.$/, '')}. Tollgate does not retry; the answer may have been cut off.`, true);
  }
  return text(`Tollgate refused (${e.code}, HTTP ${e.status}): ${e.message}\n${advice(e, approved?.find((i) => i.name === integration) ?? null, approved)}${e.requestId ? `\n(request ${e.requestId})` : ''}`, true);
}

function advice(e: TollgateRefusal, integration: AgentIntegration | null, approved: AgentIntegration[] | null): string {
  const wait = e.retryAfter === undefined ? 'a while' : `${e.retryAfter} seconds`;
  switch (e.code) {
    case 'budget_exhausted': {
      // The cap may be the global one, or the call's worst case may not fit what is left: "left" covers both.
      const until = integration
        ? `${integration.name} has ${usd(integration.remainingUsd)} left of its ${usd(integration.capUsd)} monthly cap, not enough for this call, until ${integration.resetsAt}`
        : 'The budget is spent until the reset date above';
      return `What to do: ${until}; wait until then, or propose a higher cap with tollgate_propose (kind "raise_cap", the integration, a higher monthlyCapUsd and a justification). Do not retry before then.`;
    }
    case 'integration_suspended':
      return 'What to do: the operator has been told; do not retry. Only the operator can resume it; use another approved integration or tell the user.';
    case 'rate_limited':
      return `What to do: wait ${wait} (Retry-After), then try again.`;
    case 'not_allowlisted':
    case 'route_not_allowed':
      return `What to do: use an approved integration and one of its routes, or propose a new integration with tollgate_propose.\n${approvedList(approved)}`;
    case 'purpose_required':
    case 'bad_request':
      return 'What to do: fix the request (name, path, query, body, purpose) and try again.';
    case 'exfiltration_blocked':
      return 'What to do: remove the credential from the request; Tollgate attaches the key itself. Never send keys or secrets.';
    case 'body_too_large':
      return 'What to do: send a smaller body.';
    case 'keychain_unavailable':
    case 'audit_unavailable':
      return 'What to do: the operator has been told; no call was made. Do not retry until they fix it; tell the user.';
    case 'upstream_unavailable':
    case 'upstream_timeout':
    case 'upstream_error':
      return `What to do: Tollgate never retries by itself. Try again later (${wait}) or ask for less; tell the user if it persists.`;
    default:
      return 'What to do: see the message above.';
  }
}

function approvedList(approved: AgentIntegration[] | null): string {
  if (approved === null) return 'List what is approved with tollgate_integrations.';
  if (approved.length === 0) return 'No integration is approved yet.';
  return `Approved: ${approved.map((i) => `${i.name} (${i.routes.map((r) => `${r.method} ${r.path}`).join(', ')})`).join('; ')}.`;
}
