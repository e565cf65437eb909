// Starting things for the operator: the daemon in the background (detached, so it outlives the
// terminal and the tray that started it), and the tray app where Electron and a display exist.
// Plain Node: the CLI (`tollgate start`) and the tray's main process both use it. It never loads
// `electron` (from Node that would try to download the binary); it only looks at files.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, fchmodSync, mkdirSync, openSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Paths } from '../paths.ts';

export interface DaemonLaunch {
  /** The project folder (holds daemon/bin.mjs and node_modules). */
  root: string;
  /** A Node.js new enough for Tollgate: the daemon's native modules are built for it, not for Electron. */
  node: string;
  paths: Paths;
  /** Whether a daemon answers on the control socket. */
  answers(): Promise<boolean>;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

export const daemonLog = (paths: Paths): string => join(paths.dataDir, 'daemon.log');

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Starts `tollgate daemon` detached, its output appended to `<data folder>/daemon.log` (mode 0600),
 * and resolves once it answers. Rejects with the daemon's last words if it stops first.
 */
export async function startDaemonDetached(o: DaemonLaunch): Promise<{ pid: number; log: string }> {
  mkdirSync(o.paths.dataDir, { recursive: true, mode: 0o700 });
  const log = daemonLog(o.paths);
  const fd = openSync(log, 'a', 0o600);
  let child;
  try {
    fchmodSync(fd, 0o600); // an older log may have been made with a wider mode
    child = spawn(o.node, [join(o.root, 'daemon', 'bin.mjs'), 'daemon'], {
      cwd: o.root,
      env: o.env ?? process.env,
      detached: true,
      stdio: ['ignore', fd, fd],
      windowsHide: true,
    });
  } finally {
    closeSync(fd);
  }
  let exited = false;
  let failure: string | null = null;
  child.once('exit', () => { exited = true; });
  child.once('error', (e) => {
    exited = true;
    failure = `${o.node} could not be run (${e.message})`;
  });
  child.unref();

  const timeoutMs = o.timeoutMs ?? 20_000;
  const deadline = Date.now() + timeoutMs;
  let exitedAt: number | null = null;
  for (;;) {
    if (await o.answers()) return { pid: child.pid ?? 0, log };
    if (exited) exitedAt ??= Date.now();
    // A daemon that lost a start-up race to another one exits, while the other is about to answer.
    if ((exitedAt !== null && Date.now() - exitedAt > 2_000) || Date.now() > deadline) {
      throw new Error(`the daemon did not start${exited ? '' : ` within ${Math.round(timeoutMs / 1000)} s`}: ${failure ?? lastWords(log)} (more in ${log})`);
    }
    await sleep(100);
  }
}

/** The last line the daemon wrote, for an error message. */
function lastWords(log: string): string {
  try {
    const lines = readFileSync(log, 'utf8').trimEnd().split('\n');
    return lines.at(-1)?.replace(/^tollgate: /, '') || 'it wrote nothing';
  } catch {
    return 'it wrote nothing';
  }
}

export type TrayCheck = { ok: true; electron: string } | { ok: false; missing: string };

/** Whether the tray can run here: an Electron binary installed beside us, and a display. */
export function checkTray(root: string, env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): TrayCheck {
  const pathFile = join(root, 'node_modules', 'electron', 'path.txt');
  if (!existsSync(pathFile)) return { ok: false, missing: 'the Electron binary is not installed (node_modules/electron/path.txt is missing)' };
  const electron = join(root, 'node_modules', 'electron', 'dist', readFileSync(pathFile, 'utf8').trim());
  if (!existsSync(electron)) return { ok: false, missing: `the Electron binary is not installed (${relative(root, electron)} is missing)` };
  if (platform === 'linux' && !env.DISPLAY && !env.WAYLAND_DISPLAY) return { ok: false, missing: 'there is no display (DISPLAY and WAYLAND_DISPLAY are unset)' };
  return { ok: true, electron };
}

/** The built tray app, as electron.vite.config.ts writes it. */
export const TRAY_BUILD = ['out/main/main.js', 'out/preload/preload.cjs', 'out/renderer/index.html'];
const TRAY_SOURCES = ['electron', 'renderer', 'daemon', 'resources/icons', 'electron.vite.config.ts', 'package.json'];

function newest(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(st.mtimeMs, ...readdirSync(path).map((name) => newest(join(path, name))));
}

/** Whether the build is missing or older than a source file. */
export function trayBuildStale(root: string): boolean {
  const built = TRAY_BUILD.map((f) => join(root, f));
  if (!built.every((f) => existsSync(f))) return true;
  const oldest = Math.min(...built.map((f) => statSync(f).mtimeMs));
  return TRAY_SOURCES.some((s) => newest(join(root, s)) > oldest);
}

export interface TrayLaunch {
  root: string;
  node: string;
  /** What the daemon is doing, to open the one line printed when there is no tray. */
  daemon: string;
  out(line: string): void;
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
}

/**
 * Runs the tray app in the foreground and resolves with its exit code; where it cannot run,
 * says so in one line and resolves 0 (the daemon keeps running either way).
 */
export async function startTray(o: TrayLaunch): Promise<number> {
  const env = o.env ?? process.env;
  const check = checkTray(o.root, env, o.platform);
  if (!check.ok) {
    o.out(`tollgate: ${o.daemon}; no tray app: ${check.missing}. Use the CLI instead: "tollgate status", "tollgate --help".`);
    return 0;
  }
  o.out(`tollgate: ${o.daemon}; starting the tray app (quitting it leaves the daemon running)`);
  if (trayBuildStale(o.root)) {
    const build = spawnSync(o.node, [join(o.root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build'], { cwd: o.root, env, encoding: 'utf8' });
    if (build.status !== 0) {
      o.out(`tollgate: building the tray app failed:\n${build.stdout}${build.stderr}`);
      return 1;
    }
  }
  // TOLLGATE_NODE: the tray starts the daemon with this Node when it is not running.
  const child = spawn(check.electron, [o.root], { cwd: o.root, env: { ...env, TOLLGATE_NODE: o.node }, stdio: 'inherit' });
  return new Promise((resolve) => {
    child.once('error', (e) => {
      o.out(`tollgate: the tray app did not start: ${e.message}`);
      resolve(1);
    });
    child.once('exit', (code) => resolve(code ?? 0));
  });
}
