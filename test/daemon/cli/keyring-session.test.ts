// `npm start` on a Linux machine with no Secret Service (the README's first command on a fresh
// server): it offers to run gnome-keyring in a private session, unlocked by a password typed at
// the terminal (a new keyring's twice), and runs the daemon there, saying so once it answers. A
// second start with that password finds its keys; a wrong one is told so, plainly, and nothing
// starts. gnome-keyring's and D-Bus's own chatter shows only when they fail.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ControlClient } from '../../../daemon/client/control-client.ts';
import { resolvePaths } from '../../../daemon/paths.ts';
import { askKeyringPassword } from '../../../daemon/process/keyring-session.ts';
import { haveCommands, waitFor } from '../../helpers/daemon-process.ts';
import { Terminal } from './terminal.ts';

const haveTools = haveCommands('dbus-run-session', 'gnome-keyring-daemon', 'script');

/** A terminal whose answers are read from a list; what it was asked and told. */
function scripted(answers: string[]) {
  const asked: string[] = [];
  const told: string[] = [];
  return { asked, told, secret: async (q: string) => { asked.push(q); return answers.shift() ?? ''; }, out: (l: string) => void told.push(l) };
}

describe('the keyring password', () => {
  it('of an existing keyring is asked once', async () => {
    const term = scripted(['old']);
    expect(await askKeyringPassword(term, true)).toBe('old');
    expect(term.asked).toEqual(['Keyring password: ']);
  });

  it('of a new keyring is asked twice, and refused when the two differ or it is empty', async () => {
    const twice = scripted(['new', 'new']);
    expect(await askKeyringPassword(twice, false)).toBe('new');
    expect(twice.asked).toEqual(['New keyring password: ', 'Type it again: ']);
    await expect(askKeyringPassword(scripted(['new', 'nwe']), false)).rejects.toThrow('the two passwords differ; nothing was created');
    const empty = scripted(['', '']);
    await expect(askKeyringPassword(empty, false)).rejects.toThrow('an empty password would leave the keys unencrypted');
    expect(empty.asked).toHaveLength(1);
  });
});

