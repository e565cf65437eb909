// Native notifications of the daemon's alerts, by tier: info never pops up; warning pops up;
// critical pops up and stays until the alert is acknowledged. A burst is coalesced: a few pop up,
// the rest wait and come as one "N more alerts". Clicking one opens the window on its alert.
import { Notification } from 'electron';
import type { Alert } from '../daemon/control-types.ts';

export interface AlertNotifierOptions {
  /** The operator clicked a notification: open the window on this alert (null: on the alerts at large). */
  onClick(alertId: number | null): void;
  /** At most `burst` notifications per `windowMs`; the rest are folded into one summary. */
  burst?: number;
  windowMs?: number;
}

export class AlertNotifier {
  private readonly onClick: (alertId: number | null) => void;
  private readonly burst: number;
  private readonly windowMs: number;
  private recent: number[] = [];
  private held: Alert[] = [];
  private timer: NodeJS.Timeout | null = null;
  /** Notifications on screen and the alerts each stands for. Holding them also keeps their click handlers alive. */
  private readonly shown = new Map<Notification, Set<number>>();

  constructor({ onClick, burst = 3, windowMs = 60_000 }: AlertNotifierOptions) {
    this.onClick = onClick;
    this.burst = burst;
    this.windowMs = windowMs;
  }

  alert(alert: Alert): void {
    if (alert.tier === 'info') return;
    const now = Date.now();
    this.recent = this.recent.filter((t) => now - t < this.windowMs);
    if (this.recent.length < this.burst) {
      this.recent.push(now);
      this.pop(alert.tier === 'critical', alert.title, alert.message, [alert]);
      return;
    }
    this.held.push(alert);
    this.timer ??= setTimeout(() => this.flush(), this.windowMs);
  }

  /** The alert was acknowledged (here or elsewhere): it no longer needs the operator. */
  acked(id: number): void {
    this.held = this.held.filter((a) => a.id !== id);
    for (const [n, ids] of this.shown) {
      if (ids.delete(id) && ids.size === 0) {
        this.shown.delete(n);
        n.close();
      }
    }
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const n of this.shown.keys()) n.close();
    this.shown.clear();
  }

  private flush(): void {
    this.timer = null;
    const held = this.held;
    this.held = [];
    if (held.length === 0) return;
    this.recent.push(Date.now());
    const critical = held.some((a) => a.tier === 'critical');
    if (held.length === 1) {
      this.pop(critical, held[0]!.title, held[0]!.message, held);
      return;
    }
    const titles = [...new Set(held.map((a) => a.title))];
    const body = `${titles.slice(0, 3).join('; ')}${titles.length > 3 ? ` and ${titles.length - 3} more` : ''}. Open Tollgate to review them.`;
    this.pop(critical, `${held.length} more alerts`, body, held);
  }

  /** Shows one notification standing for `alerts`; a click opens the window on the most pressing one. */
  private pop(critical: boolean, title: string, body: string, alerts: Alert[]): void {
    if (!Notification.isSupported()) return;
    const n = new Notification({
      title,
      body,
      urgency: critical ? 'critical' : 'normal',
      timeoutType: critical ? 'never' : 'default',
    });
    // Only a critical one waits for its acknowledgement; the others go when the system lets them.
    this.shown.set(n, new Set(critical ? alerts.filter((a) => a.tier === 'critical').map((a) => a.id) : alerts.map((a) => a.id)));
    const target = alerts.find((a) => a.tier === 'critical') ?? alerts.at(-1)!;
    n.on('click', () => this.onClick(target.id > 0 ? target.id : null));
    n.on('close', () => void this.shown.delete(n));
    n.show();
  }
}
