// The tray app's main process: one instance, a tray icon rather than a window, and quitting
// leaves the daemon running. Everything else is in app.ts.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { app } from 'electron';
import { resolvePaths } from '../daemon/paths.ts';
import { projectNode } from '../daemon/service/daemon-command.ts';
import { startTrayApp } from './app.ts';
import { startAtLoginByDefault, trayLoginItem } from './login-item.ts';
import { pageFor } from './window.ts';

// Built to out/main/main.js: the project folder is two levels up.
const root = fileURLToPath(new URL('../..', import.meta.url));

app.enableSandbox();
if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  // Closing the window keeps the tray.
  app.on('window-all-closed', () => {});
  void app.whenReady().then(() => {
    app.dock?.hide();
    // Started by the desktop at login, the tray has no TOLLGATE_NODE from `npm start`, and the
    // session's PATH may hold an older Node than the checkout's.
    const node = process.env.TOLLGATE_NODE || projectNode(root, 'node');
    const loginItem = trayLoginItem({ platform: process.platform, home: homedir(), env: process.env, electron: process.execPath, root, node });
    try {
      startAtLoginByDefault(loginItem, join(app.getPath('userData'), 'login-item-registered'));
    } catch (e) {
      console.warn(`tollgate: could not register the tray to start at login: ${String(e)}`);
    }
    const tray = startTrayApp({
      root,
      paths: resolvePaths(),
      node,
      loginItem,
      page: pageFor(root),
      preload: join(root, 'out', 'preload', 'preload.cjs'),
      iconsDir: join(root, 'resources', 'icons'),
    });
    app.on('second-instance', () => tray.open());
    app.once('will-quit', (event) => {
      event.preventDefault();
      void tray.stop().finally(() => app.exit(0));
    });
  });
}
