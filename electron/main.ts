// The tray app's main process: one instance, a tray icon rather than a window, and quitting
// leaves the daemon running. Everything else is in app.ts.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { app } from 'electron';
import { resolvePaths } from '../daemon/paths.ts';
import { startTrayApp } from './app.ts';
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
    const tray = startTrayApp({
      root,
      paths: resolvePaths(),
      node: process.env.TOLLGATE_NODE || 'node',
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
