// The agent socket: the SPEC's agent API and nothing else. A thin adapter from HTTP to the
// pipeline; no operator verb is routed here. A session's socket serves the same API, each call
// running in that session (daemon/sessions/).
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { ZodError } from 'zod';
import type { Daemon } from '../daemon.ts';
import type { Integration } from '../integrations/integration.ts';
import { VERSION } from '../version.ts';
import { ERRORS, TollgateError } from '../errors.ts';
import { microsToUsd, usdToMicros } from '../money.ts';
import { writeRefusal } from '../pipeline/index.ts';
import type { CallRequest, CallSession } from '../pipeline/types.ts';
import { checkRequestTarget } from '../pipeline/route.ts';
import { proposalSchema } from '../proposals.ts';
import { BodyTooLarge, httpSink, readBody, sendJson, splitTarget } from './http.ts';

const CALL_PREFIX = '/v1/call/';
const PROPOSAL_PREFIX = '/v1/proposals/';
const MAX_PROPOSAL_BYTES = 64 * 1024;
export const MAX_HEADER_BYTES = 16 * 1024;
export const HEADERS_TIMEOUT_MS = 10_000;
export const REQUEST_TIMEOUT_MS = 60_000;
// Node checks the two timeouts above only this often (30 s by default, which let a slow client
// hold a connection for up to 40 s instead of 10).
export const TIMEOUT_CHECK_INTERVAL_MS = 1_000;

// Conflicting or invalid body framing (the stuff of request smuggling).
const FRAMING = 'The request body\'s length is invalid or ambiguous: send one Content-Length, or Transfer-Encoding: chunked, never both.';
// Why Node refused a request before it reached us, in words the client can act on.
const CLIENT_ERRORS: Record<string, string> = {
  HPE_HEADER_OVERFLOW: `The request headers are larger than ${MAX_HEADER_BYTES / 1024} KiB, the most Tollgate reads.`,
  ERR_HTTP_REQUEST_TIMEOUT: `The request came too slowly: headers must arrive within ${HEADERS_TIMEOUT_MS / 1000} s, the whole request within ${REQUEST_TIMEOUT_MS / 1000} s.`,
  HPE_INVALID_CONTENT_LENGTH: FRAMING,
  HPE_INVALID_TRANSFER_ENCODING: FRAMING,
  HPE_UNEXPECTED_CONTENT_LENGTH: FRAMING,
};

export function createAgentServer(daemon: Daemon, isStopping: () => boolean, session?: CallSession): Server {
  const server = createServer({
    // Node's own answer to a missing Host is a bare 400; ours, below, keeps the agent API's format.
    requireHostHeader: false,
    maxHeaderSize: MAX_HEADER_BYTES,
    headersTimeout: HEADERS_TIMEOUT_MS,
    // A client that trickles its request is cut off; responses may stream for longer.
    requestTimeout: REQUEST_TIMEOUT_MS,
    connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS,
    keepAliveTimeout: 5_000,
  }, (req, res) => {
    const requestId = randomUUID();
    handle(daemon, req, res, requestId, isStopping(), session).catch((e: unknown) => {
      const err = e instanceof TollgateError ? e : new TollgateError('bad_request', undefined, { cause: e });
      if (!res.headersSent) writeRefusal(httpSink(res), err, requestId);
      else res.destroy();
    });
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    // Garbage pipelined behind a call still being answered: let that answer finish, then close.
    // A refusal written now would read as the answer to the call, which may already be charged.
    const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
    if (inFlight && !inFlight.writableEnded && inFlight.req.complete) {
      inFlight.shouldKeepAlive = false;
      inFlight.once('finish', () => socket.destroy());
      return;
    }
    rawRefusal(socket, CLIENT_ERRORS[err.code ?? ''] ?? `Malformed HTTP request. ${ERRORS.bad_request.message}`);
  });
  // Node would answer these itself, outside Tollgate's error format.
  server.on('checkExpectation', (_req, res: ServerResponse) => {
    res.shouldKeepAlive = false;
    writeRefusal(httpSink(res), new TollgateError('bad_request', 'Tollgate accepts no Expect header but "100-continue". Send the request without it.'), randomUUID());
  });
  // Without a listener Node drops a CONNECT silently; an assistant set up to use the socket as a proxy must hear why.
  server.on('connect', (_req, socket) => {
    rawRefusal(socket, 'The agent socket is not a proxy: CONNECT is refused. Call an approved integration with /v1/call/<name>/<path>.');
  });
  return server;
}

