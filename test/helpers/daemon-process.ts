// The daemon as a real, separate process: `node daemon/bin.mjs daemon` with its own
// TOLLGATE_HOME, a per-test keychain service, and the test CA in NODE_EXTRA_CA_CERTS. Captures
// its stdout and stderr, waits until the control socket answers, stops it (SIGTERM) or kills it
// (SIGKILL), and cleans up the keys it left in the real keychain.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import keytar from 'keytar';
import { Agent } from 'undici';
import { resolvePaths, type Paths } from '../../daemon/paths.ts';
import { SocketClients, socketRequest } from './harness.ts';
import { makeTestPki, type TestPki } from './pki.ts';
import { type Handler, startUpstream, type Upstream } from './upstream.ts';

export const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The sandbox replaces /tmp with an empty one: a checkout (and its Node) that lives there is shown
 * read-only, as an operator would with --ro, so that tests can run commands in the sandbox at all.
 */
export const SHOWN_IN_SANDBOX: string[] = [PROJECT_ROOT, dirname(dirname(process.execPath))]
  .map((d) => d.replace(/\/$/, ''))
  .filter((d, _, all) => d.startsWith('/tmp/') && !all.some((o) => o !== d && d.startsWith(`${o}/`)))
  .flatMap((d) => ['--ro', d]);
export const BIN = join(PROJECT_ROOT, 'daemon', 'bin.mjs');

export interface DaemonEnv {
  home: string;
  /** Keychain service the daemon keeps its keys under (TOLLGATE_KEYCHAIN_SERVICE). */
  service: string;
  /** PEM file added to the trusted CAs (NODE_EXTRA_CA_CERTS). */
  caFile?: string;
  /** Extra variables, or overrides (undefined removes one). */
  env?: Record<string, string | undefined>;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Whether every one of these programs is on PATH (tests that need them say so, rather than fail). */
export const haveCommands = (...names: string[]): boolean =>
  names.every((n) => spawnSync('sh', ['-c', `command -v ${n}`], { stdio: 'ignore' }).status === 0);

/** `base` with `extra` laid over it: a value sets a variable, undefined removes it. */
export function overlay(base: NodeJS.ProcessEnv, extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env = { ...base };
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

function processEnv(o: DaemonEnv): NodeJS.ProcessEnv {
  // The test runner's own options (loaders, inspector) are not the daemon's.
  return overlay({ ...process.env, TOLLGATE_HOME: o.home, TOLLGATE_KEYCHAIN_SERVICE: o.service }, {
    NODE_OPTIONS: undefined,
    ...(o.caFile ? { NODE_EXTRA_CA_CERTS: o.caFile } : {}),
    ...o.env,
  });
}

// Daemons still running when the test process exits are killed, so none outlives its test.
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A running `tollgate` process (the daemon, or any other CLI command). */
export class TollgateProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly paths: Paths;
  readonly exited: Promise<Exit>;
  private out = '';
  private err = '';
  private all = '';
  private exit: Exit | null = null;

  constructor(args: string[], env: DaemonEnv) {
    this.paths = resolvePaths({ TOLLGATE_HOME: env.home });
    this.child = spawn(process.execPath, [BIN, ...args], { cwd: PROJECT_ROOT, env: processEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    if (this.child.pid === undefined) throw new Error('could not spawn the tollgate process');
    this.pid = this.child.pid;
    live.add(this.child);
    this.child.stdout!.setEncoding('utf8').on('data', (s: string) => { this.out += s; this.all += s; });
    this.child.stderr!.setEncoding('utf8').on('data', (s: string) => { this.err += s; this.all += s; });
    this.exited = new Promise((resolve) => {
      // 'close', not 'exit': by then stdout and stderr are read to their end.
      this.child.once('close', (code, signal) => {
        live.delete(this.child);
        this.exit = { code, signal };
        resolve(this.exit);
      });
    });
  }

  get stdout(): string {
    return this.out;
  }

  get stderr(): string {
    return this.err;
  }

  /** stdout and stderr, interleaved as they arrived. */
  get output(): string {
    return this.all;
  }

  /** How it ended, or null while it runs. */
  get exitStatus(): Exit | null {
    return this.exit;
  }

  /** Waits for the exit, failing after `timeoutMs` (the process is then killed). */
  async waitForExit(timeoutMs = 20_000): Promise<Exit> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((r) => { timer = setTimeout(() => r(null), timeoutMs); });
    const result = await Promise.race([this.exited, timeout]);
    clearTimeout(timer);
    if (result) return result;
    this.child.kill('SIGKILL');
    await this.exited;
    throw new Error(`tollgate (pid ${this.pid}) did not exit within ${timeoutMs} ms; output:\n${this.all}`);
  }

  /** Waits until the combined output matches `pattern`. */
  async waitForOutput(pattern: RegExp, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(this.all)) {
      if (this.exit) throw new Error(`tollgate exited (${JSON.stringify(this.exit)}) before printing ${pattern}; output:\n${this.all}`);
      if (Date.now() > deadline) throw new Error(`tollgate did not print ${pattern} within ${timeoutMs} ms; output:\n${this.all}`);
      await sleep(20);
    }
  }

  signal(signal: NodeJS.Signals): void {
    if (!this.exit) this.child.kill(signal);
  }
}

/** Runs a one-shot CLI command (e.g. `audit verify`) to its end. */
export async function runCli(args: string[], env: DaemonEnv, timeoutMs = 20_000): Promise<Exit & { stdout: string; stderr: string }> {
  const p = new TollgateProcess(args, env);
  const exit = await p.waitForExit(timeoutMs);
  return { ...exit, stdout: p.stdout, stderr: p.stderr };
}

/** `tollgate daemon` as a separate process. */
export class DaemonProcess extends TollgateProcess {
  constructor(env: DaemonEnv) {
    super(['daemon'], env);
  }

