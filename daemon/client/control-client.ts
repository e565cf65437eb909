// A typed client of the control socket: the CLI and the tray's main process use it. It carries
// no native module and never touches the database or the keychain: the daemon does.
import type { IncomingMessage } from 'node:http';
import type {
  AckSelection, Alert, AuditEndAccepted, AuditRecord, ControlErrorBody, CreateIntegration, CreateSession, DecommissionResult, IntegrationChange,
  IntegrationView, LedgerView, Proposal, SessionView, Settings, SpendReport, Template, Tier, VerifyResult,
} from '../control-types.ts';

// Not `import … from 'node:http'`: importing a built-in as an ES module evaluates every lazy export
// it has, and node:http's WebSocket and EventSource load Node's own undici, HTTP/2 and TLS (~40 ms
// a command).
const { Agent, request } = process.getBuiltinModule('node:http');

export class DaemonNotRunning extends Error {
  constructor(socketPath: string) {
    super(`the Tollgate daemon is not running (no answer on ${socketPath}); start it with "tollgate start" (or "tollgate daemon")`);
    this.name = 'DaemonNotRunning';
  }
}

/** The daemon refused a control request; `code` is its stable error code. */
export class ControlRequestError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details: unknown;
  constructor(status: number, body: ControlErrorBody['error']) {
    super(body.message);
    this.name = 'ControlRequestError';
    this.code = body.code;
    this.status = status;
    this.details = body.details;
  }
}

