// `npm start` and the tray's own daemon start (daemon/process/launch.ts): the daemon detached and
// left running, the tray only where Electron and a display exist, one line where they do not.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlClient } from '../../daemon/client/control-client.ts';
import { resolvePaths } from '../../daemon/paths.ts';
import { checkTray, daemonLog, startDaemonDetached, startTray, TRAY_BUILD, trayBuildStale } from '../../daemon/process/launch.ts';
import { runCli, Testbed, waitFor } from '../helpers/daemon-process.ts';

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

/** A project folder with only the files given (path → content). */
function project(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'tollgate-launch-'));
  roots.push(root);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content, { mode: 0o755 });
  }
  return root;
}

const ELECTRON = { 'node_modules/electron/path.txt': 'electron', 'node_modules/electron/dist/electron': '#!/bin/sh\n' };

describe('whether the tray can run', () => {
  it('needs the Electron binary that node_modules/electron/path.txt names', () => {
    expect(checkTray(project({}), { DISPLAY: ':0' }, 'linux')).toEqual({ ok: false, missing: 'the Electron binary is not installed (node_modules/electron/path.txt is missing)' });
    expect(checkTray(project({ 'node_modules/electron/path.txt': 'electron' }), { DISPLAY: ':0' }, 'linux'))
      .toEqual({ ok: false, missing: 'the Electron binary is not installed (node_modules/electron/dist/electron is missing)' });
    const root = project(ELECTRON);
    expect(checkTray(root, { DISPLAY: ':0' }, 'linux')).toEqual({ ok: true, electron: join(root, 'node_modules/electron/dist/electron') });
  });

  it('needs a display on Linux (X11 or Wayland)', () => {
    const root = project(ELECTRON);
    expect(checkTray(root, {}, 'linux')).toEqual({ ok: false, missing: 'there is no display (DISPLAY and WAYLAND_DISPLAY are unset)' });
    expect(checkTray(root, { WAYLAND_DISPLAY: 'wayland-0' }, 'linux').ok).toBe(true);
    expect(checkTray(root, {}, 'darwin').ok).toBe(true);
  });

  it('where it cannot, says so in one line with the CLI to use instead, and succeeds', async () => {
    const out: string[] = [];
    const code = await startTray({ root: project(ELECTRON), node: process.execPath, daemon: 'the daemon is already running', out: (l) => out.push(l), env: {}, platform: 'linux' });
    expect(code).toBe(0);
    expect(out).toEqual(['tollgate: the daemon is already running; no tray app: there is no display (DISPLAY and WAYLAND_DISPLAY are unset). Use the CLI instead: "tollgate status", "tollgate --help".']);
  });

  it('where it can, runs Electron on the project with the Node that starts daemons, and passes its exit code on', async () => {
    const root = project({
      ...ELECTRON,
      'node_modules/electron/dist/electron': '#!/bin/sh\necho "$@" "$TOLLGATE_NODE" > "$(dirname "$0")/ran"\nexit 3\n',
      ...Object.fromEntries(TRAY_BUILD.map((f) => [f, ''])),
    });
    expect(trayBuildStale(root)).toBe(false);
    const out: string[] = [];
    const code = await startTray({ root, node: '/opt/node/bin/node', daemon: 'daemon started', out: (l) => out.push(l), env: { DISPLAY: ':0' }, platform: 'linux' });
    expect(code).toBe(3);
    expect(readFileSync(join(root, 'node_modules/electron/dist/ran'), 'utf8').trim()).toBe(`${root} /opt/node/bin/node`);
    expect(out).toEqual(['tollgate: daemon started; starting the tray app (quitting it leaves the daemon running)']);
  });

  it('rebuilds the tray when a source is newer than the build', () => {
    const root = project({ 'electron/main.ts': '', ...Object.fromEntries(TRAY_BUILD.map((f) => [f, ''])) });
    const past = new Date(Date.now() - 60_000);
    utimesSync(join(root, 'electron/main.ts'), past, past);
    expect(trayBuildStale(root)).toBe(false);
    utimesSync(join(root, 'electron/main.ts'), new Date(), new Date(Date.now() + 60_000));
    expect(trayBuildStale(root)).toBe(true);
    rmSync(join(root, TRAY_BUILD[0]!));
    expect(trayBuildStale(root)).toBe(true);
  });
});

describe('starting the daemon detached', () => {
  it('reports the daemon’s last words when it stops before answering, from a private log', async () => {
    const root = project({ 'daemon/bin.mjs': 'console.log("tollgate 0.1.0 starting");\nconsole.error("tollgate: no usable OS keychain (locked)");\nprocess.exit(1);\n' });
    const paths = resolvePaths({ TOLLGATE_HOME: join(root, 'home') });
    await expect(startDaemonDetached({ root, node: process.execPath, paths, answers: async () => false, timeoutMs: 10_000 }))
      .rejects.toThrow(`the daemon did not start: no usable OS keychain (locked) (more in ${daemonLog(paths)})`);
    expect(statSync(daemonLog(paths)).mode & 0o777).toBe(0o600);
  });
});

describe('npm start (`tollgate start`) without a tray', () => {
  let t: Testbed;
  let pid = 0;
  beforeAll(async () => {
    t = await Testbed.create();
  });
  afterAll(async () => {
    if (pid) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
      await waitFor(() => !existsSync(t.paths.pidFile), 'the daemon to stop');
    }
    await t?.close();
  });

  const start = () => runCli(['start'], t.env({ DISPLAY: undefined, WAYLAND_DISPLAY: undefined }));

  it('starts the daemon in the background, says in one line that there is no tray, and exits 0 leaving the daemon running', async () => {
    const r = await start();
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^tollgate: daemon started in the background \(pid \d+, output in .*daemon\.log\); no tray app: .+\. Use the CLI instead: "tollgate status", "tollgate --help"\.$/);

    pid = Number(readFileSync(t.paths.pidFile, 'utf8').trim());
    expect(() => process.kill(pid, 0)).not.toThrow();
    const client = new ControlClient(t.paths.controlSocket, 'test');
    expect(await client.isRunning()).toBe(true);
    await client.close();
    expect(statSync(join(t.home, 'daemon.log')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(t.home, 'daemon.log'), 'utf8')).toMatch(/daemon running \(pid \d+\)/);
  });

  it('a second time, finds it running and leaves it alone', async () => {
    const r = await start();
    expect(r.code).toBe(0);
    expect(r.stdout.trimEnd().split('\n')).toEqual([expect.stringMatching(/^tollgate: the daemon is already running; no tray app: /)]);
    expect(Number(readFileSync(t.paths.pidFile, 'utf8').trim())).toBe(pid);
  });
});
