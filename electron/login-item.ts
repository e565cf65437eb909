// The tray app started at login, where each platform looks for it:
// - Linux: an XDG autostart entry (~/.config/autostart/tollgate.desktop), which desktops read.
// - macOS: a LaunchAgent for the graphical session. Electron's login items register an app
//   bundle, and Tollgate runs from a checkout (`electron <project>`), whose bundle is Electron's
//   own: it would open Electron's default app at login, not Tollgate.
// - Windows: Electron's login-item settings, with the project folder as the argument.
// The first start turns it on; after that only the operator's choice (the tray menu's "Start at
// login") counts.
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { app } from 'electron';
import { carriedEnv } from '../daemon/service/daemon-command.ts';
import { launchAgentFile, launchAgentPlist } from '../daemon/service/launchd.ts';

export interface LoginItemOptions {
  platform: NodeJS.Platform;
  home: string;
  env: NodeJS.ProcessEnv;
  /** The tray's command line: Electron's binary and the project folder. */
  electron: string;
  root: string;
  /** The Node the tray starts the daemon with (TOLLGATE_NODE): a login session's PATH may hold an older one. */
  node: string;
}

export interface LoginItem {
  /** Whether the tray starts at login. */
  enabled(): boolean;
  set(on: boolean): void;
}

export const TRAY_LABEL = 'dev.tollgate.tray';

export const autostartFile = (home: string, env: NodeJS.ProcessEnv): string =>
  join(env.XDG_CONFIG_HOME || join(home, '.config'), 'autostart', 'tollgate.desktop');

/** What the tray needs in its environment when the desktop, not a terminal, starts it. */
const trayEnv = (o: LoginItemOptions): Record<string, string> => ({ ...carriedEnv(o.env), TOLLGATE_NODE: o.node });

// An Exec argument of a desktop entry: quoted, with " ` $ \ escaped inside the quotes; then the
// value's own escaping doubles every backslash, and a literal % (field codes) is written %%.
const execArg = (s: string): string => `"${s.replace(/["`$\\]/g, '\\$&')}"`.replaceAll('\\', '\\\\').replaceAll('%', '%%');

export function desktopEntry(o: LoginItemOptions): string {
  const argv = ['env', ...Object.entries(trayEnv(o)).map(([k, v]) => `${k}=${v}`), o.electron, o.root];
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Name=Tollgate',
    "Comment=Tollgate's tray: what the AI assistants spend, their alerts and requests",
    `Exec=${argv.map(execArg).join(' ')}`,
    `Icon=${join(o.root, 'resources', 'icons', 'ok@2x.png')}`,
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

/** A login item kept as one file: there when on. */
function fileItem(file: string, text: string): LoginItem {
  return {
    enabled: () => existsSync(file),
    set(on) {
      if (!on) return rmSync(file, { force: true });
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, text, { mode: 0o644 });
    },
  };
}

export function trayLoginItem(o: LoginItemOptions): LoginItem {
  switch (o.platform) {
    case 'linux':
      return fileItem(autostartFile(o.home, o.env), desktopEntry(o));
    case 'darwin':
      // Loaded by launchd at the next login (RunAtLoad), not now: this tray is running already.
      return fileItem(launchAgentFile(o.home, TRAY_LABEL), launchAgentPlist({
        label: TRAY_LABEL, argv: [o.electron, o.root], cwd: o.root, env: trayEnv(o), restartOnFailure: false, log: null, graphical: true,
      }));
    default: {
      const settings = { path: o.electron, args: [o.root] };
      return {
        enabled: () => app.getLoginItemSettings(settings).openAtLogin,
        set: (on) => app.setLoginItemSettings({ ...settings, openAtLogin: on }),
      };
    }
  }
}

/**
 * At the tray's first start (no `marker` yet) turns starting at login on. Later starts leave the
 * operator's choice alone, and rewrite an entry that is on so that it follows the checkout and its
 * Node when they move.
 */
export function startAtLoginByDefault(item: LoginItem, marker: string): void {
  if (existsSync(marker) && !item.enabled()) return;
  item.set(true);
  mkdirSync(dirname(marker), { recursive: true });
  writeFileSync(marker, 'The tray registered itself to start at login once; its menu turns that off and on.\n');
}
