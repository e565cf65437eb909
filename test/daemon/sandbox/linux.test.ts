// `tollgate sandbox` on Linux (SPEC rule 12, issue #4), proved from inside: small node scripts run
// in the sandbox of a real `tollgate sandbox` process, next to a real daemon with an HTTPS upstream.
// The testbed lives under /var/tmp, not /tmp: the sandbox replaces /tmp wholesale, and the point
// is to see it hide Tollgate's data folder itself.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import keytar from 'keytar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT, runCli, SHOWN_IN_SANDBOX, Testbed, TollgateProcess } from '../../helpers/daemon-process.ts';

const NODE = process.execPath;
const SHOWN = SHOWN_IN_SANDBOX;

// What every script starts with: connect and report how it went, run and report the error code.
const PRELUDE = `
const net = require('node:net'), fs = require('node:fs'), dns = require('node:dns'), http = require('node:http');
const connectTo = (...a) => new Promise((r) => { const s = net.connect(...a); s.once('connect', () => { s.destroy(); r('connected'); }); s.once('error', (e) => r(e.code)); });
const attempt = (f) => { try { f(); return 'ok'; } catch (e) { return e.code; } };
const out = (o) => console.log(JSON.stringify(o));
`;

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
  json: any;
}

async function listen(server: Server, ...at: unknown[]): Promise<Server> {
  await new Promise<void>((r) => server.listen(...(at as [string]), () => r()));
  return server;
}

