// Step 5: per-integration rate limits — calls per rolling minute, and calls in flight.
import { TollgateError } from '../errors.ts';
import type { RateLimitSpec } from '../integrations/schema.ts';

const MINUTE = 60_000;

interface Window {
  /** Start times of the calls admitted in the last minute, oldest first (a ring buffer). */
  starts: number[];
  head: number;
  size: number;
  inFlight: number;
}

export class RateLimiter {
  private readonly windows = new Map<string, Window>();

  /**
   * Admits a call or throws rate_limited with the seconds to wait. The returned function
   * must be called when the call is over.
   */
  acquire(name: string, limit: RateLimitSpec, now: number): () => void {
    const w = this.window(name, limit);
    while (w.size > 0 && now - w.starts[w.head]! >= MINUTE) {
      w.head = (w.head + 1) % w.starts.length;
      w.size--;
    }
    if (w.size >= limit.perMinute) {
      const retryAfter = Math.max(1, Math.ceil((w.starts[w.head]! + MINUTE - now) / 1000));
      throw new TollgateError('rate_limited',
        `${name} allows ${limit.perMinute} calls a minute. Wait ${retryAfter} s (Retry-After), then try again.`, { retryAfter });
    }
    if (w.inFlight >= limit.concurrent) {
      throw new TollgateError('rate_limited',
        `${name} allows ${limit.concurrent} calls at once. Wait for one to finish, then try again.`, { retryAfter: 1 });
    }
    w.starts[(w.head + w.size) % w.starts.length] = now;
    w.size++;
    w.inFlight++;
    let released = false;
    return () => {
      if (!released) {
        released = true;
        w.inFlight--;
      }
    };
  }

  private window(name: string, limit: RateLimitSpec): Window {
    let w = this.windows.get(name);
    if (!w || w.starts.length !== limit.perMinute) {
      // A changed limit starts a fresh window but keeps the calls in flight.
      w = { starts: new Array<number>(limit.perMinute).fill(0), head: 0, size: 0, inFlight: w?.inFlight ?? 0 };
      this.windows.set(name, w);
    }
    return w;
  }
}
