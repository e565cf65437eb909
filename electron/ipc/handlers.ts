// What each call of the window does, in the main process: reads go straight to the control
// socket; every change is first described and confirmed by the operator (a native dialog), and
// only then sent. Plain functions: the Electron wiring (ipc.ts) and the browser test bridge use them.
import { ControlRequestError, DaemonNotRunning, type ControlClient } from '../../daemon/client/control-client.ts';
import { type ChangeDescription, describeChange } from '../../daemon/client/changes.ts';
import type { CreateIntegration, Template } from '../../daemon/control-types.ts';
import type { CallName, DaemonState, Done, Reply, TollgateCalls } from './api.ts';

export interface HandlerDeps {
  client: ControlClient;
  /** Shows the change and resolves true only when the operator confirms it. */
  confirm(change: ChangeDescription): Promise<boolean>;
  daemon: { state(): Promise<DaemonState>; start(): Promise<DaemonState> };
}

export type Handlers = { [K in CallName]: (...args: Parameters<TollgateCalls[K]>) => Promise<ReturnType<TollgateCalls[K]>> };

export function createHandlers({ client, confirm, daemon }: HandlerDeps): Handlers {
  /** Runs `act` only after the operator confirmed `change`. */
  const confirmed = async <T>(description: ChangeDescription, act: () => Promise<T>): Promise<Done<T>> =>
    (await confirm(description)) ? { done: true, value: await act() } : { done: false };
  /** The template a definition names: its host, routes, auth and pricing are part of what is confirmed. */
  const templateOf = async (body: CreateIntegration): Promise<Template | undefined> =>
    ('template' in body ? (await client.templates()).find((t) => t.id === body.template) : undefined);

  return {
    daemonState: () => daemon.state(),
    startDaemon: () => daemon.start(),
    spend: () => client.spend(),
    ledger: () => client.ledger(),
    templates: () => client.templates(),
    integrations: () => client.integrations(),
    audit: (filter) => client.audit(filter),
    verifyAudit: () => client.verifyAudit(),
    alerts: (filter) => client.alerts(filter),
    proposals: (status) => client.proposals(status),
    sessions: () => client.sessions(),
    settings: () => client.settings(),
    ackAlert: (id) => client.ackAlert(id),
    ackAlerts: (which) => client.ackAlerts(which),
    rejectProposal: (id, reason) => client.rejectProposal(id, reason),

    createIntegration: async (body, key) =>
      confirmed(withKey(describeChange({ kind: 'create', integration: body, template: await templateOf(body) }), key), async () => {
        const created = await client.createIntegration(body);
        return key ? client.setKey(created.name, key) : created;
      }),
    updateIntegration: async (name, change) =>
      confirmed(describeChange({ kind: 'update', before: await client.integration(name), change }), () => client.updateIntegration(name, change)),
    setKey: async (name, key) =>
      confirmed(describeChange({ kind: 'set_key', integration: await client.integration(name) }), () => client.setKey(name, key)),
    resume: async (name) =>
      confirmed(describeChange({ kind: 'resume', integration: await client.integration(name) }), () => client.resume(name)),
    approveProposal: async (id, body, key) => {
      const proposal = (await client.proposals()).find((p) => p.id === id);
      if (!proposal) throw new ControlRequestError(404, { code: 'not_found', message: `No proposal ${id}.` });
      if (!('integration' in body)) {
        const cap = body.monthlyCapUsd === undefined ? {} : { monthlyCapUsd: body.monthlyCapUsd };
        if (proposal.body.kind !== 'raise_cap') throw new ControlRequestError(400, { code: 'invalid', message: `Proposal ${id} asks for a new integration: approve it with its definition.` });
        const before = await client.integration(proposal.body.integration);
        return confirmed(describeChange({ kind: 'approve_cap', proposal, before, ...cap }), () => client.approveProposal(id, body));
      }
      const template = await templateOf(body.integration);
      return confirmed(withKey(describeChange({ kind: 'approve', proposal, integration: body.integration, template }), key), async () => {
        const approved = await client.approveProposal(id, body);
        return key ? { ...approved, integration: await client.setKey(approved.integration.name, key) } : approved;
      });
    },
    suspend: async (name) =>
      confirmed(describeChange({ kind: 'suspend', integration: await client.integration(name) }), () => client.suspend(name)),
    decommission: async (name) =>
      confirmed(describeChange({ kind: 'decommission', integration: await client.integration(name) }), () => client.decommission(name)),
    suspendAll: async () => {
      const names = (await client.integrations()).filter((i) => i.status === 'active').map((i) => i.name);
      return confirmed(describeChange({ kind: 'suspend_all', names }), () => client.suspendAll());
    },
    updateSettings: async (change) =>
      confirmed(describeChange({ kind: 'settings', before: await client.settings(), change }), () => client.updateSettings(change)),
    stopSession: async (id) =>
      confirmed(describeChange({ kind: 'stop_session', session: await client.session(id) }), () => client.stopSession(id)),
  };
}

/** The same change, saying that its key goes along. */
function withKey(d: ChangeDescription, key: string | undefined): ChangeDescription {
  return key ? { ...d, details: [...d.details, 'Its key goes into the OS keychain.'] } : d;
}

/** Runs a handler for the window: a value, or the refusal as data (errors do not cross IPC well). */
export async function toReply<T>(run: () => Promise<T>): Promise<Reply<T>> {
  try {
    return { ok: true, value: await run() };
  } catch (e) {
    if (e instanceof ControlRequestError) return { ok: false, error: { code: e.code, message: e.message } };
    if (e instanceof DaemonNotRunning) return { ok: false, error: { code: 'daemon_not_running', message: e.message } };
    return { ok: false, error: { code: 'internal', message: e instanceof Error ? e.message : String(e) } };
  }
}
