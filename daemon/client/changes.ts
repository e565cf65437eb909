// What an operator's change will do, in words, before it is made. The tray's confirmation
// dialog and the CLI's prompt both show this, so the operator confirms exactly what happens.
import type { CreateIntegration, CreateSession, IntegrationChange, IntegrationView, Proposal, RouteSpec, SessionView, Settings } from '../control-types.ts';

export type Change =
  | { kind: 'create'; integration: CreateIntegration }
  | { kind: 'update'; before: IntegrationView; change: IntegrationChange }
  | { kind: 'set_key'; integration: IntegrationView }
  | { kind: 'resume'; integration: IntegrationView }
  | { kind: 'approve'; proposal: Proposal; integration?: CreateIntegration; monthlyCapUsd?: number }
  | { kind: 'suspend'; integration: IntegrationView }
  | { kind: 'decommission'; integration: IntegrationView }
  | { kind: 'suspend_all'; names: string[] }
  | { kind: 'start_session'; session: CreateSession }
  | { kind: 'stop_session'; session: SessionView }
  | { kind: 'settings'; before: Settings; change: Partial<Settings> };

export interface ChangeDescription {
  /** One line, for a dialog title or a prompt. */
  title: string;
  /** Whether it gives the assistant more authority (more money, hosts, routes, calls, or a key). */
  widens: boolean;
  /** Exactly what will change, one fact a line. */
  details: string[];
}

const usd = (v: number): string => `${v.toFixed(2)} USD`;
const route = (r: RouteSpec): string => `${r.method} ${r.path}`;

export function describeChange(c: Change): ChangeDescription {
  switch (c.kind) {
    case 'create': {
      const i = c.integration;
      const details = [`Name: ${i.name}`, `Purpose: ${i.purpose}`, `Account: ${i.account}`];
      if ('template' in i) {
        details.push(`From the ${i.template} template (its host, routes and pricing)`);
        if (i.baseUrl !== undefined) details.push(`Host, instead of the template's: ${i.baseUrl}`);
        if (i.pricing !== undefined) details.push(`Pricing, instead of the template's: ${JSON.stringify(i.pricing)}`);
        if (i.monthlyCapUsd !== undefined) details.push(`Monthly cap: ${usd(i.monthlyCapUsd)}`);
        if (i.credentialFormats === 'record') details.push('Well-known credential formats in its requests are sent and recorded, not blocked');
      } else {
        details.push(`Host: ${i.baseUrl}`, `Routes: ${i.routes.map(route).join(', ')}`, `Monthly cap: ${usd(i.monthlyCapUsd)}`);
        if (i.credentialFormats === 'record') details.push('Well-known credential formats in its requests are sent and recorded, not blocked');
      }
      return { title: `Approve a new integration: ${i.name}`, widens: true, details };
    }
    case 'update':
      return describeUpdate(c.before, c.change);
    case 'set_key':
      return {
        title: `${c.integration.keySet ? 'Rotate' : 'Set'} the key of ${c.integration.name}`,
        widens: true,
        details: [
          `The key goes into the OS keychain; Tollgate keeps only a fingerprint.`,
          c.integration.keySet ? 'The old key stops being used at once. Revoke it at the provider.' : `${c.integration.name} can make calls from now on.`,
        ],
      };
    case 'resume':
      return {
        title: `Resume ${c.integration.name}`,
        widens: true,
        details: [`The assistant can call ${c.integration.spec.baseUrl} again.`, ...(c.integration.statusReason ? [`It was suspended: ${c.integration.statusReason}.`] : [])],
      };
    case 'approve': {
      const b = c.proposal.body;
      if (b.kind === 'raise_cap') {
        const cap = c.monthlyCapUsd ?? b.monthlyCapUsd;
        return { title: `Approve: raise the cap of ${b.integration} to ${usd(cap)}`, widens: true, details: [`The assistant's reason: ${b.justification}`, `New monthly cap: ${usd(cap)}`] };
      }
      const created = c.integration ? describeChange({ kind: 'create', integration: c.integration }).details : [];
      return { title: `Approve a new integration: ${c.integration?.name ?? b.name}`, widens: true, details: [`The assistant's reason: ${b.justification}`, ...created] };
    }
    case 'suspend':
      return { title: `Suspend ${c.integration.name}`, widens: false, details: [`Calls to ${c.integration.name} are refused until it is resumed.`] };
    case 'decommission':
      return {
        title: `Decommission ${c.integration.name}`,
        widens: false,
        details: [
          'Its key is deleted from the keychain and it can never be used again (its history stays).',
          'Its audit records are archived; the integrations register is updated.',
          `Then revoke the key at the provider (${c.integration.spec.baseUrl}, account ${c.integration.spec.account}).`,
        ],
      };
    case 'suspend_all':
      return { title: 'Suspend all integrations', widens: false, details: [`Suspends ${c.names.length ? c.names.join(', ') : 'nothing (none is active)'}. Each must be resumed on its own.`] };
    case 'start_session': {
      // A session reaches only what is approved, within the caps; a budget of its own narrows that.
      const s = c.session;
      return {
        title: `Start a session: ${s.purpose}`,
        widens: false,
        details: [
          s.budgetUsd === undefined ? 'No budget of its own: the integrations\' caps and the global cap hold.' : `Budget: ${usd(s.budgetUsd)} for the whole session (the caps still hold)`,
          s.integrations?.length ? `Integrations: ${s.integrations.join(', ')}` : 'Integrations: every approved one',
          ...(s.owner === undefined ? [] : [`Ends when process ${s.owner} exits`]),
          'The assistant calls through its own socket, which the session prints.',
        ],
      };
    }
    case 'stop_session':
      return {
        title: `Stop the session: ${c.session.purpose}`,
        widens: false,
        details: ['Its socket takes no new calls; calls in flight finish, or are cut and settled.', `It spent ${usd(c.session.spentUsd)} in ${c.session.calls} call(s).`],
      };
    case 'settings':
      return describeSettings(c.before, c.change);
  }
}

