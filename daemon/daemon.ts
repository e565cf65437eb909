// The composition root: builds the daemon's core from what the world decides (clock, keychain,
// notifier, network), so tests can hand in their own. No sockets here; see server/.
import { createHmac } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { userInfo } from 'node:os';
import type { Dispatcher } from 'undici';
import { Alerts } from './alerts/alerts.ts';
import { DEFAULT_DETECTOR_SETTINGS, type DetectorSettings, Detectors } from './alerts/detectors.ts';
import { Monitor } from './alerts/monitor.ts';
import { proposalAlert } from './alerts/proposal.ts';
import type { Notifier } from './alerts/notifier.ts';
import { AuditAnchor } from './audit/anchor.ts';
import { AuditLog, type VerifyResult } from './audit/log.ts';
import type { Clock } from './clock.ts';
import type { AuditEndAccepted } from './control-types.ts';
import { databaseId, type Db, openDatabase } from './db/open.ts';
import { ControlError, TollgateError } from './errors.ts';
import { EventBus } from './events.ts';
import { writeRegister } from './integrations/register.ts';
import { Registry } from './integrations/registry.ts';
import { loadTemplates } from './integrations/templates.ts';
import { loadDaemonSecrets } from './keychain/daemon-secrets.ts';
import { fingerprinter } from './keychain/fingerprint.ts';
import { type Keychain, KeychainUnavailableError } from './keychain/keychain.ts';
import { Ledger } from './ledger/ledger.ts';
import { SharedBudgets } from './ledger/shared/shared-budgets.ts';
import { usdToMicros } from './money.ts';
import { Operator } from './operator.ts';
import type { Paths } from './paths.ts';
import { Calendar } from './period.ts';
import { CredentialScanner, rollingBase, type StoredKey } from './pipeline/guard.ts';
import { Pipeline } from './pipeline/index.ts';
import { type ProposalBody, Proposals } from './proposals.ts';
import { Sessions } from './sessions/sessions.ts';
import { applyDurability, loadSettings, type Settings } from './settings.ts';
import { createUpstreamDispatcher } from './upstream/dispatcher.ts';

export interface DaemonOptions {
  paths: Paths;
  clock: Clock;
  keychain: Keychain;
  notifier: Notifier;
  /** The way out to providers; by default undici with the system's CAs and NODE_EXTRA_CA_CERTS. */
  dispatcher?: Dispatcher;
  templatesDir?: string;
}

function detectorSettings(s: Settings): DetectorSettings {
  return { ...DEFAULT_DETECTOR_SETTINGS, activeHours: s.activeHours && { ...s.activeHours, timeZone: s.timeZone } };
}

export class Daemon {
  readonly db: Db;
  readonly pipeline: Pipeline;
  readonly operator: Operator;
  readonly bus: EventBus;
  readonly registry: Registry;
  readonly proposals: Proposals;
  readonly sessions: Sessions;
  readonly audit: AuditLog;
  private readonly anchor: AuditAnchor;
  readonly alerts: Alerts;
  readonly ledger: Ledger;
  /** The shared ledger in PostgreSQL (budgets over several machines), when the operator set one up. */
  readonly shared: SharedBudgets;
  readonly clock: Clock;
  readonly recovered: number;
  private settings: Settings;
  private readonly scanner: CredentialScanner;
  /** The shared ledger's database password, known to the scanner as a stored key is (in memory only). */
  private ledgerPassword: StoredKey | null = null;
  /** Ours to replace when the timeouts change; null when the caller injected one. */
  private ownDispatcher: Dispatcher | null;

