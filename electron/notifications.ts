// Native notifications of the daemon's alerts, by tier: info never pops up; warning pops up;
// critical pops up and stays until the alert is acknowledged. A burst is coalesced as the daemon
// does it (daemon/alerts/coalesce.ts): a few pop up, the rest wait and come as one "N more
// alerts"; the alerts themselves stay apart. Clicking one opens the window on its alert.
import { Notification } from 'electron';
import { Coalescer } from '../daemon/alerts/coalesce.ts';
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
  private readonly coalescer: Coalescer<Alert>;
  /** Notifications on screen and the alerts each stands for. Holding them also keeps their click handlers alive. */
  private readonly shown = new Map<Notification, Set<number>>();

  constructor({ onClick, burst = 3, windowMs = 60_000 }: AlertNotifierOptions) {
    this.onClick = onClick;
    this.coalescer = new Coalescer<Alert>({
      burst,
      windowMs,
      now: () => Date.now(),
      review: 'Open Tollgate to review them.',
      show: ({ tier, title, message, alerts }) => this.pop(tier === 'critical', title, message, alerts),
    });
  }

  alert(alert: Alert): void {
    if (alert.tier !== 'info') this.coalescer.add(alert);
  }

  /** The alert was acknowledged (here or elsewhere): it no longer needs the operator. */
  acked(id: number): void {
    this.coalescer.drop(new Set([id]));
    for (const [n, ids] of this.shown) {
      if (ids.delete(id) && ids.size === 0) {
        this.shown.delete(n);
        n.close();
      }
    }
  }

  close(): void {
    this.coalescer.close();
    for (const n of this.shown.keys()) n.close();
    this.shown.clear();
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
