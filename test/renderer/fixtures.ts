// Values as the daemon returns them, for the fake bridge.
import type { Alert, AuditRecord, DecommissionResult, IntegrationView, LedgerView, Proposal, SessionView, Settings, SpendReport, Template } from '../../daemon/control-types.ts';
import type { DaemonState } from '../../electron/ipc/api.ts';

export const daemonUp: DaemonState = { running: true, version: '0.1.0', controlSocket: '/run/tollgate/control.sock' };
export const daemonDown: DaemonState = { running: false, version: null, controlSocket: '/run/tollgate/control.sock' };

export const braveTemplate: Template = {
  id: 'brave-search',
  displayName: 'Brave Search',
  docsUrl: 'https://api-dashboard.search.brave.com/documentation/quickstart',
  keyUrl: 'https://api-dashboard.search.brave.com/app/keys',
  baseUrl: 'https://api.search.brave.com',
  auth: { type: 'header', name: 'X-Subscription-Token' },
  routes: [{ method: 'GET', path: '/res/v1/web/search', description: 'Web search.' }],
  pricing: { perRequestUsd: 0.005, maxPerRequestUsd: 0.005 },
  pricingNote: 'Brave lists $5 per 1,000 requests.',
  rateLimit: { perMinute: 30, concurrent: 4 },
  monthlyCapUsd: 5,
  tools: [],
};

export const exaTemplate: Template = {
  ...braveTemplate,
  id: 'exa',
  displayName: 'Exa',
  baseUrl: 'https://api.exa.ai',
  auth: { type: 'header', name: 'x-api-key' },
  routes: [{ method: 'POST', path: '/search', description: 'Search.' }],
  pricing: { costPointer: '/costDollars/total', maxPerRequestUsd: 0.25 },
  pricingNote: 'Exa reports each request’s cost.',
  monthlyCapUsd: 10,
};

export function integration(name: string, over: Partial<IntegrationView> = {}): IntegrationView {
  return {
    name,
    status: 'active',
    statusReason: null,
    spec: {
      name,
      purpose: `Research with ${name}`,
      account: 'assistant@example.org',
      baseUrl: 'https://api.search.brave.com',
      auth: { type: 'header', name: 'X-Subscription-Token' },
      credentialFormats: 'block',
      routes: [{ method: 'GET', path: '/res/v1/web/search' }],
      pricing: { perRequestUsd: 0.005, maxPerRequestUsd: 0.005 },
      monthlyCapUsd: 10,
      rateLimit: { perMinute: 30, concurrent: 4 },
    },
    keySet: true,
    keySetAt: '2026-09-02T10:00:00.000Z',
    approvedBy: 'operator',
    approvedAt: '2026-09-02T10:00:00.000Z',
    updatedAt: null,
    decommissionedAt: null,
    ...over,
  };
}

export const spendReport: SpendReport = {
  period: { id: '2026-09-01', startsAt: '2026-09-01T00:00:00.000Z', resetsAt: '2026-10-01T00:00:00.000Z', timeZone: 'UTC' },
  globalCapUsd: null,
  totalSpentUsd: 5.2,
  integrations: [
    { name: 'brave-search', status: 'active', spentUsd: 1.2, reservedUsd: 0, capUsd: 10, remainingUsd: 8.8 },
    { name: 'exa', status: 'suspended', spentUsd: 4, reservedUsd: 0.25, capUsd: 5, remainingUsd: 0.75 },
  ],
  daily: [
    { day: '2026-09-02', integration: 'brave-search', spentUsd: 0.7, calls: 140 },
    { day: '2026-09-02', integration: 'exa', spentUsd: 3, calls: 30 },
    { day: '2026-09-03', integration: 'brave-search', spentUsd: 0.5, calls: 100 },
    { day: '2026-09-05', integration: 'exa', spentUsd: 1, calls: 10 },
  ],
  periods: [],
};

export const emptySpend: SpendReport = { ...spendReport, totalSpentUsd: 0, integrations: [], daily: [] };

export function auditRecord(id: number, over: Partial<AuditRecord> = {}): AuditRecord {
  return {
    id,
    at: Date.UTC(2026, 8, 3, 12, 0, id % 60),
    requestId: `req-${id}`,
    integration: 'brave-search',
    purpose: 'Look up the weather',
    method: 'GET',
    host: 'api.search.brave.com',
    path: '/res/v1/web/search',
    outcome: 'ok',
    code: null,
    status: 200,
    latencyMs: 120,
    bytesOut: 0,
    bytesIn: 2048,
    costUsd: 0.005,
    fingerprint: 'ab12',
    mac: 'mac',
    ...over,
  };
}

/** `count` records, newest first, starting at id `from`. */
export const auditPage = (from: number, count: number): AuditRecord[] => Array.from({ length: count }, (_, i) => auditRecord(from - i));

