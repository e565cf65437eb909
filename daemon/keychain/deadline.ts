// Reads from the keychain in bounded time. A locked Secret Service that cannot show its password
// prompt (no display) leaves a read hanging until D-Bus gives up, 25 s later, holding one of
// libuv's four pool threads: a few of those and every call waits. So each read gets a deadline,
// and while one is overdue, reads are refused at once instead of joining it. Writes (an
// operator's action, rare) are left alone: one may wait for a password prompt, and a write that
// was reported failed must not land later.
import { type Keychain, KeychainUnavailableError } from './keychain.ts';

/** A read takes ~2 ms and queues behind at most a few dozen others under load. */
export const KEYCHAIN_DEADLINE_MS = 3_000;

class Overdue extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms / 1000} s (locked, with no way to ask for its password?)`);
  }
}

export function withDeadline(inner: Keychain, ms: number = KEYCHAIN_DEADLINE_MS): Keychain {
  /** Operations past their deadline that have not come back yet. */
  let overdue = 0;
  const get = (account: string): Promise<string | null> => {
    if (overdue > 0) return Promise.reject(new KeychainUnavailableError('read a key', new Overdue(ms)));
    return new Promise((resolve, reject) => {
      let late = false;
      const timer = setTimeout(() => {
        late = true;
        overdue++;
        reject(new KeychainUnavailableError('read a key', new Overdue(ms)));
      }, ms);
      inner.get(account).then(resolve, reject).finally(() => {
        clearTimeout(timer);
        if (late) overdue--;
      });
    });
  };
  return { get, set: (account, secret) => inner.set(account, secret), delete: (account) => inner.delete(account) };
}
