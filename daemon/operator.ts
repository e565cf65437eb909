// Everything the operator can do, as plain methods. The control socket (tray, CLI) is the only
// caller; no route of the agent socket reaches this module.
import { z } from 'zod';
import type { SpendReport } from './control-types.ts';
import { type Archive, writeArchive } from './audit/archive.ts';
import type { AuditLog } from './audit/log.ts';
import type { Clock } from './clock.ts';
import type { Db } from './db/open.ts';
import { ControlError } from './errors.ts';
import type { EventBus } from './events.ts';
import type { Integration } from './integrations/integration.ts';
import { newKeyLiftsSuspension, type Registry } from './integrations/registry.ts';
import { integrationPatchSchema, integrationSchema, type IntegrationSpec, pricingSchema, rateLimitSchema, routeSchema, type Template } from './integrations/schema.ts';
import { instantiate } from './integrations/templates.ts';
import type { Fingerprinter } from './keychain/fingerprint.ts';
import { type Keychain, KeychainUnavailableError } from './keychain/keychain.ts';
import type { Ledger } from './ledger/ledger.ts';
import { microsToUsd, usdToMicros } from './money.ts';
import type { Calendar } from './period.ts';
import type { Circuits } from './pipeline/circuit.ts';
import type { Proposal, Proposals } from './proposals.ts';
import { type Settings, settingsSchema, settingsPatchSchema, saveSettings } from './settings.ts';

export const createSchema = z.union([
  integrationSchema,
  z.strictObject({
    template: z.string(),
    name: integrationSchema.shape.name,
    purpose: integrationSchema.shape.purpose,
    account: integrationSchema.shape.account,
    monthlyCapUsd: integrationSchema.shape.monthlyCapUsd.optional(),
    routes: z.array(routeSchema).min(1).optional(),
    rateLimit: rateLimitSchema.optional(),
    // A template's own fields, overridden: a regional endpoint or a company's gateway, other prices.
    baseUrl: integrationSchema.shape.baseUrl.optional(),
    pricing: pricingSchema.optional(),
    credentialFormats: integrationSchema.shape.credentialFormats.unwrap().optional(),
    sharedBudget: integrationSchema.shape.sharedBudget,
  }),
]);

export const keySchema = z.strictObject({ key: z.string().min(8, 'a key is at least 8 characters').max(4096).regex(/^[\x21-\x7e]+$/, 'a key is printable ASCII without spaces') });

export interface OperatorDeps {
  db: Db;
  clock: Clock;
  registry: Registry;
  ledger: Ledger;
  audit: AuditLog;
  proposals: Proposals;
  keychain: Keychain;
  keyFingerprint: Fingerprinter;
  keyRollingHash: (key: string) => number;
  templates: ReadonlyMap<string, Template>;
  circuits: Circuits;
  bus: EventBus;
  calendar: Calendar;
  archiveDir: string;
  settings: () => Settings;
  applySettings: (s: Settings) => void;
  /** The stored-key set the credential scanner matches against changed. */
  keysChanged: () => void;
}

/** Who acted: the OS user that owns the control socket, and through which client. */
export type Actor = string;

export class Operator {
  private readonly d: OperatorDeps;

  constructor(deps: OperatorDeps) {
    this.d = deps;
  }

  private now(): number {
    return this.d.clock.now();
  }

  private changed(i: Integration): Integration {
    this.d.bus.emit({ type: 'integration', name: i.name, status: i.status });
    return i;
  }

  templates(): Template[] {
    return [...this.d.templates.values()];
  }

  create(input: z.infer<typeof createSchema>, by: Actor): Integration {
    let spec: IntegrationSpec;
    // A whole definition has its auth; a template's fields never do.
    if ('auth' in input) spec = input;
    else {
      const template = this.d.templates.get(input.template);
      if (!template) throw new ControlError('invalid', `No template named ${input.template}. Templates: ${[...this.d.templates.keys()].join(', ')}.`);
      spec = instantiate(template, input);
    }
    return this.changed(this.d.registry.create(spec, by, this.now()));
  }

  patch(name: string, body: unknown): Integration {
    const patch = integrationPatchSchema.parse(body);
    // null takes it off its shared budget: the field is left out of the merged definition.
    const merged = patch.sharedBudget === null ? { ...patch, sharedBudget: undefined } : patch;
    return this.changed(this.d.registry.patch(name, merged, this.now()));
  }

  /** Straight into the keychain; only a keyed fingerprint stays in the database. */
  async setKey(name: string, body: unknown): Promise<Integration> {
    const { key } = keySchema.parse(body);
    const integration = this.d.registry.requireLive(name);
    const fingerprint = this.d.keyFingerprint(key);
    const holder = this.d.registry.keyHolder(fingerprint, name);
    if (holder) throw new ControlError('key_in_use', `That key is already used by ${holder}. Each integration needs its own key, from its own provider account.`);
    try {
      await this.d.keychain.set(name, key);
    } catch (e) {
      if (e instanceof KeychainUnavailableError) throw new ControlError('keychain_unavailable', `${e.message}. Unlock the keychain and try again.`);
      throw e;
    }
    this.d.registry.setKeyFingerprint(name, { fingerprint, length: key.length, rolling: this.d.keyRollingHash(key) }, this.now());
    // A new key is the operator's answer to a rejected one.
    if (newKeyLiftsSuspension(integration)) {
      this.d.registry.setStatus(name, 'active', null, this.now());
    }
    this.d.circuits.reset(name);
    this.d.keysChanged();
    return this.changed(this.d.registry.require(name));
  }