export function alert(id: number, over: Partial<Alert> = {}): Alert {
  return {
    id,
    tier: 'warning',
    kind: 'cap_80',
    dedupeKey: `k${id}`,
    integration: 'brave-search',
    title: `Alert ${id}`,
    message: 'brave-search has used 80 % of its cap.',
    count: 1,
    firstAt: Date.UTC(2026, 8, 3, 12),
    lastAt: Date.UTC(2026, 8, 3, 12),
    ackedAt: null,
    ...over,
  };
}

export const newIntegrationProposal: Proposal = {
  id: '7d3c1f0e-8a4b-4c2d-9e1f-0a1b2c3d4e5f',
  kind: 'new_integration',
  body: {
    kind: 'new_integration',
    name: 'exa-research',
    template: 'exa',
    purpose: 'Find papers for the literature review',
    monthlyCapUsd: 8,
    justification: 'Brave does not index academic papers well.',
  },
  status: 'pending',
  createdAt: Date.UTC(2026, 8, 4, 9),
  decidedAt: null,
  decidedBy: null,
  note: null,
};

export const raiseCapProposal: Proposal = {
  id: '0f9e8d7c-6b5a-4c3d-8e2f-1a2b3c4d5e6f',
  kind: 'raise_cap',
  body: { kind: 'raise_cap', integration: 'brave-search', monthlyCapUsd: 20, justification: 'The research sprint needs more searches.' },
  status: 'pending',
  createdAt: Date.UTC(2026, 8, 4, 10),
  decidedAt: null,
  decidedBy: null,
  note: null,
};

export const settings: Settings = {
  timeZone: 'UTC',
  resetDay: 1,
  globalCapUsd: null,
  activeHours: null,
  maxRequestBytes: 1024 * 1024,
  maxResponseBytes: 10 * 1024 * 1024,
  fullSync: false,
  machineName: 'laptop',
  globalSharedBudget: null,
  upstreamTimeouts: { connectMs: 10_000, headersMs: 30_000, bodyMs: 60_000 },
};

/** GET /v1/ledger on a machine with no shared ledger set up. */
export const noLedger: LedgerView = { configured: false, reachable: false, where: null, machine: 'laptop', error: null, pendingSettles: 0, budgets: [] };

/** A shared budget drawn on by this machine and another. */
export const ledger: LedgerView = {
  configured: true, reachable: true, where: 'tollgate @ db.example.org:5432 / ledger', machine: 'laptop', error: null, pendingSettles: 0,
  budgets: [{
    name: 'team', monthlyCapUsd: 50, timeZone: 'UTC', resetDay: 1, period: '2026-09-01', resetsAt: '2026-10-01T00:00:00.000Z',
    spentUsd: 12.5, reservedUsd: 0.25, remainingUsd: 37.25,
    machines: [{ machine: 'laptop', spentUsd: 10, calls: 40 }, { machine: 'server', spentUsd: 2.5, calls: 1 }],
    days: [{ day: '2026-09-02', machine: 'laptop', spentUsd: 10, calls: 40 }, { day: '2026-09-02', machine: 'server', spentUsd: 2.5, calls: 1 }],
    open: [{ machine: 'server', count: 2, amountUsd: 0.25, oldest: '2026-09-02T10:00:00.000Z' }],
  }],
};

export const decommissionResult = (name: string): DecommissionResult => ({
  integration: integration(name, { status: 'decommissioned', decommissionedAt: '2026-09-05T10:00:00.000Z' }),
  archive: {
    file: `/home/op/.local/share/tollgate/archive/${name}-2026-09-05.jsonl`,
    checksumFile: `/home/op/.local/share/tollgate/archive/${name}-2026-09-05.jsonl.sha256`,
    sha256: '9f2c4e6a8b0d1f3e5a7c9b1d3f5e7a9c1b3d5f7e9a1c3e5b7d9f1a3c5e7b9d1f',
    records: 42,
  },
  keyRemoved: true,
  reminder: `Revoke the key of ${name} at the provider (https://api.search.brave.com, account assistant@example.org): Tollgate removed its copy, but only the provider can make the key useless.`,
});

export function session(id: string, over: Partial<SessionView> = {}): SessionView {
  return {
    id,
    socket: `/run/tollgate/sessions/${id}.sock`,
    purpose: 'Literature review for the grant proposal',
    budgetUsd: 5,
    integrations: ['brave-search'],
    owner: null,
    status: 'running',
    startedAt: '2026-09-05T10:00:00.000Z',
    startedBy: 'operator (cli)',
    endedAt: null,
    endReason: null,
    spentUsd: 1.25,
    reservedUsd: 0,
    remainingUsd: 3.75,
    calls: 250,
    ...over,
  };
}
