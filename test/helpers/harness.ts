// A real daemon for a test: its own TOLLGATE_HOME on disk, the real OS keychain (under a
// per-test service name), a real HTTPS upstream on 127.0.0.1 trusted through a test CA, and
// an injected clock and notifier the test can drive and watch.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import keytar from 'keytar';
import { Agent, type Dispatcher, request } from 'undici';
import type { Notification } from '../../daemon/alerts/notifier.ts';
import type { Clock } from '../../daemon/clock.ts';
import { keytarKeychain } from '../../daemon/keychain/keytar-keychain.ts';
import { type Keychain, KeychainUnavailableError } from '../../daemon/keychain/keychain.ts';
import { resolvePaths, type Paths } from '../../daemon/paths.ts';
import { type Running, serve } from '../../daemon/process/serve.ts';
import { createUpstreamDispatcher, DEFAULT_TIMEOUTS, type UpstreamTimeouts } from '../../daemon/upstream/dispatcher.ts';
import { makeTestPki, type TestPki } from './pki.ts';
import { type Handler, startUpstream, type Upstream } from './upstream.ts';

export class TestClock implements Clock {
  at: number;
  constructor(at: number) {
    this.at = at;
  }
  now(): number {
    return this.at;
  }
  advance(ms: number): void {
    this.at += ms;
  }
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  text: string;
  json: any;
}

/** A keychain that can be locked on demand, over the real one. */
export function lockable(inner: Keychain): Keychain & { locked: boolean } {
  const k = {
    locked: false,
    get: (a: string) => (k.locked ? Promise.reject(new KeychainUnavailableError('read a key', 'the keychain is locked')) : inner.get(a)),
    set: (a: string, s: string) => inner.set(a, s),
    delete: (a: string) => inner.delete(a),
  };
  return k;
}

export async function socketRequest(
  dispatcher: Agent,
  method: string,
  path: string,
  opts: { headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<Reply> {
  const res = await request(`http://tollgate${path}`, { method: method as 'GET', dispatcher, headers: opts.headers, body: opts.body });
  return toReply(res.statusCode, res.headers, Buffer.from(await res.body.arrayBuffer()));
}

/** A reply with its body also as text and, where it parses, as JSON. */
export function toReply(status: number, headers: Reply['headers'], body: Buffer): Reply {
  const text = body.toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status, headers, body, text, json };
}

/** Clients of a daemon's two sockets, as a test (the assistant, the operator) uses them. */
export abstract class SocketClients {
  protected agentDispatcher: Agent | null = null;
  protected controlDispatcher: Agent | null = null;
  abstract upstream: Upstream;

  protected async closeClients(): Promise<void> {
    await Promise.all([this.agentDispatcher?.destroy(), this.controlDispatcher?.destroy()]);
    this.agentDispatcher = null;
    this.controlDispatcher = null;
  }

  agent(method: string, path: string, opts: { headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<Reply> {
    if (!this.agentDispatcher) throw new Error('no daemon is running');
    return socketRequest(this.agentDispatcher, method, path, opts);
  }

  /** An agent call with a purpose, as a well-behaved assistant makes it. */
  call(name: string, upstreamPath: string, opts: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<Reply> {
    return this.agent(opts.method ?? 'GET', `/v1/call/${name}${upstreamPath}`, {
      headers: { 'tollgate-purpose': 'testing Tollgate', ...opts.headers },
      body: opts.body,
    });
  }

  control(method: string, path: string, body?: unknown): Promise<Reply> {
    if (!this.controlDispatcher) throw new Error('no daemon is running');
    return socketRequest(this.controlDispatcher, method, path, {
      headers: { 'content-type': 'application/json', 'tollgate-client': 'test' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  /** Creates an integration against the test upstream over the control socket and sets its key; returns the key. */
  async addIntegration(overrides: Record<string, unknown> = {}, key = `tg-test-key-${randomUUID()}`): Promise<string> {
    const spec = {
      name: 'search',
      purpose: 'Web search for research tasks',
      account: 'assistant-research@example.org',
      baseUrl: this.upstream.url,
      auth: { type: 'header', name: 'X-Subscription-Token' },
      routes: [{ method: 'GET', path: '/res/v1/web/search' }],
      pricing: { perRequestUsd: 0.005, maxPerRequestUsd: 0.005 },
      monthlyCapUsd: 10,
      rateLimit: { perMinute: 1000, concurrent: 1000 },
      ...overrides,
    };
    const created = await this.control('POST', '/v1/integrations', spec);
    if (created.status !== 200) throw new Error(`create failed: ${created.text}`);
    const set = await this.control('PUT', `/v1/integrations/${spec.name}/key`, { key });
    if (set.status !== 200) throw new Error(`set key failed: ${set.text}`);
    return key;
  }
}

export interface HarnessOptions {
  clock?: TestClock;
  handler?: Handler;
  timeouts?: UpstreamTimeouts;
  home?: string;
  templatesDir?: string;
  /** Puts something between the daemon and its way out (to inject faults). */
  wrapDispatcher?: (real: Dispatcher) => Dispatcher;
}

export class Harness extends SocketClients {
  readonly home: string;
  readonly paths: Paths;
  readonly service = `tollgate-test-${randomUUID()}`;
  readonly keychain: Keychain & { locked: boolean };
  readonly clock: TestClock;
  readonly notifications: Notification[] = [];
  pki!: TestPki;
  upstream!: Upstream;
  running!: Running;
  private readonly opts: HarnessOptions;

  private constructor(opts: HarnessOptions) {
    super();
    this.opts = opts;
    this.home = opts.home ?? mkdtempSync(join(tmpdir(), 'tollgate-test-'));
    this.paths = resolvePaths({ TOLLGATE_HOME: this.home });
    this.keychain = lockable(keytarKeychain(this.service));
    this.clock = opts.clock ?? new TestClock(Date.parse('2026-11-10T12:00:00Z'));
  }

  static async start(opts: HarnessOptions = {}): Promise<Harness> {
    const h = new Harness(opts);
    h.pki = makeTestPki(join(h.home, 'pki'));
    h.upstream = await startUpstream(h.pki, opts.handler);
    await h.startDaemon();
    return h;
  }

  get daemon() {
    return this.running.daemon;
  }

  async startDaemon(): Promise<void> {
    this.running = await serve({
      paths: this.paths,
      clock: this.clock,
      keychain: this.keychain,
      notifier: { notify: (n) => void this.notifications.push(n) },
      dispatcher: (this.opts.wrapDispatcher ?? ((d) => d))(createUpstreamDispatcher(this.opts.timeouts ?? DEFAULT_TIMEOUTS, [this.pki.caPem])),
      ...(this.opts.templatesDir ? { templatesDir: this.opts.templatesDir } : {}),
    });
    this.agentDispatcher = new Agent({ connect: { socketPath: this.paths.agentSocket } });
    this.controlDispatcher = new Agent({ connect: { socketPath: this.paths.controlSocket } });
  }

  async restartDaemon(): Promise<void> {
    await this.running.stop(1000);
    await this.closeClients();
    await this.startDaemon();
  }

  async close(): Promise<void> {
    await this.running.stop(1000).catch(() => undefined);
    await this.closeClients();
    await this.upstream.close();
    for (const c of await keytar.findCredentials(this.service)) await keytar.deletePassword(this.service, c.account);
    if (!this.opts.home) rmSync(this.home, { recursive: true, force: true });
  }
}
