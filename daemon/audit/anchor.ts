// The audit chain's newest record, kept in the keychain as well as the database, so that records
// cut off the end of the log (which leaves an intact, shorter chain) are detected. Written a few
// seconds behind the log, off the hot path. It only ever moves forward: once the log is found not
// to hold it, it stays where it is, so the evidence does not go away.
import type { Keychain } from '../keychain/keychain.ts';
import type { Anchor, AuditLog } from './log.ts';

export const AUDIT_ANCHOR_ACCOUNT = 'tollgate:audit-anchor';
const INTERVAL_MS = 5_000;

interface Stored extends Anchor {
  /** The database it belongs to: a new data folder starts a new chain. */
  db: string;
}

export class AuditAnchor {
  private readonly keychain: Keychain;
  private readonly log: AuditLog;
  private readonly dbId: string;
  private written = -1;
  private frozen = false;
  private readonly timer: NodeJS.Timeout;
  private writing: Promise<void> = Promise.resolve();

  constructor(keychain: Keychain, log: AuditLog, dbId: string) {
    this.keychain = keychain;
    this.log = log;
    this.dbId = dbId;
    this.timer = setInterval(() => void this.flush(), INTERVAL_MS).unref();
  }

  /** The anchor of this database, or null (none yet, or the keychain cannot say). */
  async read(): Promise<Anchor | null> {
    const stored = await this.keychain.get(AUDIT_ANCHOR_ACCOUNT).catch(() => null);
    if (!stored) return null;
    const a = JSON.parse(stored) as Stored;
    return a.db === this.dbId ? { id: a.id, mac: a.mac } : null;
  }

  /** Whether the log still holds the anchored record; if not, the anchor is kept as evidence. */
  async check(): Promise<{ ok: boolean; anchor: Anchor | null }> {
    const anchor = await this.read();
    const ok = anchor === null || this.log.holds(anchor);
    if (!ok) this.frozen = true;
    return { ok, anchor };
  }

  /**
   * The operator accepts the log as it now stands (records cut off its end are gone for good):
   * the anchor moves to the newest record and follows the log again.
   */
  async accept(): Promise<void> {
    const { id, mac } = this.log.latest;
    await this.keychain.set(AUDIT_ANCHOR_ACCOUNT, JSON.stringify({ db: this.dbId, id, mac } satisfies Stored));
    this.written = id;
    this.frozen = false;
  }

  /** Writes the newest record's id and MAC, if they moved since the last write. */
  flush(): Promise<void> {
    this.writing = this.writing.then(async () => {
      const { id, mac } = this.log.latest;
      if (this.frozen || id === this.written) return;
      try {
        await this.keychain.set(AUDIT_ANCHOR_ACCOUNT, JSON.stringify({ db: this.dbId, id, mac } satisfies Stored));
        this.written = id;
      } catch {
        // A locked keychain: the next tick tries again.
      }
    });
    return this.writing;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
