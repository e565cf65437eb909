// The agent socket: the SPEC's agent API and nothing else. A thin adapter from HTTP to the
// pipeline; no operator verb is routed here.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { ZodError } from 'zod';
import type { Daemon } from '../daemon.ts';
import { VERSION } from '../daemon.ts';
import { TollgateError } from '../errors.ts';
import { microsToUsd, usdToMicros } from '../money.ts';
import { writeRefusal } from '../pipeline/index.ts';
import { checkRequestTarget } from '../pipeline/route.ts';
import { proposalSchema } from '../proposals.ts';
import { BodyTooLarge, httpSink, readBody, sendJson, splitTarget } from './http.ts';

const CALL_PREFIX = '/v1/call/';
const MAX_PROPOSAL_BYTES = 64 * 1024;

export function createAgentServer(daemon: Daemon, isStopping: () => boolean): Server {
  const server = createServer({
    maxHeaderSize: 16 * 1024,
    headersTimeout: 10_000,
    // A client that trickles its request is cut off; responses may stream for longer.
    requestTimeout: 60_000,
    keepAliveTimeout: 5_000,
  }, (req, res) => {
    const requestId = randomUUID();
    handle(daemon, req, res, requestId, isStopping()).catch((e: unknown) => {
      const err = e instanceof TollgateError ? e : new TollgateError('bad_request', undefined, { cause: e });
      if (!res.headersSent) writeRefusal(httpSink(res), err, requestId);
      else res.destroy();
    });
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) {
      const body = JSON.stringify({ error: { code: 'bad_request', message: 'Malformed HTTP request.', requestId: null } });
      socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nTollgate-Error: bad_request\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    } else socket.destroy();
  });
  return server;
}

async function handle(daemon: Daemon, req: IncomingMessage, res: ServerResponse, requestId: string, stopping: boolean): Promise<void> {
  const method = req.method ?? '';
  const url = req.url ?? '';
  checkRequestTarget(url);
  const { path, query } = splitTarget(url);

  if (path.startsWith(CALL_PREFIX)) {
    if (stopping) throw new TollgateError('upstream_unavailable', 'Tollgate is shutting down and takes no new calls. Try again once it is back.');
    const rest = path.slice(CALL_PREFIX.length);
    const slash = rest.indexOf('/');
    const name = slash < 0 ? rest : rest.slice(0, slash);
    const rawPath = slash < 0 ? '/' : rest.slice(slash);
    let body: Buffer;
    try {
      body = await readBody(req, daemon.settingsNow.maxRequestBytes);
    } catch (e) {
      if (e instanceof BodyTooLarge) {
        res.shouldKeepAlive = false;
        throw new TollgateError('body_too_large', `The request body is larger than ${daemon.settingsNow.maxRequestBytes} bytes, the most Tollgate forwards. Send a smaller body.`);
      }
      throw e;
    }
    await daemon.pipeline.handle({
      requestId, method, name, rawPath, rawQuery: query, headers: req.headers, body, receivedAt: daemon.clock.now(),
    }, httpSink(res));
    return;
  }

  if (method === 'GET' && path === '/v1/health') return sendJson(res, 200, { ok: true, version: VERSION });
  if (method === 'GET' && path === '/v1/integrations') return sendJson(res, 200, { integrations: integrationsView(daemon) });
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
  const proposal = /^\/v1\/proposals\/([0-9a-f-]{36})$/.exec(path);
  if (method === 'GET' && proposal) {
    const p = daemon.proposals.get(proposal[1]!);
    if (!p) throw new TollgateError('bad_request', 'No proposal has that id.');
    return sendJson(res, 200, { id: p.id, kind: p.kind, status: p.status, createdAt: new Date(p.createdAt).toISOString(), decidedAt: p.decidedAt && new Date(p.decidedAt).toISOString(), note: p.note });
  }
  throw new TollgateError('bad_request',
    `The agent socket has no ${method} ${path.slice(0, 100)}. It serves GET /v1/health, GET /v1/integrations, /v1/call/<name>/<path>, and proposals. Operator actions are not available here.`);
}

function integrationsView(daemon: Daemon): unknown[] {
  const now = daemon.clock.now();
  const globalCapUsd = daemon.settingsNow.globalCapUsd;
  const globalCap = globalCapUsd === null ? null : usdToMicros(globalCapUsd);
  return daemon.registry.live().map((i) => {
    const u = daemon.ledger.usage(i.id, now);
    return {
      name: i.name,
      purpose: i.spec.purpose,
      status: i.status,
      routes: i.spec.routes.map((r) => ({ method: r.method, path: r.path })),
      period: u.period.id,
      spentUsd: microsToUsd(u.spent),
      capUsd: microsToUsd(i.cap),
      remainingUsd: microsToUsd(daemon.ledger.remaining(i.id, { integration: i.cap, global: globalCap }, now)),
      resetsAt: new Date(u.period.resetsAt).toISOString(),
    };
  });
}