/** A bad_request written straight on the socket, where Node gives no response object; same contract as writeRefusal. */
function rawRefusal(socket: Duplex, message: string): void {
  if (!socket.writable) return void socket.destroy();
  const requestId = randomUUID();
  const body = JSON.stringify({ error: { code: 'bad_request', message, requestId } });
  socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nTollgate-Error: bad_request\r\nX-Should-Retry: false\r\nTollgate-Request-Id: ${requestId}\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}

async function handle(daemon: Daemon, req: IncomingMessage, res: ServerResponse, requestId: string, stopping: boolean, session: CallSession | undefined): Promise<void> {
  const method = req.method ?? '';
  const url = req.url ?? '';
  if (req.headers.host === undefined) throw new TollgateError('bad_request', 'Send a Host header: HTTP/1.1 requires one (any value will do on the agent socket).');
  const receivedAt = daemon.clock.now();
  // Refusals of what looks like a call are calls all the same: each gets its audit record.
  const inSession = session ? { session } : {};
  const refuse = (call: Pick<CallRequest, 'name' | 'rawPath' | 'rawQuery'>, err: TollgateError): void =>
    daemon.pipeline.refuse({ requestId, method, ...call, headers: req.headers, body: Buffer.alloc(0), receivedAt, ...inSession }, err, httpSink(res));
  try {
    checkRequestTarget(url);
  } catch (e) {
    // An absolute-form or authority-form target is an attempt to use Tollgate as a proxy.
    if (e instanceof TollgateError) return refuse({ name: '', rawPath: '(not a path)', rawQuery: '' }, e);
    throw e;
  }
  const { path, query } = splitTarget(url);

  if (path.startsWith(CALL_PREFIX)) {
    const rest = path.slice(CALL_PREFIX.length);
    const slash = rest.indexOf('/');
    const call = { name: slash < 0 ? rest : rest.slice(0, slash), rawPath: slash < 0 ? '/' : rest.slice(slash), rawQuery: query };
    if (stopping) {
      return refuse(call, session && !daemon.sessions.isRunning(session.id)
        ? new TollgateError('upstream_unavailable', 'This session has ended and takes no new calls. Ask the operator to start a new session.')
        : new TollgateError('upstream_unavailable', 'Tollgate is shutting down and takes no new calls. Try again once it is back.'));
    }
    let body: Buffer;
    // The integration's own limit where it has one (a model provider's requests run to megabytes).
    const limit = daemon.registry.get(call.name)?.spec.maxRequestBytes ?? daemon.settingsNow.maxRequestBytes;
    try {
      body = await readBody(req, limit);
    } catch (e) {
      if (e instanceof BodyTooLarge) {
        res.shouldKeepAlive = false;
        return refuse(call, new TollgateError('body_too_large', `The request body is larger than ${limit} bytes, the most Tollgate forwards to ${call.name.slice(0, 63)}. Send a smaller body.`));
      }
      throw e;
    }
    await daemon.pipeline.handle({ requestId, method, ...call, headers: req.headers, body, receivedAt, ...inSession }, httpSink(res));
    return;
  }

  if (method === 'GET' && path === '/v1/health') return sendJson(res, 200, { ok: true, version: VERSION });
  if (method === 'GET' && path === '/v1/integrations') {
    const integrations = await integrationsView(daemon, session);
    return sendJson(res, 200, session ? { integrations, session: sessionView(daemon, session) } : { integrations });
  }
  if (method === 'POST' && path === '/v1/proposals') {
    let body: unknown;
    try {
      body = JSON.parse((await readBody(req, MAX_PROPOSAL_BYTES)).toString('utf8'));
      const created = daemon.propose(proposalSchema.parse(body));
      return sendJson(res, 202, created, { 'tollgate-request-id': requestId });
    } catch (e) {
      if (e instanceof BodyTooLarge) throw new TollgateError('body_too_large', `A proposal is at most ${MAX_PROPOSAL_BYTES} bytes.`);
      if (e instanceof SyntaxError) throw new TollgateError('bad_request', 'The proposal is not valid JSON.');
      if (e instanceof ZodError) throw new TollgateError('bad_request', `The proposal is not valid: ${e.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ').slice(0, 500)}`);
      throw e;
    }
  }
  if (method === 'GET' && path.startsWith(PROPOSAL_PREFIX)) {
    const id = path.slice(PROPOSAL_PREFIX.length);
    const p = /^[0-9a-f-]{36}$/.test(id) ? daemon.proposals.get(id) : null;
    if (!p) throw new TollgateError('bad_request', 'No proposal has that id. Use the id that POST /v1/proposals (tollgate_propose) returned.');
    return sendJson(res, 200, { id: p.id, kind: p.kind, status: p.status, createdAt: new Date(p.createdAt).toISOString(), decidedAt: p.decidedAt && new Date(p.decidedAt).toISOString(), note: p.note });
  }
  throw new TollgateError('bad_request',
    `The agent socket has no ${method} ${path.slice(0, 100)}. It serves GET /v1/health, GET /v1/integrations, /v1/call/<name>/<path>, and proposals. Operator actions are not available here.`);
}