  suspend(name: string, reason: string | null): Integration {
    // Suspending again without a reason keeps the reason it was suspended for.
    const before = this.d.registry.requireLive(name);
    const kept = before.status === 'suspended' ? before.statusReason : null;
    return this.changed(this.d.registry.setStatus(name, 'suspended', reason ?? kept ?? 'suspended by the operator', this.now()));
  }

  resume(name: string): Integration {
    const i = this.d.registry.requireLive(name);
    if (i.status !== 'suspended') throw new ControlError('conflict', `${name} is not suspended.`);
    this.d.circuits.reset(name);
    return this.changed(this.d.registry.setStatus(name, 'active', null, this.now()));
  }

  suspendAll(reason: string | null): Integration[] {
    return this.d.registry.live().filter((i) => i.status === 'active').map((i) => this.suspend(i.name, reason ?? 'kill switch: all integrations suspended by the operator'));
  }

  async decommission(name: string): Promise<{ integration: Integration; archive: Archive; keyRemoved: boolean; reminder: string }> {
    const integration = this.d.registry.requireLive(name);
    let keyRemoved: boolean;
    try {
      keyRemoved = await this.d.keychain.delete(name);
    } catch (e) {
      // No dormant keys: decommissioning stops here rather than leave a key behind.
      if (e instanceof KeychainUnavailableError) throw new ControlError('keychain_unavailable', `${e.message}. Unlock the keychain and decommission again.`);
      throw e;
    }
    const done = this.d.registry.decommission(name, this.now());
    const archive = writeArchive(this.d.archiveDir, name, this.now(), this.d.audit.forIntegration(name));
    return {
      integration: this.changed(done),
      archive,
      keyRemoved,
      reminder: `Revoke the key of ${name} at the provider (${integration.spec.baseUrl}, account ${integration.spec.account}): Tollgate removed its copy, but only the provider can make the key useless.`,
    };
  }

  spend(): SpendReport {
    const at = this.now();
    const settings = this.d.settings();
    const period = this.d.calendar.periodAt(at);
    const globalCap = settings.globalCapUsd === null ? null : usdToMicros(settings.globalCapUsd);
    const integrations = this.d.registry.list().map((i) => {
      const u = this.d.ledger.usage(i.id, at);
      return {
        name: i.name, status: i.status, spentUsd: microsToUsd(u.spent), reservedUsd: microsToUsd(u.reserved),
        capUsd: microsToUsd(i.cap), remainingUsd: microsToUsd(this.d.ledger.remaining(i.id, { integration: i.cap, global: globalCap }, at)),
      };
    });
    const daily = this.d.db.prepare(`SELECT d.day, i.name AS integration, d.spent, d.calls FROM spend_daily d JOIN integrations i ON i.id = d.integration_id
      WHERE d.day >= ? ORDER BY d.day, i.name`).all(period.id) as { day: string; integration: string; spent: number; calls: number }[];
    const periods = this.d.db.prepare(`SELECT s.period, i.name AS integration, s.spent, s.calls FROM spend s JOIN integrations i ON i.id = s.integration_id
      ORDER BY s.period DESC, i.name LIMIT 1000`).all() as { period: string; integration: string; spent: number; calls: number }[];
    return {
      period: { id: period.id, startsAt: new Date(period.startsAt).toISOString(), resetsAt: new Date(period.resetsAt).toISOString(), timeZone: settings.timeZone },
      globalCapUsd: settings.globalCapUsd,
      totalSpentUsd: microsToUsd(integrations.reduce((s, i) => s + usdToMicros(i.spentUsd), 0)),
      integrations,
      daily: daily.map((d) => ({ day: d.day, integration: d.integration, spentUsd: microsToUsd(d.spent), calls: d.calls })),
      periods: periods.map((p) => ({ period: p.period, integration: p.integration, spentUsd: microsToUsd(p.spent), calls: p.calls })),
    };
  }

  updateSettings(body: unknown): Settings {
    const next = settingsSchema.parse({ ...this.d.settings(), ...settingsPatchSchema.parse(body) });
    saveSettings(this.d.db, next);
    this.d.applySettings(next);
    return next;
  }

  /**
   * Approving: a new integration is created from the operator's final definition (the
   * proposal only suggests one); a higher cap is set to what the operator confirms.
   */
  approve(id: string, body: unknown, by: Actor): { proposal: Proposal; integration: Integration } {
    const p = this.d.proposals.requirePending(id);
    let integration: Integration;
    if (p.body.kind === 'raise_cap') {
      const { monthlyCapUsd } = z.strictObject({ monthlyCapUsd: z.number().positive().optional() }).parse(body ?? {});
      integration = this.patch(p.body.integration, { monthlyCapUsd: monthlyCapUsd ?? p.body.monthlyCapUsd });
    } else {
      const { integration: def } = z.strictObject({ integration: createSchema }).parse(body ?? {});
      integration = this.create(def, by);
    }
    const proposal = this.d.proposals.decide(id, 'approved', by, null, this.now());
    this.d.bus.emit({ type: 'proposal', id, status: 'approved' });
    return { proposal, integration };
  }

  reject(id: string, body: unknown, by: Actor): Proposal {
    const { reason } = z.strictObject({ reason: z.string().max(1000).optional() }).parse(body ?? {});
    const proposal = this.d.proposals.decide(id, 'rejected', by, reason ?? null, this.now());
    this.d.bus.emit({ type: 'proposal', id, status: 'rejected' });
    return proposal;
  }
}