  /** Spawns a daemon and waits until its control socket answers GET /v1/health. */
  static async start(env: DaemonEnv, timeoutMs = 20_000): Promise<DaemonProcess> {
    const d = new DaemonProcess(env);
    try {
      await d.ready(timeoutMs);
    } catch (e) {
      d.signal('SIGKILL');
      await d.exited;
      throw e;
    }
    return d;
  }

  /** Resolves once the control socket answers GET /v1/health with 200; throws if the daemon exits first. */
  async ready(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const dispatcher = new Agent({ connect: { socketPath: this.paths.controlSocket } });
    try {
      for (;;) {
        if (this.exitStatus) {
          throw new Error(`the daemon exited (${JSON.stringify(this.exitStatus)}) before answering; output:\n${this.output}`);
        }
        try {
          const r = await socketRequest(dispatcher, 'GET', '/v1/health');
          if (r.status === 200 && r.json?.ok === true) return;
        } catch {
          // not listening yet
        }
        if (Date.now() > deadline) throw new Error(`the daemon did not answer on ${this.paths.controlSocket} within ${timeoutMs} ms; output:\n${this.output}`);
        await sleep(50);
      }
    } finally {
      await dispatcher.destroy();
    }
  }

  /** SIGTERM, then waits for the exit. */
  async stop(timeoutMs = 20_000): Promise<Exit> {
    this.signal('SIGTERM');
    return this.waitForExit(timeoutMs);
  }

