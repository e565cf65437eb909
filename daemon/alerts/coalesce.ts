// Native notifications without fatigue (SPEC rule 6): alerts stay one per subject; what is
// coalesced is what pops up. At most `burst` notifications per `windowMs`; the alerts beyond wait
// for the window to end, then come as one summary (or as themselves, when only one waited).
// Shared by the daemon's notifier (when no tray listens) and the tray's.
import type { Tier } from './detectors.ts';

export interface Notifiable {
  id: number;
  tier: Tier;
  title: string;
  message: string;
}

/** One notification to show, standing for `alerts`. */
export interface Pop<A extends Notifiable> {
  tier: Tier;
  title: string;
  message: string;
  alerts: A[];
}

export interface CoalescerOptions<A extends Notifiable> {
  burst: number;
  windowMs: number;
  now(): number;
  /** Ends a summary: where the operator reviews the alerts. */
  review: string;
  show(pop: Pop<A>): void;
}

export class Coalescer<A extends Notifiable> {
  readonly #o: CoalescerOptions<A>;
  #recent: number[] = [];
  #held: A[] = [];
  #timer: NodeJS.Timeout | null = null;

  constructor(options: CoalescerOptions<A>) {
    this.#o = options;
  }

  /** A new alert that pops up (info never reaches here). */
  add(alert: A): void {
    const now = this.#o.now();
    this.#recent = this.#recent.filter((t) => now - t < this.#o.windowMs);
    if (this.#recent.length < this.#o.burst) {
      this.#recent.push(now);
      this.#o.show({ tier: alert.tier, title: alert.title, message: alert.message, alerts: [alert] });
      return;
    }
    this.#held.push(alert);
    this.#timer ??= setTimeout(() => this.flush(), this.#o.windowMs).unref();
  }

  /** Alerts acknowledged meanwhile: no longer news. */
  drop(ids: ReadonlySet<number>): void {
    this.#held = this.#held.filter((a) => !ids.has(a.id));
  }

  /** Shows what waited: the timer's work at the end of the window. */
  flush(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    const held = this.#held;
    this.#held = [];
    if (held.length === 0) return;
    this.#recent.push(this.#o.now());
    if (held.length === 1) {
      const [alert] = held as [A];
      this.#o.show({ tier: alert.tier, title: alert.title, message: alert.message, alerts: held });
      return;
    }
    const titles = [...new Set(held.map((a) => a.title))];
    this.#o.show({
      tier: held.some((a) => a.tier === 'critical') ? 'critical' : 'warning',
      title: `${held.length} more alerts`,
      message: `${titles.slice(0, 3).join('; ')}${titles.length > 3 ? ` and ${titles.length - 3} more` : ''}. ${this.#o.review}`,
      alerts: held,
    });
  }

  close(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#held = [];
  }
}