function describeUpdate(before: IntegrationView, change: IntegrationChange): ChangeDescription {
  const s = before.spec;
  const details: string[] = [];
  let widens = false;
  if (change.monthlyCapUsd !== undefined && change.monthlyCapUsd !== s.monthlyCapUsd) {
    details.push(`Monthly cap: ${usd(s.monthlyCapUsd)} → ${usd(change.monthlyCapUsd)}`);
    widens ||= change.monthlyCapUsd > s.monthlyCapUsd;
  }
  if (change.routes) {
    const was = new Set(s.routes.map(route));
    const now = new Set(change.routes.map(route));
    const added = [...now].filter((r) => !was.has(r));
    const removed = [...was].filter((r) => !now.has(r));
    if (added.length) details.push(`New routes: ${added.join(', ')}`);
    if (removed.length) details.push(`Removed routes: ${removed.join(', ')}`);
    widens ||= added.length > 0;
  }
  if (change.rateLimit) {
    const { perMinute, concurrent } = change.rateLimit;
    if (perMinute !== s.rateLimit.perMinute || concurrent !== s.rateLimit.concurrent) {
      details.push(`Rate limit: ${s.rateLimit.perMinute}/min, ${s.rateLimit.concurrent} at once → ${perMinute}/min, ${concurrent} at once`);
      widens ||= perMinute > s.rateLimit.perMinute || concurrent > s.rateLimit.concurrent;
    }
  }
  if (change.pricing && JSON.stringify(change.pricing) !== JSON.stringify(s.pricing)) {
    const was = Object.keys(s.pricing.tokens?.models ?? {});
    const now = Object.keys(change.pricing.tokens?.models ?? {});
    const added = now.filter((m) => !was.includes(m));
    const removed = was.filter((m) => !now.includes(m));
    if (added.length || removed.length) {
      if (added.length) details.push(`New models: ${added.join(', ')}`);
      if (removed.length) details.push(`Removed models: ${removed.join(', ')}`);
    } else {
      details.push(`Pricing: ${JSON.stringify(s.pricing)} → ${JSON.stringify(change.pricing)}`);
    }
    if (change.pricing.maxPerRequestUsd !== s.pricing.maxPerRequestUsd) details.push(`Most a call may reserve: ${usd(s.pricing.maxPerRequestUsd)} → ${usd(change.pricing.maxPerRequestUsd)}`);
    widens ||= added.length > 0 || change.pricing.maxPerRequestUsd > s.pricing.maxPerRequestUsd;
  }
  if (change.credentialFormats !== undefined && change.credentialFormats !== s.credentialFormats) {
    details.push(change.credentialFormats === 'record'
      ? 'Well-known credential formats (API keys, tokens, private keys) in its requests are sent and recorded, no longer blocked. The keys Tollgate holds stay blocked.'
      : 'Well-known credential formats in its requests are blocked again.');
    widens ||= change.credentialFormats === 'record';
  }
  if (change.maxRequestBytes !== undefined && change.maxRequestBytes !== s.maxRequestBytes) {
    details.push(`Largest request body: ${s.maxRequestBytes ?? 'the default setting'} → ${change.maxRequestBytes} bytes`);
    widens ||= change.maxRequestBytes > (s.maxRequestBytes ?? 0);
  }
  if (change.purpose !== undefined && change.purpose !== s.purpose) details.push(`Purpose: ${change.purpose}`);
  if (change.account !== undefined && change.account !== s.account) details.push(`Account: ${change.account}`);
  return { title: `Change ${before.name}`, widens, details: details.length ? details : ['Nothing changes.'] };
}

function describeSettings(before: Settings, change: Partial<Settings>): ChangeDescription {
  const details: string[] = [];
  let widens = false;
  for (const [key, value] of Object.entries(change) as [keyof Settings, unknown][]) {
    if (JSON.stringify(before[key]) === JSON.stringify(value)) continue;
    details.push(`${key}: ${JSON.stringify(before[key])} → ${JSON.stringify(value)}`);
    if (key === 'globalCapUsd') widens ||= value === null || (before.globalCapUsd !== null && (value as number) > before.globalCapUsd);
    if (key === 'maxRequestBytes' || key === 'maxResponseBytes') widens ||= (value as number) > before[key];
  }
  return { title: 'Change Tollgate settings', widens, details: details.length ? details : ['Nothing changes.'] };
}
