// A stand-in for the preload's `window.tollgate`: records every call and answers from fixtures,
// unless a test says otherwise. Only the Electron wiring is faked; the window's code is real.
import { act } from '@testing-library/react';
import { CALL_NAMES, type CallName, type Done, type MainEvent, type Reply, type TollgateBridge, type TollgateCalls } from '../../electron/ipc/api.ts';
import * as f from './fixtures.ts';

type Value<K extends CallName> = ReturnType<TollgateCalls[K]>;
export type Responder<K extends CallName> = (...args: Parameters<TollgateCalls[K]>) => Reply<Value<K>> | Promise<Reply<Value<K>>>;
type Responders = { [K in CallName]: Responder<K> };

export const ok = <T>(value: T): Reply<T> => ({ ok: true, value });
export const done = <T>(value: T): Reply<Done<T>> => ok({ done: true, value });
/** The operator closed main's confirmation dialog without confirming. */
export const cancelled = (): Reply<Done<never>> => ok({ done: false });
export const refused = (code: string, message: string): Reply<never> => ({ ok: false, error: { code, message } });

function defaults(): Responders {
  return {
    daemonState: () => ok(f.daemonUp),
    startDaemon: () => ok(f.daemonUp),
    spend: () => ok(f.spendReport),
    ledger: () => ok(f.noLedger),
    templates: () => ok([f.braveTemplate, f.exaTemplate]),
    integrations: () => ok([f.integration('brave-search'), f.integration('exa', { status: 'suspended', statusReason: 'key rejected by the provider (401)' })]),
    audit: () => ok([]),
    verifyAudit: () => ok({ ok: true, records: 0 }),
    alerts: () => ok([]),
    proposals: () => ok([]),
    sessions: () => ok([]),
    settings: () => ok(f.settings),
    ackAlert: (id) => ok(f.alert(id, { ackedAt: Date.now() })),
    ackAlerts: (which) => ok('ids' in which ? which.ids.length : 0),
    rejectProposal: (id, reason) => ok({ ...f.newIntegrationProposal, id, status: 'rejected', note: reason ?? null }),
    createIntegration: (body) => done(f.integration(body.name)),
    updateIntegration: (name) => done(f.integration(name)),
    setKey: (name) => done(f.integration(name)),
    resume: (name) => done(f.integration(name)),
    approveProposal: (id) => done({ proposal: { ...f.newIntegrationProposal, id, status: 'approved' }, integration: f.integration('exa-research') }),
    suspend: (name) => done(f.integration(name, { status: 'suspended' })),
    decommission: (name) => done(f.decommissionResult(name)),
    suspendAll: () => done(['brave-search']),
    updateSettings: () => done(f.settings),
    stopSession: (id) => done(f.session(id, { status: 'ended', endedAt: '2026-09-05T12:00:00.000Z', endReason: 'stopped by the operator' })),
  };
}

export class FakeBridge {
  readonly calls: { name: CallName; args: unknown[] }[] = [];
  private readonly responders: Responders = defaults();
  private readonly listeners = new Set<(e: MainEvent) => void>();

  respond<K extends CallName>(name: K, responder: Responder<K>): this {
    (this.responders as Record<K, Responder<K>>)[name] = responder;
    return this;
  }

  callsOf<K extends CallName>(name: K): Parameters<TollgateCalls[K]>[] {
    return this.calls.filter((c) => c.name === name).map((c) => c.args as Parameters<TollgateCalls[K]>);
  }

  /** Pushes an event as main would, inside act() so React settles. */
  emit(e: MainEvent): void {
    act(() => this.listeners.forEach((listener) => listener(e)));
  }

  get bridge(): TollgateBridge {
    const calls = Object.fromEntries(
      CALL_NAMES.map((name) => [
        name,
        async (...args: unknown[]) => {
          this.calls.push({ name, args });
          return (this.responders[name] as (...a: unknown[]) => unknown)(...args);
        },
      ]),
    ) as Omit<TollgateBridge, 'onEvent'>;
    return {
      ...calls,
      onEvent: (listener) => {
        this.listeners.add(listener);
        return () => {
          this.listeners.delete(listener);
        };
      },
    };
  }
}
