// For a headless Linux machine with no Secret Service: run the daemon inside a private D-Bus
// session with the user's gnome-keyring, unlocked by a password the operator types now.
// Never silent, never without a person at the terminal: otherwise Tollgate refuses to start.
import { spawn, spawnSync } from 'node:child_process';
import { homedir } from 'node:os';
import { join } from 'node:path';

export function canOfferKeyringSession(): boolean {
  if (process.platform !== 'linux' || !process.stdin.isTTY) return false;
  const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
  return has('dbus-run-session') && has('gnome-keyring-daemon');
}

/** Set for the command run in the session: a keychain that stays locked there means a wrong password. */
export const KEYRING_SESSION_ENV = 'TOLLGATE_KEYRING_SESSION';

/** Where gnome-keyring keeps its keyrings (the login keyring an earlier session made, if any). */
export const keyringFolder = (env: NodeJS.ProcessEnv = process.env): string =>
  join(env.XDG_DATA_HOME || join(env.HOME ?? homedir(), '.local', 'share'), 'keyrings');

/** Runs `command` in a private session bus with gnome-keyring unlocked; resolves with its exit code. */
export function runInKeyringSession(password: string, command: string[]): Promise<number> {
  // The password travels on fd 3, never in argv or the environment.
  const script = 'gnome-keyring-daemon --unlock --components=secrets <&3 >/dev/null && exec 3<&- && exec "$@"';
  const child = spawn('dbus-run-session', ['--', 'sh', '-c', script, 'sh', ...command], {
    stdio: ['inherit', 'inherit', 'inherit', 'pipe'],
    env: { ...process.env, [KEYRING_SESSION_ENV]: '1' },
  });
  const fd3 = child.stdio[3] as NodeJS.WritableStream;
  fd3.end(password);
  const forward = (signal: NodeJS.Signals): void => void child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  return new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
}
