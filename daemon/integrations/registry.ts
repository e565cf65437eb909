// The approved integrations: stored in SQLite, compiled once, served from memory.
// Only operator actions (the control API) call the mutating methods.
import type { Db } from '../db/open.ts';
import { ControlError } from '../errors.ts';
import { compileIntegration, type Integration, type IntegrationState, type Status } from './integration.ts';
import { integrationSchema, type IntegrationPatch, type IntegrationSpec } from './schema.ts';

interface Row {
  id: number;
  name: string;
  spec: string;
  status: Status;
  status_reason: string | null;
  key_fingerprint: string | null;
  key_length: number | null;
  key_set_at: number | null;
  approved_by: string;
  approved_at: number;
  updated_at: number;
  decommissioned_at: number | null;
}

function compileRow(r: Row): Integration {
  const state: IntegrationState = {
    id: r.id, status: r.status, statusReason: r.status_reason, keyFingerprint: r.key_fingerprint,
    keyLength: r.key_length, keySetAt: r.key_set_at, approvedBy: r.approved_by, approvedAt: r.approved_at,
    updatedAt: r.updated_at, decommissionedAt: r.decommissioned_at,
  };
  return compileIntegration(integrationSchema.parse(JSON.parse(r.spec)), state);
}

/**
 * SPEC rule 9: a suspension the provider's rejection of the key caused ends when the operator sets
 * a new key; any other suspension stays until the operator resumes it. (The reason is written by
 * the alert monitor, as "the provider rejected its key (HTTP 401)".)
 */
export function newKeyLiftsSuspension(i: Pick<IntegrationState, 'status' | 'statusReason'>): boolean {
  return i.status === 'suspended' && (i.statusReason?.startsWith('the provider rejected its key') ?? false);
}

export class Registry {
  private readonly db: Db;
  private byName = new Map<string, Integration>();
  private readonly onChange: () => void;

  constructor(db: Db, onChange: () => void) {
    this.db = db;
    this.onChange = onChange;
    for (const r of db.prepare('SELECT * FROM integrations ORDER BY id').all() as Row[]) this.byName.set(r.name, compileRow(r));
  }

  /** Any integration, including decommissioned ones (history stays). */
  get(name: string): Integration | undefined {
    return this.byName.get(name);
  }

  require(name: string): Integration {
    const i = this.byName.get(name);
    if (!i) throw new ControlError('not_found', `No integration named ${name}.`);
    return i;
  }

  list(): Integration[] {
    return [...this.byName.values()];
  }

  /** Integrations that are not decommissioned: what the assistant may see. */
  live(): Integration[] {
    return this.list().filter((i) => i.status !== 'decommissioned');
  }

  private reload(name: string): Integration {
    const row = this.db.prepare('SELECT * FROM integrations WHERE name = ?').get(name) as Row;
    const i = compileRow(row);
    this.byName.set(name, i);
    this.onChange();
    return i;
  }

  create(spec: IntegrationSpec, approvedBy: string, now: number): Integration {
    if (this.byName.has(spec.name)) {
      throw new ControlError('conflict', `An integration named ${spec.name} already exists${this.byName.get(spec.name)!.status === 'decommissioned' ? ' (decommissioned; its history keeps the name)' : ''}. Choose another name.`);
    }
    this.db.prepare(`INSERT INTO integrations (name, spec, status, approved_by, approved_at, updated_at)
      VALUES (?, ?, 'active', ?, ?, ?)`).run(spec.name, JSON.stringify(spec), approvedBy, now, now);
    return this.reload(spec.name);
  }

  patch(name: string, patch: IntegrationPatch, now: number): Integration {
    const current = this.requireLive(name);
    const spec = integrationSchema.parse({ ...current.spec, ...patch });
    this.db.prepare('UPDATE integrations SET spec = ?, updated_at = ? WHERE id = ?').run(JSON.stringify(spec), now, current.id);
    return this.reload(name);
  }

  /** Records the new key; the one it replaces is kept among the retired keys (by fingerprint only). */
  setKeyFingerprint(name: string, key: { fingerprint: string; length: number; rolling: number }, now: number): Integration {
    const i = this.requireLive(name);
    this.db.transaction(() => {
      this.db.prepare(`INSERT OR IGNORE INTO retired_keys (fingerprint, length, rolling, integration, retired_at)
        SELECT key_fingerprint, key_length, key_rolling, name, ? FROM integrations
        WHERE id = ? AND key_fingerprint IS NOT NULL AND key_fingerprint != ?`).run(now, i.id, key.fingerprint);
      this.db.prepare('UPDATE integrations SET key_fingerprint = ?, key_length = ?, key_rolling = ?, key_set_at = ?, updated_at = ? WHERE id = ?')
        .run(key.fingerprint, key.length, key.rolling, now, now, i.id);
    })();
    return this.reload(name);
  }

  setStatus(name: string, status: Exclude<Status, 'decommissioned'>, reason: string | null, now: number): Integration {
    const i = this.requireLive(name);
    this.db.prepare('UPDATE integrations SET status = ?, status_reason = ?, updated_at = ? WHERE id = ?').run(status, reason, now, i.id);
    return this.reload(name);
  }

  /**
   * Marks an integration decommissioned once its key has left the keychain: it holds no key from
   * here on (its fingerprint joins the retired keys, which the credential scanner still blocks).
   */
  decommission(name: string, now: number): Integration {
    const i = this.requireLive(name);
    this.db.transaction(() => {
      this.db.prepare(`INSERT OR IGNORE INTO retired_keys (fingerprint, length, rolling, integration, retired_at)
        SELECT key_fingerprint, key_length, key_rolling, name, ? FROM integrations WHERE id = ? AND key_fingerprint IS NOT NULL`).run(now, i.id);
      this.db.prepare(`UPDATE integrations SET status = 'decommissioned', status_reason = 'decommissioned by the operator', key_fingerprint = NULL,
        key_length = NULL, key_rolling = NULL, key_set_at = NULL, updated_at = ?, decommissioned_at = ? WHERE id = ?`).run(now, now, i.id);
    })();
    return this.reload(name);
  }

  requireLive(name: string): Integration {
    const i = this.require(name);
    if (i.status === 'decommissioned') throw new ControlError('conflict', `${name} is decommissioned; create a new integration instead.`);
    return i;
  }

  /** Which live integration, other than `except`, already holds a key with this fingerprint. */
  keyHolder(fingerprint: string, except: string): string | null {
    for (const i of this.live()) if (i.name !== except && i.keyFingerprint === fingerprint) return i.name;
    return null;
  }
}