  /** SIGKILL (a crash), then waits for the exit. */
  async kill9(): Promise<Exit> {
    this.signal('SIGKILL');
    return this.exited;
  }
}

/** Removes every key a test daemon stored under `service` in the real keychain. */
export async function deleteKeychainService(service: string): Promise<void> {
  for (const c of await keytar.findCredentials(service)) await keytar.deletePassword(service, c.account);
}

export interface TestbedOptions {
  handler?: Handler;
  /** Use this TOLLGATE_HOME (not removed on close) instead of a fresh temporary one. */
  home?: string;
  /** Where the fresh TOLLGATE_HOME is made (default: the OS temp folder). */
  tmpRoot?: string;
}

/**
 * Everything a daemon-process test needs: a TOLLGATE_HOME, a keychain service of its own, a test
 * CA (kept outside TOLLGATE_HOME, so the home holds only what the daemon wrote) trusted by the
 * daemon, an HTTPS upstream, and clients of both sockets. The daemon can be started, stopped and
 * killed any number of times over the same home.
 */
export class Testbed extends SocketClients {
  readonly home: string;
  readonly paths: Paths;
  readonly service = `tollgate-test-${randomUUID()}`;
  readonly pkiDir: string;
  readonly pki: TestPki;
  upstream!: Upstream;
  daemon: DaemonProcess | null = null;
  /** Every daemon process started so far, in order (their output stays readable). */
  readonly processes: DaemonProcess[] = [];
  private readonly ownHome: boolean;

  private constructor(opts: TestbedOptions) {
    super();
    this.ownHome = !opts.home;
    this.home = opts.home ?? mkdtempSync(join(opts.tmpRoot ?? tmpdir(), 'tollgate-proc-'));
    this.paths = resolvePaths({ TOLLGATE_HOME: this.home });
    this.pkiDir = mkdtempSync(join(tmpdir(), 'tollgate-pki-'));
    this.pki = makeTestPki(this.pkiDir);
  }

  static async create(opts: TestbedOptions = {}): Promise<Testbed> {
    const t = new Testbed(opts);
    t.upstream = await startUpstream(t.pki, opts.handler);
    return t;
  }

  /** The environment a daemon or CLI command of this testbed runs with. */
  env(extra: Record<string, string | undefined> = {}): DaemonEnv {
    return { home: this.home, service: this.service, caFile: this.pki.caCertPath, env: extra };
  }

  /** Starts a daemon and waits until it answers. */
  async start(extra: Record<string, string | undefined> = {}): Promise<DaemonProcess> {
    if (this.daemon && !this.daemon.exitStatus) throw new Error('a daemon of this testbed is still running');
    await this.dropClients();
    this.daemon = await DaemonProcess.start(this.env(extra));
    this.processes.push(this.daemon);
    this.agentDispatcher = new Agent({ connect: { socketPath: this.paths.agentSocket } });
    this.controlDispatcher = new Agent({ connect: { socketPath: this.paths.controlSocket } });
    return this.daemon;
  }

  /** Spawns a second process on the same home without waiting for it to answer. */
  spawnDaemon(extra: Record<string, string | undefined> = {}): DaemonProcess {
    const d = new DaemonProcess(this.env(extra));
    this.processes.push(d);
    return d;
  }

  private running(): DaemonProcess {
    if (!this.daemon || this.daemon.exitStatus) throw new Error('no daemon of this testbed is running');
    return this.daemon;
  }

  async stop(): Promise<Exit> {
    const exit = await this.running().stop();
    await this.dropClients();
    return exit;
  }

  async kill9(): Promise<Exit> {
    const exit = await this.running().kill9();
    await this.dropClients();
    return exit;
  }

  private async dropClients(): Promise<void> {
    await this.closeClients();
  }

  /** Runs a CLI command (e.g. ['audit', 'verify']) against this testbed's daemon. */
  cli(args: string[]): Promise<Exit & { stdout: string; stderr: string }> {
    return runCli(args, this.env());
  }

  async close(): Promise<void> {
    for (const p of this.processes) {
      if (!p.exitStatus) {
        p.signal('SIGKILL');
        await p.exited;
      }
    }
    await this.dropClients();
    await this.upstream?.close();
    await deleteKeychainService(this.service);
    if (this.ownHome) rmSync(this.home, { recursive: true, force: true });
    rmSync(this.pkiDir, { recursive: true, force: true });
  }
}

/** Polls `check` until it holds, failing after `timeoutMs` with `what` in the message. */
export async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** The first error code along an error's cause chain (undici wraps socket errors). */
export function errorCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let i = 0; i < 5 && e; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && !code.startsWith('UND_ERR')) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return (err as { code?: string } | null)?.code;
}
