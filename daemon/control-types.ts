// The control API's answers, as types: the daemon's control server returns them, and its
// clients (the CLI, the tray's main process, the window) read them. Types only: importing this
// file brings no daemon code along.
import type { AckSelection, Alert } from './alerts/alerts.ts';
import type { AuditView } from './audit/record.ts';
import type { Status } from './integrations/integration.ts';
import type { IntegrationSpec, RouteSpec, Template } from './integrations/schema.ts';
import type { Proposal } from './proposals.ts';
import type { Settings } from './settings.ts';

export type { AckSelection, Alert, AuditRecord, IntegrationSpec, Proposal, RouteSpec, Settings, Status, Template };
export type { Tier } from './alerts/detectors.ts';

/** An audit record as GET /v1/audit lists it: its cost in dollars (`costUsd`). */
type AuditRecord = AuditView;

export interface IntegrationView {
  name: string;
  status: Status;
  statusReason: string | null;
  spec: IntegrationSpec;
  keySet: boolean;
  keySetAt: string | null;
  approvedBy: string;
  approvedAt: string | null;
  updatedAt: string | null;
  decommissionedAt: string | null;
}

export interface SpendReport {
  /** `timeZone`: the daemon's (settings.timeZone), the zone the period is read in. */
  period: { id: string; startsAt: string; resetsAt: string; timeZone: string };
  globalCapUsd: number | null;
  totalSpentUsd: number;
  integrations: { name: string; status: Status; spentUsd: number; reservedUsd: number; capUsd: number; remainingUsd: number }[];
  daily: { day: string; integration: string; spentUsd: number; calls: number }[];
  periods: { period: string; integration: string; spentUsd: number; calls: number }[];
}

/** GET /v1/ledger: the connection and every shared budget, dollars at the edge. */
export interface LedgerView {
  configured: boolean;
  reachable: boolean;
  /** Where the database is, without the password. */
  where: string | null;
  machine: string;
  error: string | null;
  /** This machine's settles not written yet (the database was away): their reservations stay counted at full amount. */
  pendingSettles: number;
  budgets: {
    name: string; monthlyCapUsd: number; timeZone: string; resetDay: number; period: string; resetsAt: string;
    spentUsd: number; reservedUsd: number; remainingUsd: number;
    machines: { machine: string; spentUsd: number; calls: number }[];
    days: { day: string; machine: string; spentUsd: number; calls: number }[];
    open: { machine: string; count: number; amountUsd: number; oldest: string }[];
  }[];
}

export type VerifyResult = { ok: true; records: number } | { ok: false; records: number; firstBad: number };

/** POST /v1/audit/accept-end: the log accepted as it stands; the anchor moved from one record to another. */
export interface AuditEndAccepted {
  records: number;
  from: { id: number; mac: string } | null;
  to: { id: number; mac: string };
}

export interface DecommissionResult {
  integration: IntegrationView;
  archive: { file: string; checksumFile: string; sha256: string; records: number };
  keyRemoved: boolean;
  reminder: string;
}

/** What creating an integration takes: a whole definition, or a template plus the operator's part. */
export type CreateIntegration =
  | (Omit<IntegrationSpec, 'rateLimit' | 'credentialFormats'> & Partial<Pick<IntegrationSpec, 'rateLimit' | 'credentialFormats'>>)
  | {
    template: string; name: string; purpose: string; account: string; monthlyCapUsd?: number; routes?: RouteSpec[]; rateLimit?: IntegrationSpec['rateLimit'];
    baseUrl?: string; pricing?: IntegrationSpec['pricing']; credentialFormats?: IntegrationSpec['credentialFormats']; sharedBudget?: string;
  };

export type IntegrationChange = Partial<Pick<IntegrationSpec, 'purpose' | 'account' | 'routes' | 'pricing' | 'monthlyCapUsd' | 'rateLimit' | 'credentialFormats' | 'maxRequestBytes'>>
  /** null: off its shared budget. */
  & { sharedBudget?: string | null };

export type SessionStatus = 'running' | 'ended';

/** A session (POST, GET /v1/sessions…): one run of an assistant on its own agent socket. Money in dollars. */
export interface SessionView {
  id: string;
  /** Its agent socket (`run/sessions/<id>.sock`); gone once it ended. */
  socket: string;
  purpose: string;
  /** Its own budget over its whole life; null: none (the caps still hold). */
  budgetUsd: number | null;
  /** The integrations it may reach; null: every approved one. */
  integrations: string[] | null;
  /** The process it ends with, if any. */
  owner: number | null;
  status: SessionStatus;
  startedAt: string;
  startedBy: string;
  endedAt: string | null;
  endReason: string | null;
  spentUsd: number;
  /** In flight: reserved by calls not settled yet. */
  reservedUsd: number;
  /** What is left of its budget; null without one. */
  remainingUsd: number | null;
  /** Its calls so far, refused ones too. */
  calls: number;
}

/** What starting a session takes (POST /v1/sessions). */
export interface CreateSession {
  purpose: string;
  budgetUsd?: number;
  integrations?: string[];
  /** A process id: the session ends by itself when that process exits. */
  owner?: number;
}

/** `{"error":{code,message,details}}` of a refused control request. */
export interface ControlErrorBody {
  error: { code: string; message: string; details?: unknown };
}
