// Rule 11 against a real second OS user: the sockets are unreachable for anyone but their owner.
// The test creates a throwaway user, runs `node` as that user (setpriv), and tries to connect.
// Each layer is checked on its own: the data folder (0700), run/ (0700) and the sockets (0600);
// any one of them keeps the other user out.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveCommands, Testbed } from '../../helpers/daemon-process.ts';

const canRun = process.platform === 'linux' && process.getuid?.() === 0 && haveCommands('useradd', 'userdel', 'setpriv');

// Run as the other user: stat each path and connect to each socket; print what happened as JSON.
const PROBE = `
const fs = require('node:fs');
const net = require('node:net');
const [stats, sockets] = JSON.parse(process.argv[1]);
const out = { uid: process.getuid(), stat: {}, connect: {} };
for (const p of stats) {
  try { fs.statSync(p); out.stat[p] = 'ok'; } catch (e) { out.stat[p] = e.code; }
}
let left = sockets.length;
const done = () => { if (--left === 0) { console.log(JSON.stringify(out)); process.exit(0); } };
if (left === 0) { left = 1; done(); }
for (const p of sockets) {
  const s = net.connect(p);
  s.on('connect', () => { out.connect[p] = 'connected'; s.destroy(); done(); });
  s.on('error', (e) => { out.connect[p] = e.code; done(); });
}
`;

interface Probe {
  uid: number;
  stat: Record<string, string>;
  connect: Record<string, string>;
}

// It needs root (to create the user); skipped only outside CI. In CI (root) it always runs: were it
// unable to, it fails rather than hide the gap.
describe.skipIf(!canRun && !process.env.CI)('the sockets, seen by another OS user', () => {
  const user = `tg-other-${randomBytes(4).toString('hex')}`;
  let uid: number;
  let gid: number;
  let t: Testbed;

  /** Runs PROBE as the other user (or, with `asOwner`, as the daemon's own user, the same way). */
  function probe(stats: string[], sockets: string[], asOwner = false): Probe {
    const node = [process.execPath, '-e', PROBE, JSON.stringify([stats, sockets])];
    const [cmd, ...args] = asOwner ? node : ['setpriv', `--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', ...node];
    const r = spawnSync(cmd!, args, { cwd: '/', env: { PATH: '/usr/bin:/bin', HOME: '/' }, encoding: 'utf8', timeout: 20_000 });
    if (r.status !== 0) throw new Error(`probe failed (${r.status}): ${r.stderr}`);
    const result = JSON.parse(r.stdout) as Probe;
    expect(result.uid).toBe(asOwner ? process.getuid!() : uid); // it really ran as that user
    return result;
  }

  /** The owner, probing the same way, reaches both sockets: they are alive, only closed to others. */
  function expectOwnerConnects(): void {
    const p = probe([], [t.paths.controlSocket, t.paths.agentSocket], true);
    expect(p.connect).toEqual({ [t.paths.controlSocket]: 'connected', [t.paths.agentSocket]: 'connected' });
  }

  beforeAll(async () => {
    execFileSync('useradd', ['--no-create-home', '--shell', '/usr/sbin/nologin', user]);
    uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
    gid = Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim());
    t = await Testbed.create({ tmpRoot: '/tmp' }); // /tmp (1777) is traversable by everyone
    await t.start();
  });

  afterAll(async () => {
    await t?.close();
    spawnSync('userdel', [user]);
  });

  it('lets the other user see TOLLGATE_HOME (so /tmp is no obstacle) but not enter it, and refuses both sockets', () => {
    expect(statSync(t.home).mode & 0o777).toBe(0o700);
    const p = probe([t.home, t.paths.runDir], [t.paths.controlSocket, t.paths.agentSocket]);
    expect(p.stat[t.home]).toBe('ok');
    expect(p.stat[t.paths.runDir]).toBe('EACCES');
    expect(p.connect[t.paths.controlSocket]).toBe('EACCES');
    expect(p.connect[t.paths.agentSocket]).toBe('EACCES');
    expectOwnerConnects();
  });

  it('keeps the other user out with run/ (0700) alone, when the data folder is opened up', async () => {
    chmodSync(t.home, 0o755);
    try {
      const p = probe([t.home, t.paths.runDir, t.paths.controlSocket], [t.paths.controlSocket, t.paths.agentSocket]);
      expect(p.stat[t.paths.runDir]).toBe('ok'); // run/ itself is visible now...
      expect(statSync(t.paths.runDir).mode & 0o777).toBe(0o700);
      expect(p.stat[t.paths.controlSocket]).toBe('EACCES'); // ...but its 0700 keeps everyone out
      expect(p.connect[t.paths.controlSocket]).toBe('EACCES');
      expect(p.connect[t.paths.agentSocket]).toBe('EACCES');
      expectOwnerConnects();
    } finally {
      chmodSync(t.home, 0o700);
    }
  });

  it('keeps the other user out with the socket mode (0600) alone, when both folders are opened up', async () => {
    chmodSync(t.home, 0o755);
    chmodSync(t.paths.runDir, 0o755);
    try {
      const p = probe([t.paths.controlSocket, t.paths.agentSocket], [t.paths.controlSocket, t.paths.agentSocket]);
      expect(p.stat[t.paths.controlSocket]).toBe('ok'); // the socket files are in reach...
      expect(statSync(t.paths.controlSocket).mode & 0o777).toBe(0o600);
      expect(statSync(t.paths.agentSocket).mode & 0o777).toBe(0o600);
      expect(p.connect[t.paths.controlSocket]).toBe('EACCES'); // ...and connecting needs write permission
      expect(p.connect[t.paths.agentSocket]).toBe('EACCES');
      expectOwnerConnects();
    } finally {
      chmodSync(t.paths.runDir, 0o700);
      chmodSync(t.home, 0o700);
    }
  });

  it('lets the owner talk to both sockets', async () => {
    expect((await t.control('GET', '/v1/health')).status).toBe(200);
    expect((await t.agent('GET', '/v1/health')).status).toBe(200);
  });

  it('puts the folders back to 0700 on the next start, after someone opened them up', async () => {
    await t.stop();
    chmodSync(t.home, 0o755);
    chmodSync(t.paths.runDir, 0o755);
    await t.start();
    expect(statSync(t.home).mode & 0o777).toBe(0o700);
    expect(statSync(t.paths.runDir).mode & 0o777).toBe(0o700);
    const p = probe([t.home, t.paths.runDir], [t.paths.controlSocket, t.paths.agentSocket]);
    expect(p.stat[t.paths.runDir]).toBe('EACCES');
    expect(p.connect[t.paths.controlSocket]).toBe('EACCES');
    expect(p.connect[t.paths.agentSocket]).toBe('EACCES');
    expectOwnerConnects();
  });
});
