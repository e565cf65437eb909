// State changes and alerts, fanned out to control clients (the tray's event stream).
import type { Alert } from './alerts/alerts.ts';
import type { SessionView } from './control-types.ts';

export type DaemonEvent =
  | { type: 'alert'; alert: Alert }
  /** Alerts acknowledged: one event per acknowledgement, however many alerts it took (a bulk one redraws once). */
  | { type: 'alert_acked'; ids: number[] }
  | { type: 'integration'; name: string; status: string }
  | { type: 'spend'; integration: string; spentUsd: number; capUsd: number }
  | { type: 'proposal'; id: string; status: string }
  /** A session started, ended, or its spend or calls moved ('updated': at most once a second per session). */
  | { type: 'session'; change: 'started' | 'updated' | 'ended'; session: SessionView };

type Listener = (e: DaemonEvent) => void;

export class EventBus {
  private readonly listeners = new Map<Listener, { tray: boolean }>();

  subscribe(listener: Listener, opts: { tray: boolean }): () => void {
    this.listeners.set(listener, opts);
    return () => this.listeners.delete(listener);
  }

  emit(e: DaemonEvent): void {
    for (const l of this.listeners.keys()) l(e);
  }

  /** While a tray listens, it raises the native notifications; the daemon stays quiet. */
  get trayConnected(): boolean {
    for (const o of this.listeners.values()) if (o.tray) return true;
    return false;
  }
}