describe.skipIf(process.platform !== 'linux' || (!haveTools && !process.env.CI))('npm start without a Secret Service', () => {
  const root = mkdtempSync(join(tmpdir(), 'tollgate-keyring-session-'));
  const home = join(root, 'data');
  const paths = resolvePaths({ TOLLGATE_HOME: home });
  // gnome-keyring as it talks on some machines, and as it fails when FAIL_KEYRING is set: a
  // wrapper before the real one on PATH.
  const bin = join(root, 'bin');
  mkdirSync(bin);
  const real = spawnSync('sh', ['-c', 'command -v gnome-keyring-daemon'], { encoding: 'utf8' }).stdout.trim();
  writeFileSync(join(bin, 'gnome-keyring-daemon'), [
    '#!/bin/sh',
    'echo "discover_other_daemon: 0" >&2',
    'echo "GNOME_KEYRING_CONTROL=/run/user/1000/keyring"',
    `[ -z "$FAIL_KEYRING" ] || { echo "gnome-keyring-daemon: couldn't connect to dbus session bus" >&2; exit 1; }`,
    `exec '${real}' "$@"`,
  ].join('\n'));
  chmodSync(join(bin, 'gnome-keyring-daemon'), 0o755);
  // No session bus, and a home of its own: a machine where nobody made a keyring yet.
  const env = { DBUS_SESSION_BUS_ADDRESS: undefined, DISPLAY: undefined, HOME: join(root, 'home'), XDG_DATA_HOME: undefined, XDG_RUNTIME_DIR: join(root, 'run'), PATH: `${bin}:${process.env.PATH}` };
  mkdirSync(env.HOME, { recursive: true });
  mkdirSync(env.XDG_RUNTIME_DIR, { recursive: true, mode: 0o700 });
  const loginKeyring = join(env.HOME, '.local', 'share', 'keyrings', 'login.keyring');
  const NOISE = ['discover_other_daemon', 'GNOME_KEYRING_CONTROL', 'dbus-daemon['];
  let term: Terminal | undefined;

  /** Stops the daemon the session runs (its session and keyring go with it). */
  async function stopDaemon(): Promise<void> {
    if (existsSync(paths.pidFile)) {
      try { process.kill(Number(readFileSync(paths.pidFile, 'utf8').trim()), 'SIGTERM'); } catch { /* gone */ }
    }
    if (term) expect(await term.exit()).toBe(0);
    term = undefined;
  }
  afterEach(stopDaemon);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  /** `npm start`, answering the password questions in turn. */
  async function start(answers: [question: string, answer: string][], extra: Record<string, string> = {}): Promise<Terminal> {
    term = new Terminal(['start'], home, { ...env, ...extra });
    await term.expect('Tollgate can run your gnome-keyring for itself, in a private session');
    for (const [question, answer] of answers) await term.expect(question, `${answer}\n`);
    return term;
  }

  /** Waits for a command that fails; its screen. */
  async function failed(t: Terminal): Promise<string> {
    expect(await t.exit()).toBe(1);
    term = undefined;
    expect(t.screen).not.toMatch(/daemon running|the daemon runs in this terminal/);
    return t.screen;
  }

  it('a new keyring: the password is asked twice, and two that differ are refused before anything is made', async () => {
    const screen = await failed(await start([['New keyring password: ', 'first-keyring-password'], ['Type it again: ', 'first-keyring-pasword']]));
    expect(screen).toContain(`There is no keyring in ${join(env.HOME, '.local', 'share', 'keyrings')} yet: choose a password for a new one`);
    expect(screen).toContain('tollgate: the two passwords differ; nothing was created. Run "tollgate start" again.');
    expect(existsSync(loginKeyring)).toBe(false);
  });

  it('with the same password twice, runs the daemon in that session, says so once it answers, and shows none of the keyring’s chatter', async () => {
    const t = await start([['New keyring password: ', 'first-keyring-password'], ['Type it again: ', 'first-keyring-password']]);
    await t.expect(/daemon running \(pid \d+\)/);
    await t.expect('tollgate: the daemon runs in this terminal, with the keyring unlocked for it: Ctrl-C stops both.');
    expect(t.screen).not.toContain('first-keyring-password');
    for (const noise of NOISE) expect(t.screen).not.toContain(noise);
    // An assistant's call (to an integration nobody approved) is refused and written down.
    const agent = new Agent({ connect: { socketPath: paths.agentSocket } });
    const refused = await request('http://tollgate/v1/call/nowhere/x', { dispatcher: agent, headers: { 'tollgate-purpose': 'try the gate' } });
    expect([refused.statusCode, refused.headers['tollgate-error']]).toEqual([403, 'not_allowlisted']);
    await refused.body.dump();
    await agent.close();
    const client = new ControlClient(paths.controlSocket, 'cli');
    expect(await client.verifyAudit()).toEqual({ ok: true, records: 1 });
    await client.close();
    // The keyring it made lives in the machine's keyring folder, for the next start.
    expect(existsSync(loginKeyring)).toBe(true);
  });

  it('a second start asks for the password once and finds the same keys: the record chained under the first still verifies', async () => {
    const t = await start([['Keyring password: ', 'first-keyring-password']]);
    await t.expect('tollgate: the daemon runs in this terminal');
    expect(t.screen).toContain('type the password of the keyring in');
    expect(t.screen).not.toContain('New keyring password');
    const client = new ControlClient(paths.controlSocket, 'cli');
    expect(await client.verifyAudit()).toEqual({ ok: true, records: 1 });
    await client.close();
  });

  it('a wrong password: told that it did not unlock the existing keyring, and nothing runs', async () => {
    const screen = await failed(await start([['Keyring password: ', 'not-the-password']]));
    expect(screen).toMatch(/the password did not unlock the keyring in .*\/home\/\.local\/share\/keyrings \(.*locked.*\)\. Run "tollgate start" again and type the password chosen when it was made/);
    expect(screen).not.toContain('not-the-password');
    for (const noise of NOISE) expect(screen).not.toContain(noise);
    await waitFor(() => !existsSync(paths.agentSocket), 'no agent socket');
  });

  it('gnome-keyring failing to start: what it said is shown, and nothing runs', async () => {
    const screen = await failed(await start([['Keyring password: ', 'first-keyring-password']], { FAIL_KEYRING: '1' }));
    expect(screen).toContain('tollgate: gnome-keyring did not start in a private D-Bus session (exit code 1); they said:');
    expect(screen).toContain("gnome-keyring-daemon: couldn't connect to dbus session bus");
    expect(screen).toContain('discover_other_daemon: 0');
  });
});
