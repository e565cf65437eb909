// What an operator's change will do, in words, before it is made. The tray's confirmation
// dialog and the CLI's prompt both show this, so the operator confirms exactly what happens.
import type { CreateIntegration, CreateSession, IntegrationChange, IntegrationSpec, IntegrationView, Proposal, RouteSpec, SessionView, Settings, Template } from '../control-types.ts';
import { newKeyLiftsSuspension } from '../integrations/registry.ts';
import { usd } from '../money.ts';
import { describeTokenPrices } from './prices-text.ts';

export type Change =
  /** `template`: the one a template-based definition names (its host, routes, auth and pricing are shown). */
  | { kind: 'create'; integration: CreateIntegration; template?: Template }
  | { kind: 'update'; before: IntegrationView; change: IntegrationChange }
  | { kind: 'set_key'; integration: IntegrationView }
  | { kind: 'resume'; integration: IntegrationView }
  | { kind: 'approve'; proposal: Proposal; integration: CreateIntegration; template?: Template }
  /** A raise_cap proposal; `before`: the integration as it is now. */
  | { kind: 'approve_cap'; proposal: Proposal; before: IntegrationView; monthlyCapUsd?: number }
  | { kind: 'reject'; proposal: Proposal; reason?: string }
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

const route = (r: RouteSpec): string => `${r.method} ${r.path}`;
/** Models named in full up to this many; beyond, the first few and how many more. */
const MODELS_SHOWN = 6;

/** What an integration is allowed once approved: the fields of its definition that grant something. */
type Grant = Pick<IntegrationSpec, 'baseUrl' | 'auth' | 'routes' | 'pricing' | 'monthlyCapUsd'> & Partial<Pick<IntegrationSpec, 'rateLimit'>>;

/** A template-based definition with the template's fields filled in where the operator left them out. */
function granted(i: CreateIntegration, template: Template | undefined): Grant {
  if (!('template' in i)) return i;
  if (!template || template.id !== i.template) throw new Error(`No template named ${i.template}.`);
  return {
    baseUrl: i.baseUrl ?? template.baseUrl, auth: template.auth, routes: i.routes ?? template.routes, pricing: i.pricing ?? template.pricing,
    monthlyCapUsd: i.monthlyCapUsd ?? template.monthlyCapUsd, rateLimit: i.rateLimit ?? template.rateLimit,
  };
}

/** Everything the operator approves, one fact a line: host, routes, how the key is sent (never the key), prices, the most one call can cost, the cap. */
function describeGrant(g: Grant): string[] {
  const routes = g.routes.map((r) => `${route(r)}${r.free ? ' (free)' : ''}`);
  return [
    `Host: ${g.baseUrl}`,
    `Routes (${routes.length}): ${routes.join(', ')}`,
    `Key sent as: ${authText(g.auth)} (the key itself is never shown)`,
    ...pricingText(g.pricing),
    `Most one call can cost: ${usd(mostPerCall(g))} (what each call reserves at worst)`,
    `Monthly cap: ${usd(g.monthlyCapUsd)}`,
    ...(g.rateLimit ? [`Rate limit: ${g.rateLimit.perMinute} calls a minute, ${g.rateLimit.concurrent} at once`] : []),
  ];
}

/** The most one call can reserve: the integration's maximum, or a route's own where it is higher. */
const mostPerCall = (g: Pick<IntegrationSpec, 'pricing' | 'routes'>): number =>
  Math.max(g.pricing.maxPerRequestUsd, ...g.routes.map((r) => r.pricing?.maxPerRequestUsd ?? 0));

function authText(a: IntegrationSpec['auth']): string {
  if (a.type === 'bearer') return 'header Authorization: Bearer <key>';
  if (a.type === 'header') return `header ${a.name}: ${a.prefix ?? ''}<key>`;
  return `query parameter ${a.name}=<key>`;
}

function pricingText(p: IntegrationSpec['pricing']): string[] {
  if (p.tokens) {
    const ids = Object.keys(p.tokens.models);
    const shown = ids.length <= MODELS_SHOWN ? ids.join(', ') : `${ids.slice(0, MODELS_SHOWN - 1).join(', ')} and ${ids.length - MODELS_SHOWN + 1} more`;
    // The prices themselves, model by model, when they fit on a screen.
    const prices = describeTokenPrices(p.tokens);
    return [`Models (${ids.length}): ${shown}`, ...(ids.length <= MODELS_SHOWN ? prices.slice(1, -1).map((l) => `  ${l}`) : []), `Prices per million tokens: ${p.tokens.source ?? 'set by the operator'}`];
  }
  const parts: string[] = [];
  if (p.perRequestUsd !== undefined) parts.push(`${usd(p.perRequestUsd)} a call`);
  if (p.costPointer) parts.push(`the cost the provider reports at ${p.costPointer}`);
  for (const u of p.usage ?? []) parts.push(`${usd(u.usdPerUnit)} per unit of ${u.pointer}`);
  return [`Pricing: ${parts.join(' + ')}`];
}