  private constructor(opts: DaemonOptions, secrets: { auditKey: Buffer; fingerprintKey: Buffer }) {
    const { paths, clock } = opts;
    this.clock = clock;
    mkdirSync(paths.dataDir, { recursive: true, mode: 0o700 });
    this.db = openDatabase(paths.database);
    this.settings = loadSettings(this.db);
    applyDurability(this.db, this.settings);
    const calendar = new Calendar({ timeZone: this.settings.timeZone, resetDay: this.settings.resetDay });
    this.bus = new EventBus();
    this.audit = new AuditLog(this.db, secrets.auditKey);
    this.anchor = new AuditAnchor(opts.keychain, this.audit, databaseId(this.db));
    this.ledger = new Ledger(this.db, this.audit, calendar);
    this.registry = new Registry(this.db, () => writeRegister(paths.register, this.registry.list(), clock.now()));
    writeRegister(paths.register, this.registry.list(), clock.now());
    this.alerts = new Alerts(this.db, this.bus, opts.notifier, clock);
    // Asked on every call: served from memory, written through to the database.
    const routesSeen = new Set((this.db.prepare('SELECT key FROM known_routes').pluck().all() as string[]));
    const addRoute = this.db.prepare('INSERT OR IGNORE INTO known_routes (key) VALUES (?)');
    const knownRoutes = {
      has: (key: string) => routesSeen.has(key),
      add: (key: string) => {
        routesSeen.add(key);
        try {
          addRoute.run(key);
        } catch {
          // A database that refuses writes is alerted on elsewhere; forgetting a route is harmless.
        }
      },
    };
    const detectors = new Detectors(detectorSettings(this.settings), knownRoutes);
    const monitor = new Monitor(this.alerts, detectors, this.registry, this.bus, () => this.settings.timeZone);
    const keyFingerprint = fingerprinter(secrets.fingerprintKey, 'key');
    this.scanner = new CredentialScanner(keyFingerprint, { rollingBase: rollingBase(createHmac('sha256', secrets.fingerprintKey).update('rolling').digest()) });
    this.refreshStoredKeys();
    this.ownDispatcher = opts.dispatcher ? null : createUpstreamDispatcher(this.settings.upstreamTimeouts);
    this.shared = new SharedBudgets({
      keychain: opts.keychain, clock,
      machine: () => this.settings.machineName,
      period: () => ({ timeZone: this.settings.timeZone, resetDay: this.settings.resetDay }),
      raise: (alert) => this.alerts.raise(alert),
      password: (password) => {
        this.ledgerPassword = password === null ? null : { fingerprint: keyFingerprint(password), length: password.length, rolling: this.scanner.rollingHash(password) };
        this.refreshStoredKeys();
      },
    });
    this.pipeline = new Pipeline({
      clock,
      registry: this.registry,
      ledger: this.ledger,
      keychain: opts.keychain,
      dispatcher: () => opts.dispatcher ?? this.ownDispatcher!,
      scanner: this.scanner,
      requestFingerprint: fingerprinter(secrets.fingerprintKey, 'request'),
      monitor,
      limits: () => ({
        maxResponseBytes: this.settings.maxResponseBytes,
        globalCap: this.settings.globalCapUsd === null ? null : usdToMicros(this.settings.globalCapUsd),
        globalSharedBudget: this.settings.globalSharedBudget,
      }),
      sessionActivity: (id) => this.sessions.activity(id),
      shared: this.shared,
    });
    this.proposals = new Proposals(this.db);
    this.sessions = new Sessions({ db: this.db, clock, bus: this.bus, registry: this.registry, ledger: this.ledger, paths });
    this.operator = new Operator({
      db: this.db, clock, registry: this.registry, ledger: this.ledger, audit: this.audit,
      proposals: this.proposals, keychain: opts.keychain, keyFingerprint,
      keyRollingHash: (key) => this.scanner.rollingHash(key), templates: loadTemplates(opts.templatesDir),
      circuits: this.pipeline.circuits, bus: this.bus, calendar, archiveDir: paths.archiveDir,
      settings: () => this.settings,
      applySettings: (s) => {
        const old = this.settings;
        this.settings = s;
        applyDurability(this.db, s);
        if (this.ownDispatcher && JSON.stringify(old.upstreamTimeouts) !== JSON.stringify(s.upstreamTimeouts)) {
          // Calls in flight finish on the old one.
          void this.ownDispatcher.close();
          this.ownDispatcher = createUpstreamDispatcher(s.upstreamTimeouts);
        }
        calendar.update({ timeZone: s.timeZone, resetDay: s.resetDay });
        detectors.updateSettings(detectorSettings(s));
      },
      keysChanged: () => this.refreshStoredKeys(),
    });
    this.recovered = this.ledger.recoverOpen(clock.now());
    if (this.recovered > 0) this.alertRecovered(this.recovered);
  }

  /** Calls an earlier run could not settle: a crash, a kill, or a database that refused the write. */
  private alertRecovered(count: number): void {
    this.alerts.raise({
      tier: 'warning',
      kind: 'calls_recovered',
      dedupeKey: `calls_recovered:${this.clock.now()}`,
      integration: null,
      title: 'Calls left open by an earlier stop',
      message: `${count} call(s) were still open when Tollgate last stopped (a crash, a kill, or a database that could not be written). Each is recorded with outcome "unknown" and charged its maximum. Check the Activity page, the daemon log and free disk space.`,
    });
  }

