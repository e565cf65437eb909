// The daemon's own two secrets: the audit chain key and the fingerprint key. Both are made
// on first start and kept in the keychain, so an audit log or a fingerprint copied off the
// machine cannot be forged or brute-forced without it.
import { randomBytes } from 'node:crypto';
import { AUDIT_KEY_ACCOUNT, FINGERPRINT_KEY_ACCOUNT, type Keychain } from './keychain.ts';

/** The shared ledger's connection string (it holds the database password): only ever in the keychain. */
export const LEDGER_URL_ACCOUNT = 'tollgate:ledger-url';

export interface DaemonSecrets {
  auditKey: Buffer;
  fingerprintKey: Buffer;
}

async function loadOrCreate(keychain: Keychain, account: string): Promise<Buffer> {
  const stored = await keychain.get(account);
  if (stored) return Buffer.from(stored, 'base64');
  const fresh = randomBytes(32).toString('base64');
  await keychain.set(account, fresh);
  // Read back: a keychain that accepts writes but loses them must stop us here, not later.
  const check = await keychain.get(account);
  if (check !== fresh) throw new Error(`the keychain did not keep ${account}`);
  return Buffer.from(fresh, 'base64');
}

export async function loadDaemonSecrets(keychain: Keychain): Promise<DaemonSecrets> {
  return {
    auditKey: await loadOrCreate(keychain, AUDIT_KEY_ACCOUNT),
    fingerprintKey: await loadOrCreate(keychain, FINGERPRINT_KEY_ACCOUNT),
  };
}