export function describeChange(c: Change): ChangeDescription {
  switch (c.kind) {
    case 'create': {
      const i = c.integration;
      const details = [`Name: ${i.name}`, `Purpose: ${i.purpose}`, `Account: ${i.account}`];
      if ('template' in i) details.push(`From the ${c.template?.displayName ?? i.template} template (${i.template})`);
      details.push(...describeGrant(granted(i, c.template)));
      if (i.credentialFormats === 'record') details.push('Well-known credential formats in its requests are sent and recorded, not blocked');
      if (i.sharedBudget) details.push(sharedBudgetText(i.sharedBudget));
      return { title: `Approve a new integration: ${i.name}`, widens: true, details };
    }
    case 'update':
      return describeUpdate(c.before, c.change);
    case 'set_key': {
      const i = c.integration;
      const details = ['The key goes into the OS keychain; Tollgate keeps only a fingerprint.'];
      if (i.keySet) details.push('The old key stops being used at once. Revoke it at the provider.');
      // What the daemon does with a suspension (SPEC rule 9): a new key lifts only the one a rejected key caused.
      if (newKeyLiftsSuspension(i)) details.push(`${i.name} is suspended because ${i.statusReason}; the new key lifts that suspension: it can make calls again.`);
      else if (i.status === 'suspended') details.push(`${i.name} stays suspended (${i.statusReason ?? 'by the operator'}): it makes no calls until it is resumed.`);
      else if (!i.keySet) details.push(`${i.name} can make calls from now on.`);
      return { title: `${i.keySet ? 'Rotate' : 'Set'} the key of ${i.name}`, widens: true, details };
    }
    case 'resume':
      return {
        title: `Resume ${c.integration.name}`,
        widens: true,
        details: [`The assistant can call ${c.integration.spec.baseUrl} again.`, ...(c.integration.statusReason ? [`It was suspended: ${c.integration.statusReason}.`] : [])],
      };
    case 'approve': {
      const b = c.proposal.body;
      const created = describeChange({ kind: 'create', integration: c.integration, template: c.template });
      return { ...created, details: [`The assistant's reason: ${b.justification}`, ...created.details] };
    }
    case 'approve_cap': {
      const b = c.proposal.body;
      if (b.kind !== 'raise_cap') throw new Error(`Proposal ${c.proposal.id} asks for a new integration, not a higher cap.`);
      const cap = c.monthlyCapUsd ?? b.monthlyCapUsd;
      const s = c.before.spec;
      return {
        title: `Approve: raise the cap of ${b.integration} to ${usd(cap)}`,
        widens: true,
        details: [
          `The assistant's reason: ${b.justification}`,
          `Monthly cap: ${usd(s.monthlyCapUsd)} → ${usd(cap)}${cap === b.monthlyCapUsd ? '' : ` (the assistant asked for ${usd(b.monthlyCapUsd)})`}`,
          `${b.integration} calls ${s.baseUrl} (${s.routes.length} route${s.routes.length === 1 ? '' : 's'}); the most one call can cost stays ${usd(mostPerCall(s))}`,
        ],
      };
    }
    case 'reject': {
      const b = c.proposal.body;
      const asked = b.kind === 'raise_cap' ? `a cap of ${usd(b.monthlyCapUsd)} a month for ${b.integration}` : `a new integration, ${b.name}`;
      return {
        title: `Reject the proposal: ${asked}`,
        widens: false,
        details: ['Nothing changes.', c.reason ? `The assistant reads your reason: ${c.reason}` : 'The assistant sees it rejected, with no reason given.'],
      };
    }
    case 'suspend': {
      const i = c.integration;
      const already = i.status === 'suspended' ? [`It is already suspended (${i.statusReason ?? 'by the operator'}); that reason stays unless you give another.`] : [];
      return { title: `Suspend ${i.name}`, widens: false, details: [`Calls to ${i.name} are refused until it is resumed.`, ...already] };
    }
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
  if (change.sharedBudget !== undefined && (change.sharedBudget ?? undefined) !== s.sharedBudget) {
    details.push(change.sharedBudget === null ? `No longer drawn on the shared budget ${s.sharedBudget}: only its own cap and the global cap hold` : sharedBudgetText(change.sharedBudget, s.sharedBudget));
    // Off a shared budget, or onto another one, its calls are no longer held by the budget they were.
    widens ||= s.sharedBudget !== undefined;
  }
  if (change.purpose !== undefined && change.purpose !== s.purpose) details.push(`Purpose: ${change.purpose}`);
  if (change.account !== undefined && change.account !== s.account) details.push(`Account: ${change.account}`);
  return { title: `Change ${before.name}`, widens, details: details.length ? details : ['Nothing changes.'] };
}

/** A shared budget (PostgreSQL, several machines) an integration reserves against, besides its own cap. */
function sharedBudgetText(name: string, was?: string): string {
  return `Shared budget: ${was ? `${was} → ` : ''}${name} (its calls also reserve against it, with the other machines that draw on it)`;
}

/** What each setting is called in the confirmation, and how its values read. */
const SETTINGS_TEXT: { [K in keyof Settings]: [label: string, show: (value: Settings[K]) => string] } = {
  timeZone: ['Time zone (spend periods and active hours are read in it)', (z) => z],
  resetDay: ['Day of the month caps reset on', (d) => String(d)],
  globalCapUsd: ['Global cap (all integrations together, a period)', (cap) => (cap === null ? 'none' : usd(cap))],
  activeHours: ['Active hours', (h) => (h === null ? 'off' : `${h.start}–${h.end} ${daysText(h.days)}`)],
  maxRequestBytes: ['Largest request body', (n) => sizeText(n)],
  maxResponseBytes: ['Largest response body', (n) => sizeText(n)],
  fullSync: ['Every write forced to disk (survives a power cut; slower)', (on) => (on ? 'on' : 'off')],
  machineName: ["This machine's name in the shared ledger", (name) => name],
  globalSharedBudget: ['Shared budget every call of this machine also draws on', (name) => name ?? 'none'],
  upstreamTimeouts: ['Provider timeouts', (t) => `connect ${msText(t.connectMs)}, headers ${msText(t.headersMs)}, body ${msText(t.bodyMs)}`],
};

function settingText<K extends keyof Settings>(key: K, before: Settings[K], after: unknown): string {
  const [label, show] = SETTINGS_TEXT[key];
  return `${label}: ${show(before)} → ${show(after as Settings[K])}`;
}

// Monday first, as a week reads; Settings' `days` count from Sunday (0).
const WEEK = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

/** "Mon–Fri", "Mon, Wed, Fri–Sun", "every day": runs of three days or more as a range. */
function daysText(days: number[]): string {
  const ordered = [...new Set(days)].map((d) => (d + 6) % 7).sort((x, y) => x - y);
  if (ordered.length === 7) return 'every day';
  const runs: number[][] = [];
  for (const d of ordered) {
    const run = runs.at(-1);
    if (run && run.at(-1) === d - 1) run.push(d);
    else runs.push([d]);
  }
  return runs.map((r) => (r.length >= 3 ? `${WEEK[r[0]!]}–${WEEK[r.at(-1)!]}` : r.map((d) => WEEK[d]).join(', '))).join(', ');
}

/** A size exactly: in MB or KB where it is a whole number of them, else in bytes. */
function sizeText(n: number): string {
  if (n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MB`;
  if (n % 1024 === 0) return `${n / 1024} KB`;
  return `${n.toLocaleString('en-US')} bytes`;
}

const msText = (ms: number): string => (ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`);

function describeSettings(before: Settings, change: Partial<Settings>): ChangeDescription {
  const details: string[] = [];
  let widens = false;
  for (const [key, value] of Object.entries(change) as [keyof Settings, unknown][]) {
    if (JSON.stringify(before[key]) === JSON.stringify(value)) continue;
    details.push(settingText(key, before[key], value));
    if (key === 'globalCapUsd') widens ||= value === null || (before.globalCapUsd !== null && (value as number) > before.globalCapUsd);
    if (key === 'maxRequestBytes' || key === 'maxResponseBytes') widens ||= (value as number) > before[key];
    // Every call of this machine leaves the fleet's budget it was held by.
    if (key === 'globalSharedBudget') widens ||= before.globalSharedBudget !== null;
  }
  return { title: 'Change Tollgate settings', widens, details: details.length ? details : ['Nothing changes.'] };
}
