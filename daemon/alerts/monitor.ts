// What the pipeline reports after each call, turned into alerts: detectors, spend milestones,
// and the failures that need a human (a rejected key, a keychain that fails, a dead audit log).
import type { Integration } from '../integrations/integration.ts';
import type { Registry } from '../integrations/registry.ts';
import type { DaemonEvent, EventBus } from '../events.ts';
import { microsToUsd, type Micros, usdOfMicros } from '../money.ts';
import type { Period } from '../period.ts';
import type { Alerts } from './alerts.ts';
import type { CallObservation, Detectors } from './detectors.ts';
import { capReached, crossedThreshold } from './thresholds.ts';

const hour = (at: number): string => new Date(at).toISOString().slice(0, 13);
const SPEND_EVENT_MS = 1_000;

export class Monitor {
  private readonly alerts: Alerts;
  private readonly detectors: Detectors;
  private readonly registry: Registry;
  private readonly bus: EventBus;
  private readonly pendingSpend = new Map<string, Extract<DaemonEvent, { type: 'spend' }>>();
  private spendTimer: NodeJS.Timeout | null = null;
  /** The daemon's time zone (settings.timeZone), the reset day in alerts is named in. */
  private readonly timeZone: () => string;

  constructor(alerts: Alerts, detectors: Detectors, registry: Registry, bus: EventBus, timeZone: () => string) {
    this.alerts = alerts;
    this.timeZone = timeZone;
    this.detectors = detectors;
    this.registry = registry;
    this.bus = bus;
  }

  call(obs: CallObservation): void {
    for (const draft of this.detectors.observe(obs)) this.alerts.raise(draft);
  }

  /** Spend moved from `before` to `after` (micro-dollars) for an integration, or all of them (null). */
  spend(subject: string | null, before: Micros, after: Micros, cap: Micros, period: Period): void {
    const draft = crossedThreshold(subject, before, after, cap, period.id, period.resetsAt, this.timeZone());
    if (draft) this.alerts.raise(draft);
    if (subject !== null) this.announceSpend(subject, after, cap);
  }

  /** Tells control clients (the tray) that spend moved: at most once a second per integration, with the latest figure. */
  private announceSpend(integration: string, spent: Micros, cap: Micros): void {
    this.pendingSpend.set(integration, { type: 'spend', integration, spentUsd: microsToUsd(spent), capUsd: microsToUsd(cap) });
    this.spendTimer ??= setTimeout(() => {
      this.spendTimer = null;
      const pending = [...this.pendingSpend.values()];
      this.pendingSpend.clear();
      for (const e of pending) this.bus.emit(e);
    }, SPEND_EVENT_MS).unref();
  }

  capReached(subject: string | null, spent: Micros, cap: Micros, period: Period): void {
    this.alerts.raise(capReached(subject, spent, cap, period.id, period.resetsAt, this.timeZone()));
  }

  /** The provider answered 401/403: the key is rejected, so the integration stops until the operator acts. */
  keyRejected(integration: Integration, status: number, at: number): void {
    this.suspend(integration, `the provider rejected its key (HTTP ${status})`, at);
    this.alerts.raise({
      tier: 'critical',
      kind: 'key_rejected',
      dedupeKey: `key_rejected:${integration.name}:${hour(at)}`,
      integration: integration.name,
      title: `Key rejected: ${integration.name}`,
      message: `${integration.host} answered HTTP ${status}, so ${integration.name} is suspended. Check the key at the provider, then set a new key or resume it.`,
    });
  }

  /** Stops an integration until the operator acts, and tells the tray. */
  private suspend(integration: Integration, reason: string, at: number): void {
    this.registry.setStatus(integration.name, 'suspended', reason, at);
    this.bus.emit({ type: 'integration', name: integration.name, status: 'suspended' });
  }

  keychainFailed(integration: Integration, detail: string, at: number): void {
    this.alerts.raise({
      tier: 'critical',
      kind: 'keychain',
      dedupeKey: `keychain:${integration.name}:${hour(at)}`,
      integration: integration.name,
      title: 'Keychain unavailable',
      message: `The key for ${integration.name} could not be read (${detail}). Unlock the OS keychain, or set the key again.`,
    });
  }

  circuitOpened(integration: Integration, at: number): void {
    this.alerts.raise({
      tier: 'warning',
      kind: 'circuit_open',
      dedupeKey: `circuit_open:${integration.name}:${hour(at)}`,
      integration: integration.name,
      title: `Provider failing: ${integration.name}`,
      message: `${integration.host} failed several times in a row; calls fail fast for a while. Check the provider's status page.`,
    });
  }

  costOverMax(integration: Integration, cost: Micros, at: number): void {
    this.alerts.raise({
      tier: 'warning',
      kind: 'cost_over_max',
      dedupeKey: `cost_over_max:${integration.name}:${hour(at)}`,
      integration: integration.name,
      title: `Cost above its maximum: ${integration.name}`,
      message: `A call cost ${usdOfMicros(cost)}, above the integration's maxPerRequestUsd, so reservations under-estimate it. Raise the maximum.`,
    });
  }

  /**
   * A model provider reported more than a call reserved: the bound was wrong, or the provider
   * misreports. The cost is recorded as reported; the integration stops until the operator acts.
   */
  costOverReservation(integration: Integration, cost: Micros, reserved: Micros, model: string | null, at: number): void {
    this.suspend(integration, `a call cost ${usdOfMicros(cost)}, more than the ${usdOfMicros(reserved)} it reserved`, at);
    this.alerts.raise({
      tier: 'critical',
      kind: 'cost_over_reservation',
      dedupeKey: `cost_over_reservation:${integration.name}:${hour(at)}`,
      integration: integration.name,
      title: `Cost above its reservation: ${integration.name}`,
      message: `${integration.host} reported ${usdOfMicros(cost)} for a call${model ? ` to ${model}` : ''} that reserved at most ${usdOfMicros(reserved)}. It is recorded as reported, and ${integration.name} is suspended: the caps cannot hold if costs pass their reservations. Check the model's prices and the provider's usage, then resume it.`,
    });
  }

  /** A request carried a well-known credential format, sent because its integration records such formats. */
  credentialRecorded(integration: Integration, rule: string, title: string, at: number): void {
    this.alerts.raise({
      tier: 'warning',
      kind: 'credential_recorded',
      // Once a day per format: the point is to know it happens, not to count it (the audit does).
      dedupeKey: `credential_recorded:${integration.name}:${rule}:${new Date(at).toISOString().slice(0, 10)}`,
      integration: integration.name,
      title: `Credential format sent: ${integration.name}`,
      message: `A request to ${integration.host} carried what looks like ${title} (rule ${rule}). It was sent, since ${integration.name} records such formats instead of blocking them; Activity shows each call. If that is not expected, run "tollgate credential-formats ${integration.name} block".`,
    });
  }

  auditFailed(at: number): void {
    this.alerts.raise({
      tier: 'critical',
      kind: 'audit_unavailable',
      dedupeKey: `audit_unavailable:${hour(at)}`,
      integration: null,
      title: 'Audit log cannot be written',
      message: 'Tollgate refuses calls until its database can be written again. Check free disk space and the data folder\'s permissions.',
    });
  }
}
