// For a headless Linux machine with no Secret Service: run the daemon inside a private D-Bus
// session with the user's gnome-keyring, unlocked by a password the operator types now.
// Never silent, never without a person at the terminal: otherwise Tollgate refuses to start.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';

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

/** The keyring `gnome-keyring-daemon --unlock` opens, or makes with the password it is given. */
const loginKeyring = (env: NodeJS.ProcessEnv): string => join(keyringFolder(env), 'login.keyring');

export interface Terminal {
  /** Asks a question and reads the answer without echoing it. */
  secret(question: string): Promise<string>;
  out(line: string): void;
}

/**
 * The keyring's password: an existing keyring's once; a new keyring's twice, refused when the two
 * differ (a typo would lock the keys away) or when empty (gnome-keyring would keep them unencrypted).
 */
export async function askKeyringPassword(term: Terminal, exists: boolean): Promise<string> {
  if (exists) return term.secret('Keyring password: ');
  const password = await term.secret('New keyring password: ');
  if (password === '') throw new Error('an empty password would leave the keys unencrypted on disk; nothing was created. Run "tollgate start" again and choose one.');
  if ((await term.secret('Type it again: ')) !== password) throw new Error('the two passwords differ; nothing was created. Run "tollgate start" again.');
  return password;
}

export interface KeyringStart {
  /** The daemon's command line, run in the session. */
  command: string[];
  /** Whether the daemon answers on its control socket. */
  answers(): Promise<boolean>;
  term: Terminal;
  env?: NodeJS.ProcessEnv;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Asks for the keyring's password, runs the daemon in the session in the foreground of this
 * terminal, says so once it answers on its control socket, and resolves with its exit code.
 * Throws when the password is refused (nothing started).
 */
export async function startInKeyringSession(o: KeyringStart): Promise<number> {
  const env = o.env ?? process.env;
  const folder = keyringFolder(env);
  const exists = existsSync(loginKeyring(env));
  o.term.out(exists
    ? `tollgate: Tollgate can run your gnome-keyring for itself, in a private session: type the password of the keyring in ${folder} (chosen at an earlier start).`
    : `tollgate: Tollgate can run your gnome-keyring for itself, in a private session. There is no keyring in ${folder} yet: choose a password for a new one; the keys are stored there, encrypted with it.`);
  const password = await askKeyringPassword(o.term, exists);
  const session = runInKeyringSession(password, o.command, env);
  let ended = false;
  const exit = session.exit.then((code) => {
    ended = true;
    return code;
  });
  while (!ended) {
    if (await o.answers()) {
      o.term.out('tollgate: the daemon runs in this terminal, with the keyring unlocked for it: Ctrl-C stops both. Manage it from another terminal ("tollgate status", "tollgate --help").');
      break;
    }
    await Promise.race([exit, sleep(100)]);
  }
  const code = await exit;
  // gnome-keyring and D-Bus talk on every start; what they said matters only when they failed.
  if (!session.keyringStarted()) o.term.out(`tollgate: gnome-keyring did not start in a private D-Bus session (exit code ${code}); they said:\n${session.noise().trimEnd() || '(nothing)'}`);
  return code;
}

interface KeyringSession {
  /** The daemon's exit code (or the session's, when it ended before running the daemon). */
  exit: Promise<number>;
  /** Whether gnome-keyring started (with any password: a wrong one leaves the keyring locked, and the daemon says so). */
  keyringStarted(): boolean;
  /** What D-Bus and gnome-keyring wrote (the last 64 KB). */
  noise(): string;
}

const NOISE_BYTES = 64 * 1024;

/** Runs `command` in a private session bus with gnome-keyring unlocked by `password`. */
function runInKeyringSession(password: string, command: string[], env: NodeJS.ProcessEnv = process.env): KeyringSession {
  // The private bus and its keyring last only as long as the command dbus-run-session runs, and the
  // daemon reads keys from them on every call: so the daemon is that command, in the foreground of
  // this terminal. Its descriptors: 1 and 2 collect D-Bus's and gnome-keyring's chatter, 3 carries
  // the password (never argv or the environment), 4 reports that the keyring daemon is up, 5 and 6
  // are this terminal's stdout and stderr for the command itself.
  const script = 'gnome-keyring-daemon --unlock --components=secrets <&3 4>&- 5>&- 6>&- || exit; exec 3<&-; echo started >&4; exec 4>&-; exec "$@" >&5 2>&6 5>&- 6>&-';
  const child = spawn('dbus-run-session', ['--', 'sh', '-c', script, 'sh', ...command], {
    stdio: ['inherit', 'pipe', 'pipe', 'pipe', 'pipe', 1, 2],
    env: { ...env, [KEYRING_SESSION_ENV]: '1' },
  });
  let noise = '';
  let keyringStarted = false;
  const keep = (s: string): void => {
    noise = (noise + s).slice(-NOISE_BYTES);
  };
  (child.stdio[1] as Readable).setEncoding('utf8').on('data', keep);
  (child.stdio[2] as Readable).setEncoding('utf8').on('data', keep);
  (child.stdio[4] as Readable).setEncoding('utf8').on('data', (s: string) => {
    if (s.includes('started')) keyringStarted = true;
  });
  const fd3 = child.stdio[3] as Writable;
  fd3.on('error', () => undefined); // the session may end before reading it
  fd3.end(password);
  const forward = (signal: NodeJS.Signals): void => void child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  const exit = new Promise<number>((resolve) => {
    child.once('error', (e) => {
      keep(`${e.message}\n`);
      resolve(1);
    });
    child.once('close', (code) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      resolve(code ?? 1);
    });
  });
  return { exit, keyringStarted: () => keyringStarted, noise: () => noise };
}
