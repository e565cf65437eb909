// The real keychain: keytar over the platform's secret store (Secret Service on Linux,
// Keychain on macOS, Credential Vault on Windows).
import keytar from 'keytar';
import { type Keychain, KeychainUnavailableError } from './keychain.ts';

export function keytarKeychain(service: string): Keychain {
  const guard = async <T>(operation: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (e) {
      throw new KeychainUnavailableError(operation, e);
    }
  };
  return {
    get: (account) => guard('read a key', () => keytar.getPassword(service, account)),
    set: (account, secret) => guard('store a key', () => keytar.setPassword(service, account, secret)),
    delete: (account) => guard('delete a key', () => keytar.deletePassword(service, account)),
  };
}
