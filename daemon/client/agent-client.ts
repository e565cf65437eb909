// The assistant's side of the agent socket, for Node programs (the package's `tollgate/client`):
// a typed client of the SPEC's agent API and nothing more. It never reaches the control socket.
// Imports stay to node:*, undici and types, so the library carries no daemon code.
import { Agent, type Dispatcher, request } from 'undici';
import type { ErrorCode } from '../errors.ts';
import { agentSocketPath } from '../paths.ts';

export type { ErrorCode };

// The agent API's own shapes, written out (the SPEC is the contract); test/daemon/client/
// agent-types.test.ts checks that they agree with the daemon's.
export type ProposalStatus = 'pending' | 'approved' | 'rejected';

/** What POST /v1/proposals takes. */
export type ProposalBody =
  | {
    kind: 'new_integration';
    name: string;
    template?: string | undefined;
    purpose: string;
    baseUrl?: string | undefined;
    routes?: { method: string; path: string }[] | undefined;
    monthlyCapUsd?: number | undefined;
    justification: string;
  }
  | { kind: 'raise_cap'; integration: string; monthlyCapUsd: number; justification: string };

/** One approved integration as GET /v1/integrations describes it. Money in dollars. */
export interface AgentIntegration {
  name: string;
  purpose: string;
  status: 'active' | 'suspended';
  routes: { method: string; path: string }[];
  /** The spending period, by its first day (local date), e.g. "2026-11-01". */
  period: string;
  spentUsd: number;
  capUsd: number;
  remainingUsd: number;
  /** ISO 8601: when the period's spend starts again from zero. */
  resetsAt: string;
}

/** The session a session's socket belongs to, as GET /v1/integrations describes it there. Money in dollars. */
export interface AgentSession {
  id: string;
  /** What the operator started it for; it stands in for calls that give no purpose. */
  purpose: string;
  /** Its own budget over its whole life; null: none (the caps hold). */
  budgetUsd: number | null;
  spentUsd: number;
  remainingUsd: number | null;
}

export interface ProposalState {
  id: string;
  kind: ProposalBody['kind'];
  status: ProposalStatus;
  createdAt: string;
  decidedAt: string | null;
  /** The operator's note, e.g. why a proposal was rejected. */
  note: string | null;
}

export type QueryValue = string | number | boolean;

export interface CallOptions {
  integration: string;
  /** Default GET. */
  method?: string;
  /** The upstream path, e.g. "/res/v1/web/search". */
  path: string;
  /** Parameters (arrays repeat the name), or a ready-made query string. */
  query?: Record<string, QueryValue | readonly QueryValue[] | undefined> | string;
  /** An object or array is sent as JSON; a string or bytes as they are. */
  body?: object | string | Uint8Array;
  headers?: Record<string, string>;
  /** Why this call is made (1–200 characters); the client's default purpose when left out. */
  purpose?: string;
  signal?: AbortSignal;
}

export interface CallCost {
  /** What the call cost, in dollars; null when Tollgate did not say (a stream cut short). */
  costUsd: number | null;
  remainingUsd: number | null;
}

export interface CallResult extends CallCost {
  /** The provider's status: a non-2xx answer of the provider is a result, not an error. */
  status: number;
  contentType: string | null;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  requestId: string | null;
  text(): string;
  json<T = unknown>(): T;
}

export interface CallStream {
  status: number;
  contentType: string | null;
  headers: Record<string, string | string[] | undefined>;
  requestId: string | null;
  /** The provider's answer as it arrives (e.g. server-sent events). */
  body: Dispatcher.ResponseData['body'];
  /** Settles once the body has been read to its end: for a stream the cost comes in trailers. */
  cost: Promise<CallCost>;
}

/** Tollgate itself refused (header Tollgate-Error): nothing reached the provider, unless `code` says otherwise. */
export class TollgateRefusal extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly requestId: string | null;
  /** Seconds to wait, when Tollgate said (rate_limited, an open circuit). */
  readonly retryAfter: number | undefined;

  constructor(code: ErrorCode, status: number, message: string, requestId: string | null, retryAfter?: number) {
    super(message);
    this.name = 'TollgateRefusal';
    this.code = code;
    this.status = status;
    this.requestId = requestId;
    this.retryAfter = retryAfter;
  }
}

/** Nothing answers on the agent socket: the daemon is not running (or this process may not reach it). */
export class TollgateUnavailable extends Error {
  readonly socketPath: string;

  constructor(socketPath: string, cause: unknown) {
    super(`Tollgate is not reachable on ${socketPath}: is the daemon running? The operator starts it with "tollgate start" (or "tollgate daemon").`, { cause });
    this.name = 'TollgateUnavailable';
    this.socketPath = socketPath;
  }
}

export interface TollgateClientOptions {
  /** Default: TOLLGATE_AGENT_SOCKET, else the platform's agent socket (TOLLGATE_HOME respected). */
  socketPath?: string;
  /** Sent with every call that does not give its own. */
  purpose?: string;
}

type Response = Dispatcher.ResponseData;

export class TollgateClient {
  readonly socketPath: string;
  private readonly purpose: string | undefined;
  private readonly dispatcher: Agent;

  constructor(opts: TollgateClientOptions = {}) {
    this.socketPath = opts.socketPath ?? agentSocketPath();
    this.purpose = opts.purpose;
    this.dispatcher = new Agent({ connect: { socketPath: this.socketPath } });
  }

