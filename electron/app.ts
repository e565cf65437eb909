// The tray app, put together: the daemon link, the window and its IPC, the tray icon, and the
// event stream feeding notifications, the tray and the window. main.ts starts it once Electron
// is ready. Nothing here changes anything on its own: every change goes through a handler, which
// asks the operator first.
import { join } from 'node:path';
import { app } from 'electron';
import { ControlClient } from '../daemon/client/control-client.ts';
import type { Paths } from '../daemon/paths.ts';
import { startDaemonDetached } from '../daemon/process/launch.ts';
import { daemonLink, toMainEvents } from './daemon-link.ts';
import { followEvents } from './event-stream.ts';
import { dialogConfirm } from './ipc/confirm.ts';
import { createHandlers } from './ipc/handlers.ts';
import { registerIpc } from './ipc/register.ts';
import type { LoginItem } from './login-item.ts';
import { AlertNotifier } from './notifications.ts';
import { TrayIcon } from './tray.ts';
import { type TrayAction, type TrayInput, trayModel } from './tray-state.ts';
import { type Page, TollgateWindow } from './window.ts';

export interface TrayAppOptions {
  root: string;
  paths: Paths;
  /** The Node.js that runs the daemon when the tray has to start it. */
  node: string;
  page: Page;
  preload: string;
  iconsDir: string;
  /** The tray's own start at login, turned off and on from its menu. */
  loginItem?: LoginItem;
  log?: (line: string) => void;
}

export interface TrayApp {
  open(alertId?: number): void;
  stop(): Promise<void>;
}

/** Reads what the tray shows; a daemon that does not answer is "not running". */
async function trayInput(client: ControlClient): Promise<TrayInput> {
  try {
    const [spend, integrations, openAlerts, sessions] = await Promise.all([client.spend(), client.integrations(), client.alerts({ open: true }), client.sessions()]);
    return { running: true, spend, integrations, openAlerts, sessions };
  } catch {
    return { running: false };
  }
}

/** A login item whose failures (an unwritable folder, say) are logged, not thrown into a menu click. */
function loggedLoginItem(item: LoginItem, log: (line: string) => void): LoginItem {
  return {
    enabled: () => item.enabled(),
    set(on) {
      try {
        item.set(on);
      } catch (e) {
        log(`tollgate: could not turn ${on ? 'on' : 'off'} starting at login: ${e instanceof Error ? e.message : String(e)}`);
      }
    },
  };
}

/** Bursts of events (a call spends, alerts, settles) redraw the tray once. */
const REFRESH_MS = 300;

export function startTrayApp(o: TrayAppOptions): TrayApp {
  const log = o.log ?? console.warn;
  const client = new ControlClient(o.paths.controlSocket, 'tray');
  const daemon = daemonLink(client, () => startDaemonDetached({ root: o.root, node: o.node, paths: o.paths, answers: () => client.isRunning() }));
  const window = new TollgateWindow({ page: o.page, preload: o.preload, icon: join(o.iconsDir, 'ok@2x.png') });
  const handlers = createHandlers({ client, confirm: dialogConfirm(() => window.current), daemon });
  const unregister = registerIpc({ handlers, trusts: (frame) => window.trusts(frame), log });

  const open = (alertId?: number): void => void window.show(alertId).catch((e: unknown) => log(`tollgate: the window did not open: ${String(e)}`));
  const act = (action: TrayAction): void => {
    switch (action) {
      case 'open': return open();
      // The operator's click in the tray menu; the handler still asks before it suspends anything.
      case 'suspend_all': return void handlers.suspendAll().catch((e: unknown) => log(`tollgate: suspend all failed: ${String(e)}`));
      case 'quit': return app.quit();
    }
  };
  const loginItem = o.loginItem && loggedLoginItem(o.loginItem, log);
  const tray = new TrayIcon(o.iconsDir, act, trayModel({ running: false }), loginItem);

  let refreshTimer: NodeJS.Timeout | null = null;
  const refresh = (): void => {
    refreshTimer ??= setTimeout(() => {
      refreshTimer = null;
      void trayInput(client).then((input) => tray.show(trayModel(input)));
    }, REFRESH_MS);
  };

  const notifier = new AlertNotifier({ onClick: (id) => open(id ?? undefined) });
  const stream = followEvents({
    client,
    onEvent(e) {
      if (e.type === 'alert') notifier.alert(e.alert);
      if (e.type === 'alert_acked') for (const id of e.ids) notifier.acked(id);
      for (const m of toMainEvents(e)) window.send(m);
      refresh();
    },
    onConnection() {
      void daemon.state().then((state) => window.send({ type: 'daemon', state }));
      refresh();
    },
  });

  // Started from the desktop rather than by `npm start`: bring the daemon up too.
  void daemon.start().catch((e: unknown) => log(`tollgate: ${e instanceof Error ? e.message : String(e)}`));
  refresh();

  let stopped: Promise<void> | null = null;
  return {
    open,
    stop: () => (stopped ??= (async () => {
      stream.stop();
      notifier.close();
      unregister();
      if (refreshTimer) clearTimeout(refreshTimer);
      tray.destroy();
      await client.close();
    })()),
  };
}
