// The daemon as a real process (SPEC "Running", rule 11): its pid file, one daemon per data
// folder, stale pid and socket files replaced, owner-only folder and socket modes, a graceful
// SIGTERM, and no start without a Secret Service.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Agent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { socketRequest } from '../../helpers/harness.ts';
import { errorCode, Testbed, waitFor } from '../../helpers/daemon-process.ts';

const beds: Testbed[] = [];
async function testbed(opts: Parameters<typeof Testbed.create>[0] = {}): Promise<Testbed> {
  const t = await Testbed.create(opts);
  beds.push(t);
  return t;
}
afterEach(async () => {
  await Promise.all(beds.splice(0).map((t) => t.close()));
});

const mode = (path: string): number => statSync(path).mode & 0o777;
const lines = (s: string): string[] => s.split('\n').filter((l) => l.trim() !== '');

/** A pid that belonged to a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '']);
  if (!r.pid) throw new Error('could not spawn');
  return r.pid;
}

describe('the daemon process', () => {
  it('holds its pid in run/daemon.pid, in an owner-only run/ (0700) with 0600 sockets, even where run/ was 0755', async () => {
    const t = await testbed();
    // A data folder and run/ left readable by everyone (an older install, a careless mkdir).
    chmodSync(t.home, 0o755);
    mkdirSync(t.paths.runDir, { mode: 0o755 });
    chmodSync(t.paths.runDir, 0o755);
    expect(mode(t.paths.runDir)).toBe(0o755);

    const d = await t.start();
    expect(readFileSync(t.paths.pidFile, 'utf8').trim()).toBe(String(d.pid));
    expect(mode(t.paths.pidFile)).toBe(0o600);
    expect(mode(t.home)).toBe(0o700);
    expect(mode(t.paths.runDir)).toBe(0o700);
    for (const s of [t.paths.agentSocket, t.paths.controlSocket]) {
      expect(statSync(s).isSocket()).toBe(true);
      expect(mode(s)).toBe(0o600);
    }
    expect(d.stdout).toContain(`daemon running (pid ${d.pid})`);

    expect(await t.stop()).toEqual({ code: 0, signal: null });
  });

  it('refuses a second daemon on the same folder with one clear line and a non-zero exit, leaving the first alone', async () => {
    const t = await testbed();
    const first = await t.start();
    const agentIno = statSync(t.paths.agentSocket).ino;
    const controlIno = statSync(t.paths.controlSocket).ino;

    const second = t.spawnDaemon();
    const exit = await second.waitForExit();
    expect(exit.code).not.toBe(0);
    expect(exit.code).not.toBeNull();
    expect(lines(second.stderr)).toHaveLength(1);
    expect(second.stderr).toMatch(/^tollgate: .*already running.*\n$/);
    expect(second.stderr).toContain(`pid ${first.pid}`);
    expect(second.stdout).toBe('');

    // The first daemon still owns the folder: its pid file and its very sockets.
    expect(readFileSync(t.paths.pidFile, 'utf8').trim()).toBe(String(first.pid));
    expect(statSync(t.paths.agentSocket).ino).toBe(agentIno);
    expect(statSync(t.paths.controlSocket).ino).toBe(controlIno);
    expect((await t.control('GET', '/v1/health')).status).toBe(200);
    expect((await t.agent('GET', '/v1/health')).status).toBe(200);
    expect(first.exitStatus).toBeNull();

    expect(await t.stop()).toEqual({ code: 0, signal: null });
  });

  it('replaces a stale pid file (dead pid) and the stale sockets a killed daemon left', async () => {
    const t = await testbed();
    const crashed = await t.start();
    await t.kill9();
    // A crash leaves everything behind.
    expect(readFileSync(t.paths.pidFile, 'utf8').trim()).toBe(String(crashed.pid));
    expect(statSync(t.paths.agentSocket).isSocket()).toBe(true);
    expect(statSync(t.paths.controlSocket).isSocket()).toBe(true);
    // Nothing answers on the stale socket.
    const probe = new Agent({ connect: { socketPath: t.paths.controlSocket } });
    const refused = await socketRequest(probe, 'GET', '/v1/health').then(() => null, errorCode);
    await probe.destroy();
    expect(refused).toBe('ECONNREFUSED');

    // Another dead pid, not the crashed daemon's own.
    const dead = deadPid();
    writeFileSync(t.paths.pidFile, `${dead}\n`);
    const d = await t.start();
    expect(readFileSync(t.paths.pidFile, 'utf8').trim()).toBe(String(d.pid));
    expect(mode(t.paths.agentSocket)).toBe(0o600);
    expect(mode(t.paths.controlSocket)).toBe(0o600);
    // The stale sockets refused connections; the replacements answer (inode numbers may be reused, so they prove nothing).
    expect((await t.agent('GET', '/v1/health')).status).toBe(200);
    expect((await t.control('GET', '/v1/health')).status).toBe(200);
    expect(await t.stop()).toEqual({ code: 0, signal: null });
  });

  it('replaces a pid file whose pid now belongs to a live process that is not a Tollgate daemon', async () => {
    const t = await testbed();
    const other = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      mkdirSync(t.paths.runDir, { recursive: true, mode: 0o700 });
      writeFileSync(t.paths.pidFile, `${other.pid}\n`);
      const d = await t.start();
      expect(readFileSync(t.paths.pidFile, 'utf8').trim()).toBe(String(d.pid));
      expect(other.exitCode).toBeNull(); // left alone
      expect(await t.stop()).toEqual({ code: 0, signal: null });
    } finally {
      other.kill('SIGKILL');
    }
  });

  it('on SIGTERM lets an in-flight call finish (200, audit record written), refuses new calls, removes pid file and sockets, exits 0', async () => {
    // An upstream that answers its headers, then holds the body until the test lets it go.
    let release!: () => void;
    const released = new Promise<void>((r) => { release = r; });
    const t = await testbed({
      handler: async (_req: IncomingMessage, res: ServerResponse) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.flushHeaders();
        res.write('{"results":');
        await released;
        res.end('["late but complete"]}');
      },
    });
    const d = await t.start();
    await t.addIntegration();

    const inFlight = t.call('search', '/res/v1/web/search?q=graceful');
    await waitFor(() => t.upstream.requests.length === 1, 'the call to reach the upstream');

    d.signal('SIGTERM');
    await d.waitForOutput(/SIGTERM: stopping/);

    // No new calls: a fresh connection finds nobody listening (Node unlinks a Unix socket as it
    // stops listening, so ENOENT; ECONNREFUSED where the file stays), or at worst a refusal.
    const fresh = new Agent({ connect: { socketPath: t.paths.agentSocket } });
    const attempt = await socketRequest(fresh, 'GET', '/v1/call/search/res/v1/web/search?q=new', {
      headers: { 'tollgate-purpose': 'testing Tollgate' },
    }).then((r) => ({ status: r.status, code: r.json?.error?.code as string | undefined }), (e: unknown) => ({ error: errorCode(e) }));
    await fresh.destroy();
    expect(attempt).toSatisfy((a: { status?: number; error?: string }) => a.error === 'ENOENT' || a.error === 'ECONNREFUSED' || a.status === 503);
    expect(t.upstream.requests).toHaveLength(1);

    // Still waiting for the call in flight.
    expect(d.exitStatus).toBeNull();
    expect(existsSync(t.paths.pidFile)).toBe(true);

    release();
    const r = await inFlight;
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ results: ['late but complete'] });
    expect(await d.waitForExit()).toEqual({ code: 0, signal: null });
    expect(existsSync(t.paths.pidFile)).toBe(false);
    expect(existsSync(t.paths.agentSocket)).toBe(false);
    expect(existsSync(t.paths.controlSocket)).toBe(false);
    expect(d.stderr).toBe('');

    // The call was settled and recorded, not left open for crash recovery.
    const again = await t.start();
    expect(again.stdout).not.toMatch(/settled \d+ call/);
    const audit = await t.control('GET', '/v1/audit');
    expect(audit.json.records).toHaveLength(1);
    expect(audit.json.records[0]).toMatchObject({ integration: 'search', outcome: 'ok', status: 200, costUsd: 0.005, path: '/res/v1/web/search' });
    const spend = await t.control('GET', '/v1/spend');
    expect(spend.json.integrations[0]).toMatchObject({ name: 'search', spentUsd: 0.005, reservedUsd: 0 });
    expect((await t.control('GET', '/v1/audit/verify')).json).toEqual({ ok: true, records: 1 });
    expect(await t.stop()).toEqual({ code: 0, signal: null });
  });

  it('refuses to start without a Secret Service, with one clear line and a non-zero exit', async () => {
    const t = await testbed();
    const d = t.spawnDaemon({ DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent' });
    const exit = await d.waitForExit();
    expect(exit.code).not.toBe(0);
    expect(exit.code).not.toBeNull();
    expect(lines(d.stderr)).toHaveLength(1);
    expect(d.stderr).toMatch(/^tollgate: no usable OS keychain .*\n$/);
    expect(d.stdout).toBe('');
    // It took nothing on its way out: no pid file, no sockets.
    expect(existsSync(t.paths.pidFile)).toBe(false);
    expect(existsSync(t.paths.agentSocket)).toBe(false);
    expect(existsSync(t.paths.controlSocket)).toBe(false);
  });
});