export type AuditFilter = {
  integration?: string;
  outcome?: string;
  session?: string;
  before?: number;
  since?: number;
  until?: number;
  limit?: number;
};

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export class ControlClient {
  readonly socketPath: string;
  private readonly client: string;
  // node:http rather than undici: a command of the CLI starts in half the time without undici's
  // hundred modules (and the builtins they load: TLS, HTTP/2, web streams, workers).
  private readonly agent = new Agent({ keepAlive: true });

  /** `client` names the caller in the audit of who approved what ("cli", "tray"). */
  constructor(socketPath: string, client: string) {
    this.socketPath = socketPath;
    this.client = client;
  }

  private send(method: Method, path: string, body?: unknown, o: { client?: string; signal?: AbortSignal } = {}): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const req = request({
        socketPath: this.socketPath, agent: this.agent, method, path, signal: o.signal,
        headers: { 'content-type': 'application/json', 'tollgate-client': o.client ?? this.client },
      }, resolve);
      req.once('error', (e: NodeJS.ErrnoException) => reject(e.code === 'ENOENT' || e.code === 'ECONNREFUSED' ? new DaemonNotRunning(this.socketPath) : e));
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });
  }

  async call<T>(method: Method, path: string, body?: unknown): Promise<T> {
    const res = await this.send(method, path, body);
    let text = '';
    for await (const chunk of res.setEncoding('utf8')) text += chunk;
    const json = JSON.parse(text) as T & Partial<ControlErrorBody>;
    const status = res.statusCode ?? 500;
    if (status >= 400) throw new ControlRequestError(status, json.error ?? { code: 'internal', message: `HTTP ${status}` });
    return json;
  }

  async isRunning(): Promise<boolean> {
    try {
      await this.call('GET', '/v1/health');
      return true;
    } catch {
      return false;
    }
  }

  // Reading
  health = () => this.call<{ ok: true; version: string }>('GET', '/v1/health');
  templates = async () => (await this.call<{ templates: Template[] }>('GET', '/v1/templates')).templates;
  integrations = async () => (await this.call<{ integrations: IntegrationView[] }>('GET', '/v1/integrations')).integrations;
  integration = async (name: string) => (await this.call<{ integration: IntegrationView }>('GET', `/v1/integrations/${enc(name)}`)).integration;
  spend = () => this.call<SpendReport>('GET', '/v1/spend');
  /** The shared ledger (PostgreSQL) and its budgets, with the spend of every machine. */
  ledger = () => this.call<LedgerView>('GET', '/v1/ledger');
  settings = async () => (await this.call<{ settings: Settings }>('GET', '/v1/settings')).settings;
  audit = async (f: AuditFilter = {}) => (await this.call<{ records: AuditRecord[] }>('GET', `/v1/audit${query(f)}`)).records;
  verifyAudit = () => this.call<VerifyResult>('GET', '/v1/audit/verify');
  acceptAuditEnd = () => this.call<AuditEndAccepted>('POST', '/v1/audit/accept-end');
  alerts = async (f: { tier?: Tier; open?: boolean; limit?: number } = {}) => (await this.call<{ alerts: Alert[] }>('GET', `/v1/alerts${query(f)}`)).alerts;
  proposals = async (status?: Proposal['status']) => (await this.call<{ proposals: Proposal[] }>('GET', `/v1/proposals${query({ status })}`)).proposals;
  /** Running sessions, then recent ended ones, each with its spend now. */
  sessions = async () => (await this.call<{ sessions: SessionView[] }>('GET', '/v1/sessions')).sessions;
  session = (id: string) => this.call<SessionView>('GET', `/v1/sessions/${enc(id)}`);

  /** The audit log as JSONL, streamed. */
  exportAudit(): Promise<AsyncIterable<Buffer>> {
    return this.send('GET', '/v1/audit/export');
  }

  /** Server-sent events of alerts and state changes; `tray` marks a client that raises notifications itself. */
  events(opts: { tray: boolean; signal?: AbortSignal }): Promise<AsyncIterable<Buffer>> {
    return this.send('GET', '/v1/events', undefined, { client: opts.tray ? 'tray' : this.client, signal: opts.signal });
  }

  // Changing (each one an operator's deliberate action)
  createIntegration = async (body: CreateIntegration) => (await this.call<{ integration: IntegrationView }>('POST', '/v1/integrations', body)).integration;
  updateIntegration = async (name: string, change: IntegrationChange) => (await this.call<{ integration: IntegrationView }>('PATCH', `/v1/integrations/${enc(name)}`, change)).integration;
  setKey = async (name: string, key: string) => (await this.call<{ integration: IntegrationView }>('PUT', `/v1/integrations/${enc(name)}/key`, { key })).integration;
  suspend = async (name: string, reason?: string) => (await this.call<{ integration: IntegrationView }>('POST', `/v1/integrations/${enc(name)}/suspend`, { reason })).integration;
  resume = async (name: string) => (await this.call<{ integration: IntegrationView }>('POST', `/v1/integrations/${enc(name)}/resume`)).integration;
  decommission = (name: string) => this.call<DecommissionResult>('POST', `/v1/integrations/${enc(name)}/decommission`);
  suspendAll = async (reason?: string) => (await this.call<{ suspended: string[] }>('POST', '/v1/suspend-all', { reason })).suspended;
  updateSettings = async (change: Partial<Settings>) => (await this.call<{ settings: Settings }>('PATCH', '/v1/settings', change)).settings;
  ackAlert = async (id: number) => (await this.call<{ alert: Alert }>('POST', `/v1/alerts/${id}/ack`)).alert;
  /** Acknowledges open alerts at once; resolves to how many. */
  ackAlerts = async (which: AckSelection) => (await this.call<{ acknowledged: number }>('POST', '/v1/alerts/ack', which)).acknowledged;
  approveProposal = (id: string, body: { monthlyCapUsd?: number } | { integration: CreateIntegration }) =>
    this.call<{ proposal: Proposal; integration: IntegrationView }>('POST', `/v1/proposals/${enc(id)}/approve`, body);
  rejectProposal = async (id: string, reason?: string) => (await this.call<{ proposal: Proposal }>('POST', `/v1/proposals/${enc(id)}/reject`, { reason })).proposal;
  startSession = (body: CreateSession) => this.call<SessionView>('POST', '/v1/sessions', body);
  stopSession = (id: string) => this.call<SessionView>('POST', `/v1/sessions/${enc(id)}/stop`);

  close(): Promise<void> {
    this.agent.destroy();
    return Promise.resolve();
  }
}

const enc = encodeURIComponent;

function query(params: Record<string, string | number | boolean | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
