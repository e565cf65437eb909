// The control socket: the operator's API (tray and CLI). A thin router over Operator; the
// socket's file mode (0600 in a 0700 folder) is what keeps everyone else out.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { ZodError } from 'zod';
import { ackSelectionSchema } from '../alerts/alerts.ts';
import { Daemon } from '../daemon.ts';
import { VERSION } from '../version.ts';
import { auditExportLine, auditView } from '../audit/record.ts';
import { ControlError, TollgateError } from '../errors.ts';
import type { IntegrationView } from '../control-types.ts';
import type { DaemonEvent } from '../events.ts';
import type { Integration } from '../integrations/integration.ts';
import { createSchema } from '../operator.ts';
import type { ProposalStatus } from '../proposals.ts';
import { BodyTooLarge, readBody, sendJson, splitTarget } from './http.ts';

const MAX_CONTROL_BODY = 1024 * 1024;
const HEARTBEAT_MS = 15_000;

interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  params: string[];
  query: URLSearchParams;
  body: () => Promise<unknown>;
  actor: string;
}

type Handler = (daemon: Daemon, ctx: Ctx) => unknown;

const name = '([a-z0-9][a-z0-9-]{0,62})';
const routes: [method: string, pattern: RegExp, handler: Handler][] = [
  ['GET', /^\/v1\/health$/, () => ({ ok: true, version: VERSION })],
  ['GET', /^\/v1\/templates$/, (d) => ({ templates: d.operator.templates() })],
  ['GET', /^\/v1\/integrations$/, (d) => ({ integrations: d.registry.list().map(view) })],
  ['POST', /^\/v1\/integrations$/, async (d, c) => ({ integration: view(d.operator.create(createSchema.parse(await c.body()), c.actor)) })],
  ['GET', new RegExp(`^/v1/integrations/${name}$`), (d, c) => ({ integration: view(d.registry.require(c.params[0]!)) })],
  ['PATCH', new RegExp(`^/v1/integrations/${name}$`), async (d, c) => ({ integration: view(d.operator.patch(c.params[0]!, await c.body())) })],
  ['PUT', new RegExp(`^/v1/integrations/${name}/key$`), async (d, c) => ({ integration: view(await d.operator.setKey(c.params[0]!, await c.body())) })],
  ['POST', new RegExp(`^/v1/integrations/${name}/suspend$`), async (d, c) => ({ integration: view(d.operator.suspend(c.params[0]!, reason(await c.body()))) })],
  ['POST', new RegExp(`^/v1/integrations/${name}/resume$`), (d, c) => ({ integration: view(d.operator.resume(c.params[0]!)) })],
  ['POST', new RegExp(`^/v1/integrations/${name}/decommission$`), async (d, c) => {
    const r = await d.operator.decommission(c.params[0]!);
    return { integration: view(r.integration), archive: r.archive, keyRemoved: r.keyRemoved, reminder: r.reminder };
  }],
  ['POST', /^\/v1\/suspend-all$/, async (d, c) => ({ suspended: d.operator.suspendAll(reason(await c.body())).map((i) => i.name) })],
  ['GET', /^\/v1\/spend$/, (d) => d.operator.spend()],
  ['GET', /^\/v1\/settings$/, (d) => ({ settings: d.settingsNow })],
  ['PATCH', /^\/v1\/settings$/, async (d, c) => ({ settings: d.operator.updateSettings(await c.body()) })],
  ['GET', /^\/v1\/audit$/, (d, c) => ({
    records: d.audit.list({
      integration: c.query.get('integration') ?? undefined,
      outcome: c.query.get('outcome') ?? undefined,
      session: c.query.get('session') ?? undefined,
      before: int(c.query.get('before')),
      since: int(c.query.get('since')),
      until: int(c.query.get('until')),
      limit: Math.min(int(c.query.get('limit')) ?? 100, 1000),
    }).map(auditView),
  })],
  ['GET', /^\/v1\/audit\/verify$/, (d) => d.verifyAudit()],
  ['POST', /^\/v1\/audit\/accept-end$/, (d, c) => d.acceptAuditEnd(c.actor)],
  ['GET', /^\/v1\/audit\/export$/, (d, c) => {
    c.res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    for (const r of d.audit.all()) c.res.write(auditExportLine(r));
    c.res.end();
  }],
  ['GET', /^\/v1\/alerts$/, (d, c) => ({
    alerts: d.alerts.list({ tier: tier(c.query.get('tier')), open: c.query.get('open') === 'true', limit: int(c.query.get('limit')) }),
  })],
  ['POST', /^\/v1\/alerts\/(\d+)\/ack$/, (d, c) => {
    const alert = d.alerts.ack(Number(c.params[0]));
    if (!alert) throw new ControlError('not_found', `No alert ${c.params[0]}.`);
    return { alert };
  }],
  ['POST', /^\/v1\/alerts\/ack$/, async (d, c) => {
    const { acknowledged, unknown } = d.alerts.ackMany(ackSelectionSchema.parse(await c.body()));
    if (unknown.length > 0) throw new ControlError('not_found', `No alert ${unknown.map((id) => `#${id}`).join(', ')}; nothing was acknowledged.`);
    return { acknowledged: acknowledged.length };
  }],
  ['GET', /^\/v1\/proposals$/, (d, c) => ({ proposals: d.proposals.list((c.query.get('status') as ProposalStatus | null) ?? undefined) })],
  ['POST', /^\/v1\/proposals\/([0-9a-f-]{36})\/approve$/, async (d, c) => {
    const r = d.operator.approve(c.params[0]!, await c.body(), c.actor);
    return { proposal: r.proposal, integration: view(r.integration) };
  }],
  ['POST', /^\/v1\/proposals\/([0-9a-f-]{36})\/reject$/, async (d, c) => ({ proposal: d.operator.reject(c.params[0]!, await c.body(), c.actor) })],
  ['POST', /^\/v1\/sessions$/, async (d, c) => d.sessions.start(await c.body(), c.actor)],
  ['GET', /^\/v1\/sessions$/, (d) => ({ sessions: d.sessions.list() })],
  ['GET', /^\/v1\/sessions\/([^/]+)$/, (d, c) => d.sessions.get(c.params[0]!)],
  ['POST', /^\/v1\/sessions\/([^/]+)\/stop$/, (d, c) => d.sessions.stop(c.params[0]!)],
  ['GET', /^\/v1\/events$/, (d, c) => events(d, c)],
  // The shared ledger (several machines on one budget): daemon/ledger/shared/shared-budgets.ts.
  ['GET', /^\/v1\/ledger$/, (d) => d.shared.view()],
  ['PUT', /^\/v1\/ledger$/, async (d, c) => d.shared.connect(await c.body())],
  ['DELETE', /^\/v1\/ledger$/, (d) => d.shared.disconnect()],
  ['PUT', new RegExp(`^/v1/ledger/budgets/${name}$`), async (d, c) => d.shared.setBudget(c.params[0]!, await c.body())],
  ['POST', /^\/v1\/ledger\/machines\/([A-Za-z0-9][A-Za-z0-9._-]{0,99})\/settle$/, (d, c) => d.shared.settleMachine(c.params[0]!)],
];

function view(i: Integration): IntegrationView {
  return {
    name: i.name, status: i.status, statusReason: i.statusReason, spec: i.spec, keySet: i.keySetAt !== null,
    keySetAt: iso(i.keySetAt), approvedBy: i.approvedBy, approvedAt: iso(i.approvedAt), updatedAt: iso(i.updatedAt),
    decommissionedAt: iso(i.decommissionedAt),
  };
}

const iso = (at: number | null): string | null => (at === null ? null : new Date(at).toISOString());
const int = (s: string | null): number | undefined => (s !== null && /^\d+$/.test(s) ? Number(s) : undefined);
const tier = (s: string | null) => (s === 'info' || s === 'warning' || s === 'critical' ? s : undefined);
const reason = (body: unknown): string | null =>
  body && typeof body === 'object' && 'reason' in body && typeof body.reason === 'string' ? body.reason.slice(0, 500) : null;

/** Server-sent events for the tray: alerts and state changes as they happen. */
function events(d: Daemon, c: Ctx): void {
  c.res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  c.res.write(': connected\n\n');
  const tray = c.req.headers['tollgate-client'] === 'tray';
  const unsubscribe = d.bus.subscribe((e: DaemonEvent) => c.res.write(`event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`), { tray });
  const beat = setInterval(() => c.res.write(': heartbeat\n\n'), HEARTBEAT_MS).unref();
  c.res.on('close', () => {
    clearInterval(beat);
    unsubscribe();
  });
}

export function createControlServer(daemon: Daemon): Server {
  // connectionsCheckingInterval: Node checks headersTimeout only this often (30 s by default).
  const server = createServer({ maxHeaderSize: 16 * 1024, headersTimeout: 10_000, connectionsCheckingInterval: 1_000, keepAliveTimeout: 5_000 }, (req, res) => {
    void route(daemon, req, res);
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  return server;
}

async function route(daemon: Daemon, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { path, query } = splitTarget(req.url ?? '');
  try {
    for (const [method, pattern, handler] of routes) {
      const m = pattern.exec(path);
      if (!m || method !== req.method) continue;
      const ctx: Ctx = {
        req, res, params: m.slice(1), query: new URLSearchParams(query),
        body: async () => {
          const raw = await readBody(req, MAX_CONTROL_BODY);
          if (raw.length === 0) return undefined;
          try {
            return JSON.parse(raw.toString('utf8'));
          } catch {
            throw new ControlError('invalid', 'The body is not valid JSON.');
          }
        },
        actor: Daemon.operatorName(typeof req.headers['tollgate-client'] === 'string' ? req.headers['tollgate-client'] : undefined),
      };
      const result = await handler(daemon, ctx);
      if (result !== undefined && !res.headersSent) sendJson(res, 200, result);
      return;
    }
    throw new ControlError('not_found', `The control socket has no ${req.method} ${path.slice(0, 100)}.`);
  } catch (e) {
    if (res.headersSent) return void res.destroy();
    const { status, code, message, details } = describe(e);
    sendJson(res, status, { error: { code, message, details } });
  }
}

function describe(e: unknown): { status: number; code: string; message: string; details?: unknown } {
  if (e instanceof ControlError) return { status: e.status, code: e.code, message: e.message, details: e.details };
  if (e instanceof TollgateError) return { status: e.status, code: e.code, message: e.message };
  if (e instanceof ZodError) {
    return { status: 400, code: 'invalid', message: e.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '), details: e.issues };
  }
  if (e instanceof BodyTooLarge) return { status: 413, code: 'invalid', message: `A control request body is at most ${MAX_CONTROL_BODY} bytes.` };
  return { status: 500, code: 'internal', message: `Tollgate failed to do that: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}` };
}
