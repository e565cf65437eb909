// The OS keychain, behind a small interface so tests can lock it or take it away.
// Keys live only here (service "tollgate", account = integration name).

export interface Keychain {
  get(account: string): Promise<string | null>;
  set(account: string, secret: string): Promise<void>;
  delete(account: string): Promise<boolean>;
}

/** The keychain could not be used (no Secret Service, locked, D-Bus gone). Never carries a secret. */
export class KeychainUnavailableError extends Error {
  constructor(operation: string, cause: unknown) {
    super(`the OS keychain refused to ${operation}: ${describe(cause)}`);
    this.name = 'KeychainUnavailableError';
  }
}

function describe(cause: unknown): string {
  const text = cause instanceof Error ? cause.message : String(cause);
  return text.split('\n')[0]!.slice(0, 200);
}

export const KEYCHAIN_SERVICE = 'tollgate';

/** Accounts the daemon keeps for itself; the ":" keeps them apart from integration names. */
export const AUDIT_KEY_ACCOUNT = 'tollgate:audit-chain';
export const FINGERPRINT_KEY_ACCOUNT = 'tollgate:fingerprint';