describe.skipIf(process.platform !== 'linux')('tollgate sandbox on Linux', () => {
  const base = mkdtempSync('/var/tmp/tollgate-sandbox-test-');
  let t: Testbed;
  let key: string;

  /** Runs `script` (after PRELUDE) with node inside `tollgate sandbox [sandboxArgs] --`. */
  async function inside(script: string, opts: { sandboxArgs?: string[]; env?: Record<string, string | undefined>; bed?: Testbed } = {}): Promise<Ran> {
    const r = await runCli(['sandbox', ...SHOWN, ...(opts.sandboxArgs ?? []), '--', NODE, '-e', `${PRELUDE}(async () => { ${script} })();`], (opts.bed ?? t).env(opts.env));
    const last = r.stdout.trim().split('\n').pop() ?? '';
    let json: unknown;
    try {
      json = JSON.parse(last);
    } catch {
      json = undefined;
    }
    return { ...r, json };
  }

  beforeAll(async () => {
    t = await Testbed.create({ tmpRoot: base });
    await t.start();
    key = await t.addIntegration();
  });
  afterAll(async () => {
    await t?.close();
    rmSync(base, { recursive: true, force: true });
  });

  it('lets a call through the agent socket, announced in TOLLGATE_AGENT_SOCKET, reach the upstream (200)', async () => {
    const r = await inside(`
      const socketPath = process.env.TOLLGATE_AGENT_SOCKET;
      const req = http.request({ socketPath, path: '/v1/call/search/res/v1/web/search?q=from+the+sandbox', headers: { 'tollgate-purpose': 'research from inside the sandbox' } }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (c) => { body += c; }).on('end', () => out({ socketPath, status: res.statusCode, body, cost: res.headers['tollgate-cost-usd'] }));
      });
      req.on('error', (e) => out({ socketPath, error: e.code }));
      req.end();
    `);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toEqual({ socketPath: '/run/tollgate/agent.sock', status: 200, body: '{"ok":true}', cost: '0.005000' });
    const seen = t.upstream.requests.at(-1)!;
    expect(seen.url).toBe('/res/v1/web/search?q=from+the+sandbox');
    expect(seen.headers['x-subscription-token']).toBe(key);
    const audit = await t.control('GET', '/v1/audit?limit=1');
    expect(audit.json.records[0]).toMatchObject({ purpose: 'research from inside the sandbox', outcome: 'ok', status: 200 });
  });

  it('has no network: the host loopback refuses, an outside address is unreachable (no interface but lo), DNS fails', async () => {
    let connections = 0;
    const host = await listen(createServer((s) => { connections++; s.destroy(); }), 0, '127.0.0.1');
    const port = (host.address() as { port: number }).port;
    try {
      const r = await inside(`
        out({
          hostLoopback: await connectTo(${port}, '127.0.0.1'),
          upstream: await connectTo(${t.upstream.port}, '127.0.0.1'),
          outside: await connectTo(80, '192.0.2.1'),
          outsideV6: await connectTo(80, '2001:db8::1'),
          interfaces: Object.keys(require('node:os').networkInterfaces()),
          lookup: await new Promise((r) => dns.lookup('example.com', (e, a) => r(e ? 'failed' : a))),
          resolve: await dns.promises.resolve4('example.com').then((a) => a, () => 'failed'),
        });
      `);
      expect(r.code, r.stderr).toBe(0);
      expect(r.json).toEqual({
        hostLoopback: 'ECONNREFUSED', upstream: 'ECONNREFUSED', outside: 'ENETUNREACH', outsideV6: 'ENETUNREACH',
        interfaces: ['lo'], lookup: 'failed', resolve: 'failed',
      });
      expect(connections).toBe(0);
    } finally {
      host.close();
    }
  });

  it("cannot reach the control socket, and finds Tollgate's data folder empty", async () => {
    const r = await inside(`
      out({
        control: await connectTo(${JSON.stringify(t.paths.controlSocket)}),
        agentByItsHostPath: await connectTo(${JSON.stringify(t.paths.agentSocket)}),
        data: fs.readdirSync(${JSON.stringify(t.home)}),
      });
    `);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toEqual({ control: 'ENOENT', agentByItsHostPath: 'ENOENT', data: [] });
    expect(readFileSync(join(t.home, 'INTEGRATIONS.md'), 'utf8')).toContain('search');
  });

  it('cannot reach the Secret Service: no session bus address, its socket gone, keytar fails', async () => {
    // Outside, the key is there (the tests run with a Secret Service on the session bus).
    expect(await keytar.getPassword(t.service, 'search')).toBe(key);
    const bus = /unix:path=([^,;]+)/.exec(process.env.DBUS_SESSION_BUS_ADDRESS ?? '')?.[1];
    expect(bus).toBeTruthy();
    const r = await inside(`
      const keytar = require('keytar');
      out({
        address: process.env.DBUS_SESSION_BUS_ADDRESS ?? null,
        runtimeDir: process.env.XDG_RUNTIME_DIR ?? null,
        bus: await connectTo(${JSON.stringify(bus)}),
        systemBus: await connectTo('/run/dbus/system_bus_socket'),
        keytar: await keytar.getPassword(${JSON.stringify(t.service)}, 'search').then((v) => ({ value: v }), () => 'failed'),
      });
    `);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toEqual({ address: null, runtimeDir: null, bus: 'ENOENT', systemBus: 'ENOENT', keytar: 'failed' });
    expect(r.stdout + r.stderr).not.toContain(key);
  });

  it("masks the host's other Unix sockets, path-bound and abstract", async () => {
    let connections = 0;
    const onConnection = (s: import('node:net').Socket) => { connections++; s.destroy(); };
    const dir = mkdtempSync(join(base, 'sockets-'));
    const path = join(dir, 'some-daemon.sock');
    const abstract = `\0tollgate-test-${process.pid}`;
    const servers = [await listen(createServer(onConnection), path), await listen(createServer(onConnection), abstract)];
    try {
      const r = await inside(`out({ path: await connectTo(${JSON.stringify(path)}), abstract: await connectTo(${JSON.stringify(abstract)}) });`);
      expect(r.code, r.stderr).toBe(0);
      expect(r.json).toEqual({ path: 'ECONNREFUSED', abstract: 'ECONNREFUSED' });
      expect(connections).toBe(0);
    } finally {
      for (const s of servers) s.close();
    }
  });

  it("sees none of the host's processes, and no socket or secret in its environment", async () => {
    const r = await inside(`
      const cmdlines = fs.readdirSync('/proc').filter((n) => /^[0-9]+$/.test(n)).map((n) => fs.readFileSync('/proc/' + n + '/cmdline', 'utf8').replace(/\\0/g, ' '));
      out({ cmdlines, env: process.env });
    `, { env: { SSH_AUTH_SOCK: '/tmp/ssh-x/agent.1', GITHUB_TOKEN: 'ghp_notreal', DATABASE_URL: 'postgres://me:pw@db/x', GIT_AUTHOR_NAME: 'Ada', KEEP_ME: 'yes' } });
    expect(r.code, r.stderr).toBe(0);
    const daemon = readFileSync(`/proc/${t.daemon!.pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    expect(daemon).toContain('daemon');
    expect(r.json.cmdlines).not.toContain(daemon);
    expect(r.json.cmdlines).toHaveLength(3); // bubblewrap's init, the forwarder (TOLLGATE_AGENT_URL) and the script
    const names = Object.keys(r.json.env);
    for (const gone of ['SSH_AUTH_SOCK', 'GITHUB_TOKEN', 'DATABASE_URL', 'DBUS_SESSION_BUS_ADDRESS', 'TOLLGATE_HOME', 'TOLLGATE_KEYCHAIN_SERVICE']) expect(names).not.toContain(gone);
    expect(r.json.env).toMatchObject({ GIT_AUTHOR_NAME: 'Ada', KEEP_ME: 'yes', TOLLGATE_AGENT_SOCKET: '/run/tollgate/agent.sock' });
  });

  it('writes only to --work folders (and its own /tmp); / is read-only; --ro shows a hidden folder read-only', async () => {
    const work = mkdtempSync(join(base, 'work-'));
    const shown = mkdtempSync('/tmp/tollgate-sandbox-ro-');
    writeFileSync(join(shown, 'notes.txt'), 'read me');
    try {
      const script = `
        out({
          work: attempt(() => fs.writeFileSync(${JSON.stringify(join(work, 'made-inside.txt'))}, 'hello')),
          root: attempt(() => fs.writeFileSync('/tollgate-sandbox-probe', 'x')),
          project: attempt(() => fs.writeFileSync(${JSON.stringify(join(PROJECT_ROOT, 'tollgate-sandbox-probe'))}, 'x')),
          tmp: attempt(() => fs.writeFileSync('/tmp/scratch', 'x')),
          hostTmp: fs.readdirSync('/tmp').filter((n) => n !== 'scratch' && !${JSON.stringify([shown, ...SHOWN.filter((a) => a !== '--ro')].map((d) => d.slice(5).split('/')[0]))}.includes(n)),
          ro: attempt(() => fs.readFileSync(${JSON.stringify(join(shown, 'notes.txt'))})),
          roWrite: attempt(() => fs.writeFileSync(${JSON.stringify(join(shown, 'x'))}, 'x')),
        });
      `;
      const r = await inside(script, { sandboxArgs: ['--work', work, '--ro', shown] });
      expect(r.code, r.stderr).toBe(0);
      expect(r.json).toEqual({ work: 'ok', root: 'EROFS', project: 'EROFS', tmp: 'ok', hostTmp: [], ro: 'ok', roWrite: 'EROFS' });
      expect(readFileSync(join(work, 'made-inside.txt'), 'utf8')).toBe('hello');
      expect(existsSync('/tollgate-sandbox-probe')).toBe(false);

      const without = await inside(script);
      expect(without.json).toMatchObject({ work: 'EROFS', ro: 'ENOENT' });
    } finally {
      rmSync(shown, { recursive: true, force: true });
    }
  });

  it("exits with the command's exit code, and 128+n when signal n ended it", async () => {
    const codes = await Promise.all(['exit 7', 'exit 0', 'kill -TERM $$', 'kill -KILL $$'].map(async (sh) => (await runCli(['sandbox', ...SHOWN, '--', 'sh', '-c', sh], t.env())).code));
    expect(codes).toEqual([7, 0, 143, 137]);
  });

  it('passes SIGTERM and SIGINT on to the command', async () => {
    await Promise.all(([['SIGTERM', 3], ['SIGINT', 4]] as const).map(async ([signal, code]) => {
      const p = new TollgateProcess(['sandbox', ...SHOWN, '--', NODE, '-e', `
        process.on('${signal}', () => { console.log('got ${signal}'); process.exit(${code}); });
        console.log('ready'); setInterval(() => {}, 1000);
      `], t.env());
      await p.waitForOutput(/ready/);
      p.signal(signal);
      expect(await p.waitForExit()).toEqual({ code, signal: null });
      expect(p.stdout).toContain(`got ${signal}`);
    }));

    const unhandled = new TollgateProcess(['sandbox', ...SHOWN, '--', NODE, '-e', `console.log('ready'); setInterval(() => {}, 1000);`], t.env());
    await unhandled.waitForOutput(/ready/);
    unhandled.signal('SIGINT');
    expect(await unhandled.waitForExit()).toEqual({ code: 130, signal: null });
  });

  describe('refuses, in one line, and never runs the command unsandboxed', () => {
    const marker = join(base, 'the-command-ran');
    const command = ['--', NODE, '-e', `require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'ran')`];

    it('when Tollgate is not running (no agent socket)', async () => {
      const idle = await Testbed.create({ tmpRoot: base });
      try {
        const r = await runCli(['sandbox', ...command], idle.env());
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(/^tollgate: Tollgate is not running \(nothing answers on its agent socket .*\): start it first \(tollgate start\); the command was not run\n$/);
        expect(r.stderr.trim().split('\n')).toHaveLength(1);
        expect(existsSync(marker)).toBe(false);
      } finally {
        await idle.close();
      }
    });

    it('when bubblewrap is missing', async () => {
      const emptyPath = mkdtempSync(join(base, 'path-'));
      mkdirSync(join(emptyPath, 'bin'));
      const r = await runCli(['sandbox', ...command], t.env({ PATH: join(emptyPath, 'bin') }));
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^tollgate: .*bubblewrap.*\n$/);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(existsSync(marker)).toBe(false);
    });

    it("when bubblewrap cannot build a sandbox (user namespaces off), with bubblewrap's reason", async () => {
      const bin = mkdtempSync(join(base, 'fake-bwrap-'));
      writeFileSync(join(bin, 'bwrap'), '#!/bin/sh\necho "bwrap: No permissions to creating new namespace" >&2\nexit 1\n', { mode: 0o755 });
      const r = await runCli(['sandbox', ...command], t.env({ PATH: `${bin}:/usr/bin:/bin` }));
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^tollgate: bubblewrap cannot build a sandbox here \(bwrap: No permissions to creating new namespace\): enable unprivileged user namespaces .*\n$/);
      expect(existsSync(marker)).toBe(false);
    });

    it('when a --work folder does not exist', async () => {
      const r = await runCli(['sandbox', '--work', join(base, 'nope'), ...command], t.env());
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^tollgate: --work .*nope: no such folder\n$/);
      expect(existsSync(marker)).toBe(false);
    });

    it("when a --work or --ro folder is inside Tollgate's data folder", async () => {
      const r = await runCli(['sandbox', '--ro', t.paths.runDir, ...command], t.env());
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^tollgate: --ro .*: inside .*, which the sandbox always hides\n$/);
      expect(existsSync(marker)).toBe(false);
    });
  });
});
