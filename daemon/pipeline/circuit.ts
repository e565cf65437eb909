// Step 6b: repeated upstream failures open a circuit, so calls fail fast instead of piling up
// on a provider that is down. After each cool-down one call is let through to probe it.
import { TollgateError } from '../errors.ts';

export const FAILURES_TO_OPEN = 5;
export const COOL_DOWN_MS = 30_000;

interface State {
  failures: number;
  openUntil: number;
}

export class Circuits {
  private readonly states = new Map<string, State>();

  /** Throws upstream_unavailable while the circuit is open. */
  check(name: string, now: number): void {
    const s = this.states.get(name);
    if (!s || s.failures < FAILURES_TO_OPEN) return;
    if (now < s.openUntil) {
      throw new TollgateError('upstream_unavailable',
        `${name} failed ${s.failures} times in a row, so Tollgate stops calling it for a while. Try again after ${new Date(s.openUntil).toISOString()}.`,
        { retryAfter: Math.max(1, Math.ceil((s.openUntil - now) / 1000)) });
    }
    // This call is the probe; the next one waits another cool-down unless the probe succeeds.
    s.openUntil = now + COOL_DOWN_MS;
  }

  /** Records an upstream result; returns true when this failure just opened the circuit. */
  record(name: string, failed: boolean, now: number): boolean {
    if (!failed) {
      this.states.delete(name);
      return false;
    }
    const s = this.states.get(name) ?? { failures: 0, openUntil: 0 };
    this.states.set(name, s);
    s.failures++;
    if (s.failures === FAILURES_TO_OPEN) s.openUntil = now + COOL_DOWN_MS;
    return s.failures === FAILURES_TO_OPEN;
  }

  reset(name: string): void {
    this.states.delete(name);
  }
}