  health(): Promise<{ ok: true; version: string }> {
    return this.json('GET', '/v1/health');
  }

  async integrations(): Promise<AgentIntegration[]> {
    return (await this.json<{ integrations: AgentIntegration[] }>('GET', '/v1/integrations')).integrations;
  }

  /** The session this socket belongs to; null on the agent socket itself. */
  async session(): Promise<AgentSession | null> {
    return (await this.json<{ session?: AgentSession }>('GET', '/v1/integrations')).session ?? null;
  }

  /** Asks the operator for a new integration or a higher cap; nothing changes until they approve. */
  propose(body: ProposalBody): Promise<{ id: string; status: 'pending' }> {
    return this.json('POST', '/v1/proposals', body);
  }

  proposal(id: string): Promise<ProposalState> {
    return this.json('GET', `/v1/proposals/${encodeURIComponent(id)}`);
  }

  /** One call through Tollgate, read to its end. */
  async call(opts: CallOptions): Promise<CallResult> {
    const res = await this.send(opts);
    const body = Buffer.from(await res.body.arrayBuffer());
    return {
      ...head(res),
      // Trailers are read once the body has ended (a stream's cost comes there).
      ...cost(res.headers, res.trailers),
      body,
      text: () => body.toString('utf8'),
      json: <T>() => JSON.parse(body.toString('utf8')) as T,
    };
  }

  /** One call through Tollgate whose answer is read as it comes (server-sent events). */
  async callStream(opts: CallOptions): Promise<CallStream> {
    const res = await this.send(opts);
    const settled = new Promise<CallCost>((resolve, reject) => {
      res.body.once('end', () => resolve(cost(res.headers, res.trailers)));
      res.body.once('error', reject);
      res.body.once('close', () => resolve({ costUsd: null, remainingUsd: null }));
    });
    // The caller may never ask for the cost: a cut stream must not become an unhandled rejection.
    settled.catch(() => undefined);
    return { ...head(res), body: res.body, cost: settled };
  }

  close(): Promise<void> {
    return this.dispatcher.close();
  }

  private async send(opts: CallOptions): Promise<Response> {
    const headers: Record<string, string> = { ...opts.headers };
    const purpose = opts.purpose ?? this.purpose;
    if (purpose !== undefined) headers['tollgate-purpose'] = purpose;
    let body: string | Uint8Array | undefined;
    if (typeof opts.body === 'string' || opts.body instanceof Uint8Array) body = opts.body;
    else if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
    }
    const path = opts.path.startsWith('/') ? opts.path : `/${opts.path}`;
    const res = await this.request(opts.method ?? 'GET', `/v1/call/${encodeURIComponent(opts.integration)}${withQuery(path, opts.query)}`, headers, body, opts.signal);
    await throwIfRefused(res);
    return res;
  }

  private async json<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const res = await this.request(method, path, body === undefined ? {} : { 'content-type': 'application/json' }, body === undefined ? undefined : JSON.stringify(body));
    await throwIfRefused(res);
    return (await res.body.json()) as T;
  }

  private async request(method: string, path: string, headers: Record<string, string>, body: string | Uint8Array | undefined, signal?: AbortSignal): Promise<Response> {
    try {
      return await request(`http://tollgate${path}`, { dispatcher: this.dispatcher, method: method as Dispatcher.HttpMethod, headers, body, signal });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ECONNREFUSED' || code === 'EACCES') throw new TollgateUnavailable(this.socketPath, e);
      throw e;
    }
  }
}

async function throwIfRefused(res: Response): Promise<void> {
  const code = one(res.headers['tollgate-error']);
  if (code === null) return;
  const text = await res.body.text();
  let message = text;
  try {
    message = (JSON.parse(text) as { error: { message: string } }).error.message;
  } catch {
    // Not the SPEC's body: the raw text is still the best account of what happened.
  }
  const retryAfter = one(res.headers['retry-after']);
  throw new TollgateRefusal(code as ErrorCode, res.statusCode, message, one(res.headers['tollgate-request-id']),
    retryAfter === null ? undefined : Number(retryAfter));
}

function head(res: Response) {
  return {
    status: res.statusCode,
    contentType: one(res.headers['content-type']),
    headers: res.headers,
    requestId: one(res.headers['tollgate-request-id']),
  };
}

function cost(headers: Response['headers'], trailers: Response['trailers']): CallCost {
  const usd = (name: string): number | null => {
    const v = one(headers[name]) ?? trailers[name] ?? null;
    return v === null ? null : Number(v);
  };
  return { costUsd: usd('tollgate-cost-usd'), remainingUsd: usd('tollgate-remaining-usd') };
}

function one(v: string | string[] | undefined): string | null {
  return (Array.isArray(v) ? v[0] : v) ?? null;
}

function withQuery(path: string, query: CallOptions['query']): string {
  if (query === undefined) return path;
  let q: string;
  if (typeof query === 'string') q = query.replace(/^\?/, '');
  else {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) {
      if (v === undefined) continue;
      for (const item of Array.isArray(v) ? v : [v]) params.append(k, String(item));
    }
    q = params.toString();
  }
  if (!q) return path;
  return `${path}${path.includes('?') ? '&' : '?'}${q}`;
}
