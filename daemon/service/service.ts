// `tollgate service`: the daemon started at login by the platform's own service manager (a
// systemd user unit on Linux, a LaunchAgent on macOS). Everything it touches is given (home,
// platform, the command runner), so a test reads the files it writes and the commands it runs.
import { chmodSync, closeSync, existsSync, fchmodSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Paths } from '../paths.ts';
import { daemonLog } from '../process/launch.ts';
import { daemonCommand } from './daemon-command.ts';
import { LAUNCHD_LABEL, launchAgentFile, launchAgentPlist } from './launchd.ts';
import { SYSTEMD_UNIT, systemdUnit, systemdUnitFile } from './systemd.ts';

export interface RunResult {
  /** null when the command could not be run at all. */
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface ServiceHost {
  platform: NodeJS.Platform;
  home: string;
  uid: number;
  env: NodeJS.ProcessEnv;
  /** The project folder. */
  root: string;
  /** The Node that runs the daemon (projectNode()). */
  node: string;
  paths: Paths;
  run(command: string, args: string[]): RunResult;
  out(line: string): void;
}

type Step = { argv: string[]; mayFail?: boolean };

/** One platform's service manager, as `tollgate service` drives it. */
interface Manager {
  file: string;
  text: string;
  /** What it says of where the daemon's output goes. */
  output: string;
  /** Why its commands cannot run here (one sentence), or null when they can. */
  unusable(): string | null;
  /** After the file is written; `replaced` when it held something else before. */
  start(replaced: boolean): Step[];
  /** Before the file is removed. */
  stop(): Step[];
  /** After the file is removed. */
  forget(): Step[];
  /** What enabling it made beside the file (removed with it, even where its commands cannot run). */
  links: string[];
  state(): string;
}

function systemd(h: ServiceHost): Manager {
  const ctl = (...args: string[]): string[] => ['systemctl', '--user', ...args];
  const ask = (verb: string): string => h.run('systemctl', ['--user', verb, SYSTEMD_UNIT]).stdout.trim() || 'unknown';
  return {
    file: systemdUnitFile(h.home, h.env),
    text: systemdUnit(daemonCommand(h.root, h.node, h.env)),
    output: `output in the journal: journalctl --user -u ${SYSTEMD_UNIT}`,
    unusable() {
      const r = h.run('systemctl', ['--user', 'show-environment']);
      return r.status === 0 ? null : `systemctl --user does not answer here (${r.stderr.trim().split('\n')[0] || 'systemctl is not installed'})`;
    },
    // A unit that changed while the daemon runs takes effect on a restart; try-restart leaves a stopped one stopped.
    start: (replaced) => [{ argv: ctl('daemon-reload') }, { argv: ctl('enable', '--now', SYSTEMD_UNIT) }, ...(replaced ? [{ argv: ctl('try-restart', SYSTEMD_UNIT) }] : [])],
    stop: () => [{ argv: ctl('disable', '--now', SYSTEMD_UNIT) }],
    forget: () => [{ argv: ctl('daemon-reload') }],
    links: [join(dirname(systemdUnitFile(h.home, h.env)), 'default.target.wants', SYSTEMD_UNIT)],
    state: () => `${ask('is-enabled')}, ${ask('is-active')}`,
  };
}

function launchd(h: ServiceHost): Manager {
  const file = launchAgentFile(h.home);
  const log = daemonLog(h.paths);
  const target = `gui/${h.uid}/${LAUNCHD_LABEL}`;
  const c = daemonCommand(h.root, h.node, h.env);
  // bootstrap refuses a label that is loaded already: an earlier version is booted out first.
  const bootout: Step = { argv: ['launchctl', 'bootout', target], mayFail: true };
  return {
    file,
    text: launchAgentPlist({ label: LAUNCHD_LABEL, argv: c.argv, cwd: c.root, env: c.env, restartOnFailure: true, log }),
    output: `output in ${log}`,
    unusable: () => null,
    start: () => [bootout, { argv: ['launchctl', 'bootstrap', `gui/${h.uid}`, file] }],
    stop: () => [bootout],
    forget: () => [],
    links: [],
    state() {
      const r = h.run('launchctl', ['print', target]);
      if (r.status !== 0) return 'not loaded';
      const pid = /^\s*pid = (\d+)/m.exec(r.stdout)?.[1];
      return pid ? `loaded, running (pid ${pid})` : 'loaded, not running';
    },
  };
}

function manager(h: ServiceHost): Manager {
  if (h.platform === 'linux') return systemd(h);
  if (h.platform === 'darwin') return launchd(h);
  throw new Error(`starting the daemon at login is not supported on ${h.platform}: start it with "tollgate start" after logging in`);
}

const shell = (steps: Step[]): string => steps.map((s) => s.argv.join(' ')).join(' && ');

function runSteps(h: ServiceHost, steps: Step[]): void {
  for (const step of steps) {
    const [command, ...args] = step.argv as [string, ...string[]];
    const r = h.run(command, args);
    if (r.status !== 0 && !step.mayFail) throw new Error(`"${step.argv.join(' ')}" failed: ${r.stderr.trim() || `exit code ${r.status}`}`);
  }
}

export function installService(h: ServiceHost): void {
  const m = manager(h);
  const before = existsSync(m.file) ? readFileSync(m.file, 'utf8') : null;
  mkdirSync(dirname(m.file), { recursive: true });
  writeFileSync(m.file, m.text, { mode: 0o644 });
  chmodSync(m.file, 0o644); // a file written before keeps its mode otherwise
  if (h.platform === 'darwin') ownLog(h.paths);
  h.out(`tollgate: wrote ${m.file}: the daemon run by ${h.node}, started again when it fails; ${m.output}`);
  const steps = m.start(before !== null && before !== m.text);
  const unusable = m.unusable();
  if (unusable) {
    h.out(`tollgate: ${unusable}; where a user session runs, start the service with: ${shell(steps)}`);
    return;
  }
  runSteps(h, steps);
  h.out('tollgate: the daemon starts at every login from now on, and now ("tollgate service status" shows it; "tollgate service uninstall" undoes this).');
}

export function uninstallService(h: ServiceHost): void {
  const m = manager(h);
  if (!existsSync(m.file)) {
    h.out(`tollgate: no service is installed (${m.file} does not exist)`);
    return;
  }
  const unusable = m.unusable();
  if (!unusable) runSteps(h, m.stop());
  for (const f of [m.file, ...m.links]) rmSync(f, { force: true });
  if (!unusable) runSteps(h, m.forget());
  h.out(`tollgate: removed ${m.file}${unusable ? '' : ' and stopped the daemon it ran'}; the daemon no longer starts at login.`);
}

/** The service's file and state; false when none is installed. */
export function serviceStatus(h: ServiceHost): boolean {
  const m = manager(h);
  if (!existsSync(m.file)) {
    h.out(`tollgate: no service is installed (${m.file} does not exist); "tollgate service install" adds one`);
    return false;
  }
  const unusable = m.unusable();
  h.out(`tollgate: service ${m.file}: ${unusable ? `state unknown (${unusable})` : m.state()}; ${m.output}`);
  return true;
}

/** launchd creates its log files with a wide mode: the daemon's log is made first, owner-only. */
function ownLog(paths: Paths): void {
  mkdirSync(paths.dataDir, { recursive: true, mode: 0o700 });
  const fd = openSync(daemonLog(paths), 'a', 0o600);
  try {
    fchmodSync(fd, 0o600);
  } finally {
    closeSync(fd);
  }
}
