// The one channel map between the window and the main process. Main registers a handler per
// entry, the preload exposes a function per entry, and the window calls them through
// `window.tollgate`: all three are derived from this file.
import type { AuditFilter } from '../../daemon/client/control-client.ts';
import type {
  AckSelection, Alert, AuditRecord, CreateIntegration, DecommissionResult, IntegrationChange, IntegrationView, LedgerView, Proposal, SessionView,
  Settings, SpendReport, Template, Tier, VerifyResult,
} from '../../daemon/control-types.ts';

export interface DaemonState {
  running: boolean;
  version: string | null;
  controlSocket: string;
}

/** What each call takes and gives. Changes resolve to `Done<T>`: the operator may cancel them in the confirmation dialog. */
export interface TollgateCalls {
  daemonState(): DaemonState;
  startDaemon(): DaemonState;
  spend(): SpendReport;
  ledger(): LedgerView;
  templates(): Template[];
  integrations(): IntegrationView[];
  audit(filter: AuditFilter): AuditRecord[];
  verifyAudit(): VerifyResult;
  alerts(filter: { tier?: Tier; open?: boolean; limit?: number }): Alert[];
  proposals(status?: Proposal['status']): Proposal[];
  sessions(): SessionView[];
  settings(): Settings;
  ackAlert(id: number): Alert;
  /** Acknowledges open alerts at once; resolves to how many. */
  ackAlerts(which: AckSelection): number;
  rejectProposal(id: string, reason?: string): Proposal;
  // Each of these raises a native confirmation dialog in main that names exactly what changes.
  createIntegration(body: CreateIntegration, key?: string): Done<IntegrationView>;
  updateIntegration(name: string, change: IntegrationChange): Done<IntegrationView>;
  setKey(name: string, key: string): Done<IntegrationView>;
  resume(name: string): Done<IntegrationView>;
  /** A new integration's key may come along, confirmed in the same dialog. */
  approveProposal(id: string, body: { monthlyCapUsd?: number } | { integration: CreateIntegration }, key?: string): Done<{ proposal: Proposal; integration: IntegrationView }>;
  suspend(name: string): Done<IntegrationView>;
  decommission(name: string): Done<DecommissionResult>;
  suspendAll(): Done<string[]>;
  updateSettings(change: Partial<Settings>): Done<Settings>;
  stopSession(id: string): Done<SessionView>;
}

export type Done<T> = { done: true; value: T } | { done: false };

export type CallName = keyof TollgateCalls;

/** Every call, and whether it changes anything (those are confirmed in main before they happen). */
export const CALLS = {
  daemonState: { changes: false },
  startDaemon: { changes: false },
  spend: { changes: false },
  ledger: { changes: false },
  templates: { changes: false },
  integrations: { changes: false },
  audit: { changes: false },
  verifyAudit: { changes: false },
  alerts: { changes: false },
  proposals: { changes: false },
  sessions: { changes: false },
  settings: { changes: false },
  ackAlert: { changes: false },
  ackAlerts: { changes: false },
  rejectProposal: { changes: false },
  createIntegration: { changes: true },
  updateIntegration: { changes: true },
  setKey: { changes: true },
  resume: { changes: true },
  approveProposal: { changes: true },
  suspend: { changes: true },
  decommission: { changes: true },
  suspendAll: { changes: true },
  updateSettings: { changes: true },
  stopSession: { changes: true },
} as const satisfies Record<CallName, { changes: boolean }>;

export const CALL_NAMES = Object.keys(CALLS) as CallName[];

/** The IPC channel of a call. */
export const channelOf = (name: CallName): string => `tollgate:${name}`;

/** What crosses IPC back: a value, or a refusal with the daemon's code and message. */
export type Reply<T> = { ok: true; value: T } | { ok: false; error: { code: string; message: string } };

/** Pushed from main to the window. */
export type MainEvent =
  | { type: 'daemon'; state: DaemonState }
  | { type: 'alert'; alert: Alert }
  | { type: 'changed'; what: 'integrations' | 'alerts' | 'proposals' | 'spend' | 'sessions' }
  /** A notification was clicked: show that alert. */
  | { type: 'show_alert'; id: number };

export const EVENT_CHANNEL = 'tollgate:event';

/** The object the preload puts on `window.tollgate`. */
export type TollgateBridge = {
  [K in CallName]: (...args: Parameters<TollgateCalls[K]>) => Promise<Reply<ReturnType<TollgateCalls[K]>>>;
} & {
  onEvent(listener: (e: MainEvent) => void): () => void;
};
