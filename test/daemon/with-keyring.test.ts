// test/with-keyring.sh, which `npm test` runs everything in: the command finds an unlocked Secret
// Service on a private bus, its exit code passes through, and neither the bus nor the keyring
// daemon outlives the script, not even as a zombie waiting for init.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { haveCommands, overlay, PROJECT_ROOT } from '../helpers/daemon-process.ts';

const SCRIPT = join(PROJECT_ROOT, 'test', 'with-keyring.sh');

/** Prints the pid of the process owning a bus name (the bus itself owns org.freedesktop.DBus). */
const owner = (name: string): string =>
  `dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus.GetConnectionUnixProcessID string:${name} | awk '/uint32/ { print $2 }'`;

/** Runs `script` under with-keyring.sh on a private keyring; `pids` resolves with the bus's and the keyring's pids once printed. */
function underKeyring(script: string) {
  const child = spawn('bash', [SCRIPT, 'sh', '-c', `${owner('org.freedesktop.DBus')}; ${owner('org.freedesktop.secrets')}; ${script}`], {
    env: overlay(process.env, { TOLLGATE_TEST_KEYRING: 'isolated', DBUS_SESSION_BUS_ADDRESS: undefined }),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const printed = (): number[] => out.split('\n').filter((l) => /^\d+$/.test(l)).map(Number);
  const pids = new Promise<number[]>((resolve) => {
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      out += s;
      if (printed().length === 2) resolve(printed());
    });
  });
  const exit = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return { child, pids, exit };
}

const alive = (pids: number[]): number[] => pids.filter((pid) => existsSync(`/proc/${pid}`));

describe.skipIf(process.platform !== 'linux' || !haveCommands('dbus-daemon', 'dbus-send', 'gnome-keyring-daemon'))('with-keyring.sh', () => {
  it("passes the command's exit code through and leaves no bus or keyring daemon behind", async () => {
    const run = underKeyring('exit 7');
    const pids = await run.pids;
    expect(alive(pids)).toEqual(pids);
    expect(await run.exit).toBe(7);
    expect(alive(pids)).toEqual([]);
  });

  it('passes SIGTERM on to the command, then stops the bus and the keyring all the same', async () => {
    const run = underKeyring('exec sleep 60');
    const pids = await run.pids;
    run.child.kill('SIGTERM');
    expect(await run.exit).toBe(143);
    expect(alive(pids)).toEqual([]);
  });
});
