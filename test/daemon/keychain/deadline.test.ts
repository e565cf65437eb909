// A keychain read that hangs (a locked keyring with no way to prompt) is refused after the
// deadline, and later reads are refused at once until it comes back, without piling up.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { withDeadline } from '../../../daemon/keychain/deadline.ts';
import { type Keychain, KeychainUnavailableError } from '../../../daemon/keychain/keychain.ts';

/** A keychain whose reads wait until the test answers them. */
function stalling() {
  const pending: Array<(v: string | null) => void> = [];
  const inner: Keychain = {
    get: vi.fn(() => new Promise<string | null>((resolve) => pending.push(resolve))),
    set: vi.fn(async () => undefined),
    delete: vi.fn(async () => true),
  };
  return { inner, answer: (v: string | null) => pending.shift()!(v), get waiting() { return pending.length; } };
}

describe('keychain reads with a deadline', () => {
  afterEach(() => vi.useRealTimers());

  it('passes an answer in time through unchanged', async () => {
    const k = stalling();
    const kc = withDeadline(k.inner, 1000);
    const read = kc.get('search');
    k.answer('the-key');
    await expect(read).resolves.toBe('the-key');
  });

  it('refuses a read past its deadline, then refuses at once, without asking, until the late one returns', async () => {
    vi.useFakeTimers();
    const k = stalling();
    const kc = withDeadline(k.inner, 1000);
    const first = kc.get('search');
    const refused = expect(first).rejects.toThrow(/no answer within 1 s/);
    await vi.advanceTimersByTimeAsync(1000);
    await refused;
    await expect(first).rejects.toBeInstanceOf(KeychainUnavailableError);
    // Overdue: the next reads do not reach the keychain (no pile-up of stuck pool threads).
    await expect(kc.get('search')).rejects.toThrow(/no answer within 1 s/);
    await expect(kc.get('other')).rejects.toBeInstanceOf(KeychainUnavailableError);
    expect(k.inner.get).toHaveBeenCalledTimes(1);
    // The stuck read finally comes back: reads reach the keychain again.
    k.answer(null);
    await vi.advanceTimersByTimeAsync(0);
    const next = kc.get('search');
    expect(k.inner.get).toHaveBeenCalledTimes(2);
    k.answer('the-key');
    await expect(next).resolves.toBe('the-key');
  });

  it('leaves writes alone: an operator may be answering a password prompt', async () => {
    vi.useFakeTimers();
    let store: () => void = () => undefined;
    const inner: Keychain = { get: async () => null, set: () => new Promise<void>((r) => { store = r; }), delete: async () => true };
    const kc = withDeadline(inner, 1000);
    let done = false;
    const write = kc.set('search', 'k').then(() => { done = true; });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(done).toBe(false);
    store();
    await write;
    expect(done).toBe(true);
  });
});
