// `npm start` on a Linux machine with no Secret Service (the README's first command on a fresh
// server): it offers to run gnome-keyring in a private session, unlocked by a password typed at
// the terminal, and runs the daemon there. A second start with that password finds its keys; a
// wrong one is told so, plainly, and nothing starts.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ControlClient } from '../../../daemon/client/control-client.ts';
import { resolvePaths } from '../../../daemon/paths.ts';
import { haveCommands, waitFor } from '../../helpers/daemon-process.ts';
import { Terminal } from './terminal.ts';

const haveTools = haveCommands('dbus-run-session', 'gnome-keyring-daemon', 'script');

describe.skipIf(process.platform !== 'linux' || (!haveTools && !process.env.CI))('npm start without a Secret Service', () => {
  const root = mkdtempSync(join(tmpdir(), 'tollgate-keyring-session-'));
  const home = join(root, 'data');
  const paths = resolvePaths({ TOLLGATE_HOME: home });
  // No session bus, and a home of its own: a machine where nobody made a keyring yet.
  const env = { DBUS_SESSION_BUS_ADDRESS: undefined, DISPLAY: undefined, HOME: join(root, 'home'), XDG_DATA_HOME: undefined, XDG_RUNTIME_DIR: join(root, 'run') };
  mkdirSync(env.HOME, { recursive: true });
  mkdirSync(env.XDG_RUNTIME_DIR, { recursive: true, mode: 0o700 });
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

  async function start(password: string): Promise<Terminal> {
    term = new Terminal(['start'], home, env);
    await term.expect('Tollgate can run your gnome-keyring for itself, in a private session.');
    await term.expect('Keyring password: ', `${password}\n`);
    return term;
  }

  it('asks for a password without echoing it, then runs the daemon in that session', async () => {
    const t = await start('first-keyring-password');
    await t.expect(/daemon running \(pid \d+\)/);
    expect(t.screen).not.toContain('first-keyring-password');
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
    expect(existsSync(join(env.HOME, '.local', 'share', 'keyrings'))).toBe(true);
  });

  it('a second start with the same password finds the same keys: the record chained under the first still verifies', async () => {
    const t = await start('first-keyring-password');
    await t.expect(/daemon running \(pid \d+\)/);
    const client = new ControlClient(paths.controlSocket, 'cli');
    expect(await client.verifyAudit()).toEqual({ ok: true, records: 1 });
    await client.close();
  });

  it('a wrong password: told that it did not unlock the existing keyring, and nothing runs', async () => {
    const t = await start('not-the-password');
    expect(await t.exit()).toBe(1);
    term = undefined;
    expect(t.screen).toMatch(/the keyring password did not unlock the keyring \(.*locked.*\)\. If .*\/home\/\.local\/share\/keyrings holds a login keyring from an earlier start, run "npm start" again and type its password/);
    expect(t.screen).not.toContain('not-the-password');
    expect(t.screen).not.toMatch(/daemon running/);
    await waitFor(() => !existsSync(paths.agentSocket), 'no agent socket');
  });
});
