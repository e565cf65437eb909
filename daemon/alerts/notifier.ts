// Native notifications, injected so tests can watch them. The real one is node-notifier
// (notify-send on Linux, Notification Center on macOS, toasts on Windows).
import notifier from 'node-notifier';
import type { Tier } from './detectors.ts';

export interface Notification {
  tier: Tier;
  title: string;
  message: string;
}

export interface Notifier {
  notify(n: Notification): void;
}

export const nativeNotifier: Notifier = {
  notify(n) {
    // Critical ones stay until the operator dismisses them; failures to notify must never break a call.
    notifier.notify(
      { title: `Tollgate: ${n.title}`, message: n.message, wait: n.tier === 'critical', urgency: n.tier === 'critical' ? 'critical' : 'normal' } as notifier.Notification,
      () => undefined,
    );
  },
};