  /**
   * Opens the daemon. Refuses (throws) when the keychain cannot be used: without it there is
   * no key, no audit chain, and nothing Tollgate could safely do.
   */
  static async open(opts: DaemonOptions): Promise<Daemon> {
    const secrets = await loadDaemonSecrets(opts.keychain);
    const daemon = new Daemon(opts, secrets);
    await daemon.checkAnchor();
    await daemon.shared.load();
    // Not awaited: a database that is away must not keep the daemon (and local integrations) from starting.
    void daemon.shared.start();
    return daemon;
  }

  get settingsNow(): Settings {
    return this.settings;
  }

  /** Every stored key's fingerprint, decommissioned and rotated-out ones too: a leaked old key must not leave either. And the ledger's password. */
  private refreshStoredKeys(): void {
    const keys = this.db.prepare(`SELECT key_fingerprint AS fingerprint, key_length AS length, key_rolling AS rolling
      FROM integrations WHERE key_fingerprint IS NOT NULL
      UNION SELECT fingerprint, length, rolling FROM retired_keys`).all() as StoredKey[];
    this.scanner.setStoredKeys(this.ledgerPassword ? [...keys, this.ledgerPassword] : keys);
  }

  /** An assistant's proposal: stored, announced, never acted on by itself. */
  propose(body: ProposalBody): { id: string; status: string } {
    // Every field is stored and some are shown to the operator: none may carry a credential.
    if (this.scanner.scan(Object.values(body).flatMap((v) => (typeof v === 'object' ? [JSON.stringify(v)] : [String(v)])).join('\n'))) {
      throw new TollgateError('exfiltration_blocked', 'The proposal carries what looks like a credential. Remove it; never put keys in proposals.');
    }
    const p = this.proposals.submit(body, this.clock.now());
    this.bus.emit({ type: 'proposal', id: p.id, status: p.status });
    this.alerts.raise(proposalAlert(p.id, body));
    return { id: p.id, status: p.status };
  }

  static operatorName(client: string | undefined): string {
    const who = userInfo().username;
    return client ? `${who} (${client.slice(0, 40).replace(/[^\w.-]/g, '')})` : who;
  }

  /** Verifies the chain, and against the keychain's anchor that nothing was cut off its end. */
  async verifyAudit(): Promise<VerifyResult> {
    const { anchor } = await this.anchor.check();
    return this.audit.verify(anchor);
  }

  /**
   * The operator accepts a log whose end was cut off (RUNBOOK section 5): only when the chain
   * itself is whole, since an edited or deleted record inside it is not something to accept.
   * Leaves a warning alert saying so, as the trace of the decision.
   */
  async acceptAuditEnd(actor: string): Promise<AuditEndAccepted> {
    const { anchor } = await this.anchor.check();
    if (this.audit.verify(anchor).ok) throw new ControlError('conflict', 'The audit log verifies against its anchor: there is nothing to accept.');
    const chain = this.audit.verify(null);
    if (!chain.ok) {
      throw new ControlError('conflict', `The chain itself is broken at record ${chain.firstBad}: that is an edited or deleted record, not a shortened log, and it stays reported. Follow the runbook (section 5).`);
    }
    try {
      await this.anchor.accept();
    } catch (e) {
      if (e instanceof KeychainUnavailableError) throw new ControlError('keychain_unavailable', `${e.message}. Unlock the keychain and try again.`);
      throw e;
    }
    const to = this.audit.latest;
    this.alerts.raise({
      tier: 'warning',
      kind: 'audit_end_accepted',
      dedupeKey: `audit_end_accepted:${to.id}:${this.clock.now()}`,
      integration: null,
      title: 'Shortened audit log accepted',
      message: `${actor} accepted the audit log as it stands: it ends at record ${to.id}, where the keychain's anchor had record ${anchor?.id ?? '?'}. Records after ${to.id} are gone; keep the evidence you saved.`,
    });
    return { records: chain.records, from: anchor, to };
  }

  /** At start-up: a log that no longer holds the anchored record lost records while we were away. */
  private async checkAnchor(): Promise<void> {
    const { ok, anchor } = await this.anchor.check();
    if (ok || !anchor) return;
    this.alerts.raise({
      tier: 'critical',
      kind: 'audit_tampered',
      dedupeKey: `audit_tampered:${anchor.id}`,
      integration: null,
      title: 'Audit log shortened or edited',
      message: `The audit log no longer holds record ${anchor.id} as it was written: records were removed or changed while Tollgate was stopped. Run "tollgate audit verify" and follow the runbook.`,
    });
  }

  async close(): Promise<void> {
    await this.anchor.close();
    this.sessions.close();
    this.alerts.close();
    await this.ownDispatcher?.close();
    await this.shared.close();
    this.db.close();
  }
}