/**
 * In a session: only its integrations, and what is left counts its budget too. On a shared budget
 * (several machines) what is left counts that too; while that cannot be read nothing is left (its
 * calls are refused ledger_unavailable), and the listing still answers at once.
 */
async function integrationsView(daemon: Daemon, session?: CallSession): Promise<unknown[]> {
  const now = daemon.clock.now();
  const globalCapUsd = daemon.settingsNow.globalCapUsd;
  const globalCap = globalCapUsd === null ? null : usdToMicros(globalCapUsd);
  const budget = session ? { session: { id: session.id, budget: session.budget } } : {};
  const live = daemon.registry.live().filter((i) => !session?.integrations || session.integrations.has(i.name));
  const sharedOf = (i: Integration): string[] => [i.spec.sharedBudget, daemon.settingsNow.globalSharedBudget].filter((b) => typeof b === 'string');
  const names = [...new Set(live.flatMap(sharedOf))];
  const sharedLeft = names.length ? await daemon.shared.remaining(names) : null;
  return live.map((i) => {
    const u = daemon.ledger.usage(i.id, now);
    const local = daemon.ledger.remaining(i.id, { integration: i.cap, global: globalCap, ...budget }, now);
    const shared = sharedOf(i);
    const readable = sharedLeft !== null && shared.every((b) => sharedLeft.has(b));
    return {
      name: i.name,
      purpose: i.spec.purpose,
      status: i.status,
      routes: i.spec.routes.map((r) => ({ method: r.method, path: r.path })),
      period: u.period.id,
      spentUsd: microsToUsd(u.spent),
      capUsd: microsToUsd(i.cap),
      remainingUsd: shared.length && !readable ? 0 : microsToUsd(Math.min(local, ...shared.map((b) => sharedLeft!.get(b)!))),
      resetsAt: new Date(u.period.resetsAt).toISOString(),
    };
  });
}

/** The session a call on this socket runs in, as the assistant may see it: its purpose and its budget. */
function sessionView(daemon: Daemon, session: CallSession): unknown {
  const s = daemon.ledger.sessionUsage(session.id);
  return {
    id: session.id,
    purpose: session.purpose,
    budgetUsd: session.budget === null ? null : microsToUsd(session.budget),
    spentUsd: microsToUsd(s.spent),
    remainingUsd: session.budget === null ? null : microsToUsd(Math.max(0, daemon.ledger.sessionRemaining(session.id, session.budget))),
  };
}
