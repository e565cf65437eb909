// One assistant call, start to finish, in the order of the SPEC:
// (session) → resolve → route → purpose → guard → rate limit → state → reserve → key → send → meter → settle → alerts.
// Takes a plain request and writes to a plain sink; knows nothing of sockets.
import type { Dispatcher } from 'undici';
import type { Monitor } from '../alerts/monitor.ts';
import type { AuditEntry, Outcome } from '../audit/record.ts';
import type { Clock } from '../clock.ts';
import { retryCannotHelp, TollgateError } from '../errors.ts';
import type { Integration } from '../integrations/integration.ts';
import type { Registry } from '../integrations/registry.ts';
import type { Fingerprinter } from '../keychain/fingerprint.ts';
import type { Keychain } from '../keychain/keychain.ts';
import { BudgetExhausted, type Caps, type Ledger, type Reservation } from '../ledger/ledger.ts';
import type { SharedGate, SharedReservation } from '../ledger/shared/shared-budgets.ts';
import { formatUsd, type Micros } from '../money.ts';
import { Circuits } from './circuit.ts';
import { send, UpstreamFailure, upstreamFailure, type UpstreamResponse } from './forward.ts';
import { type CredentialHit, type CredentialScanner, stripQueryParam, upstreamHeaders } from './guard.ts';
import { attachKey, readKey, refuseIfCarried } from './keychain.ts';
import { isEventStream } from './meter.ts';
import { type CallPrice, priceCall } from './price.ts';
import { requirePurpose } from './purpose.ts';
import { RateLimiter } from './ratelimit.ts';
import { auditableName, resolveIntegration } from './resolve.ts';
import { checkUpstreamPath, matchRoute, routeNotAllowed } from './route.ts';
import { withinSession } from './session.ts';
import { requireUsable } from './state.ts';
import type { CallRequest, CallSession, ResponseSink } from './types.ts';

export interface PipelineLimits {
  maxResponseBytes: number;
  globalCap: Micros | null;
  /** The shared budget every call also reserves against (the global cap over the fleet), or null. */
  globalSharedBudget: string | null;
}

export interface PipelineDeps {
  clock: Clock;
  registry: Registry;
  ledger: Ledger;
  keychain: Keychain;
  /** The way out; a getter, since a settings change may replace it. */
  dispatcher: () => Dispatcher;
  scanner: CredentialScanner;
  requestFingerprint: Fingerprinter;
  monitor: Monitor;
  limits: () => PipelineLimits;
  /** A call of this session was recorded (its spend or its count of calls moved). */
  sessionActivity: (id: string) => void;
  /** The shared ledger, for integrations with a sharedBudget. */
  shared?: SharedGate;
}

/** What is known about a call so far: exactly what its audit record may say. */
interface CallContext {
  req: CallRequest;
  integration: Integration | null;
  route: string | null;
  purpose: string;
  fingerprint: string | null;
  reservation: Reservation | null;
  /** Its reservation in the shared ledger, when the integration draws on a shared budget. */
  shared: SharedReservation | null;
  /** The audit record is written (exactly once per call). */
  recorded: boolean;
  /** The request was handed to the network: from here on it may have reached the provider. */
  dispatched: boolean;
  headersSent: boolean;
  /** The path as the audit log may show it, worked out once (both the reservation and the record need it). */
  auditPath?: string;
  /** What the call reserves and how its answer is metered (known once admitted). */
  price?: CallPrice;
  /** A well-known credential format the call carries, sent since its integration records them. */
  finding?: { rule: string; title: string };
}

const MAX_AUDIT_PATH = 512;
const SETTLE_RETRY_MS = 2_000;
const REDACTED = '[redacted: credential]';

export class Pipeline {
  private readonly deps: PipelineDeps;
  private readonly rateLimiter = new RateLimiter();
  readonly circuits = new Circuits();
  /** Settles the database refused (a full disk): kept until it takes writes again. */
  private readonly unsettled: { r: Reservation; cost: Micros; entry: AuditEntry }[] = [];
  private retryTimer: NodeJS.Timeout | null = null;
  /** Each call still running, with the session it runs in (null: none). */
  private readonly inFlight = new Map<Promise<void>, string | null>();

  constructor(deps: PipelineDeps) {
    this.deps = deps;
  }

  /** Calls still running (for a graceful stop). */
  get pending(): Promise<void>[] {
    return [...this.inFlight.keys()];
  }

  /** Calls of one session still running (for the end of that session). */
  pendingIn(session: string): Promise<void>[] {
    return [...this.inFlight].filter(([, s]) => s === session).map(([run]) => run);
  }

  handle(req: CallRequest, sink: ResponseSink): Promise<void> {
    const run = this.run(req, sink).finally(() => this.inFlight.delete(run));
    this.inFlight.set(run, req.session?.id ?? null);
    return run;
  }

  private async run(req: CallRequest, sink: ResponseSink): Promise<void> {
    const ctx = newContext(req);
    let release: (() => void) | null = null;
    try {
      if (req.session) ctx.req = withinSession(req, req.session);
      const { integration, body, out } = this.admit(ctx);
      release = this.rateLimiter.acquire(integration.name, integration.spec.rateLimit, this.deps.clock.now());
      requireUsable(integration);
      this.circuits.check(integration.name, this.deps.clock.now());
      const key = await this.reserveWhileReadingKey(ctx, integration);
      refuseIfCarried(key, [req.rawPath, req.rawQuery, ctx.purpose], body);
      const withKey = attachKey(integration, key, out);
      // A client already gone is not worth a request: nothing has left, nothing is owed.
      if (sink.signal.aborted) throw new ClientGone();
      if (ctx.finding) this.deps.monitor.credentialRecorded(integration, ctx.finding.rule, ctx.finding.title, this.deps.clock.now());
      let response: UpstreamResponse;
      try {
        ctx.dispatched = true;
        response = await send(this.deps.dispatcher(), integration, req.method, withKey, body, sink.signal);
      } catch (e) {
        // A client that hung up says nothing about the provider's health.
        if (!sink.signal.aborted) this.upstreamResult(integration, true);
        throw e;
      }
      this.upstreamResult(integration, response.status >= 500);
      if (response.status === 401 || response.status === 403) this.deps.monitor.keyRejected(integration, response.status, this.deps.clock.now());
      await this.respond(ctx, integration, response, sink);
    } catch (e) {
      this.fail(ctx, e, sink);
    } finally {
      release?.();
    }
  }

  /** A call the transport refused before it could be handled (e.g. its body is too large): recorded like any refusal. */
  refuse(req: CallRequest, err: TollgateError, sink: ResponseSink): void {
    this.fail(newContext(req), err, sink);
  }

  /** resolve → route → purpose → guard: everything decided from the request alone. */
  private admit(ctx: CallContext) {
    const { req } = ctx;
    const integration = resolveIntegration(this.deps.registry, req.name);
    ctx.integration = integration;
    checkUpstreamPath(req.rawPath);
    ctx.route = matchRoute(integration.routes, req.method, req.rawPath);
    if (ctx.route === null) throw routeNotAllowed(integration.name, integration.spec.routes, req.method, this.auditPath(ctx));
    const purpose = requirePurpose(req.headers);
    const { scanner } = this.deps;
    const inPurpose = scanner.scan(purpose);
    // The purpose goes into the audit log: one that carries a credential is written down redacted.
    ctx.purpose = inPurpose ? REDACTED : purpose;
    const auth = integration.spec.auth;
    const headers = upstreamHeaders(req.headers, auth.type === 'header' ? auth.name : auth.type === 'bearer' ? 'authorization' : null);
    // Path segments are also scanned one by one: '/' is a base64 character, so a base64 key in a
    // segment only decodes in line when the segment stands alone. Header names count as well as values.
    const headerLines = Object.entries(headers).map(([name, value]) => `${name} ${value}`).join('\n');
    const find = (formats: boolean): CredentialHit | null => scanner.scan(req.rawPath, formats) ?? scanner.scan(req.rawPath.replaceAll('/', ' '), formats)
      ?? scanner.scan(req.rawQuery, formats) ?? scanner.scan(purpose, formats) ?? scanner.scan(headerLines, formats) ?? scanner.scanBytes(req.body, formats);
    // Stored keys are always blocked; well-known formats unless the integration records them.
    const record = integration.spec.credentialFormats === 'record';
    const hit = find(!record);
    if (hit) {
      // Says which kind of credential, never the credential.
      const what = hit.kind === 'stored_key' ? 'a credential: one of the keys Tollgate holds' : `what looks like a credential: ${hit.title}`;
      throw new TollgateError('exfiltration_blocked', `The request carries ${what}. It was not sent; remove it (Tollgate attaches the key itself).`);
    }
    const finding = record ? find(true) : null;
    if (finding?.kind === 'format') ctx.finding = { rule: finding.rule, title: finding.title };
    ctx.price = priceCall(integration, ctx.route, req);
    const query = auth.type === 'query' ? stripQueryParam(req.rawQuery, auth.name) : req.rawQuery;
    ctx.fingerprint = this.deps.requestFingerprint(`${req.method} ${integration.host}${req.rawPath}?${query}\n${req.body.toString('latin1')}`);
    return { integration, body: ctx.price.body ?? req.body, out: { path: req.rawPath, query, headers } };
  }

  private caps(integration: Integration, session?: CallSession): Caps {
    const caps: Caps = { integration: integration.cap, global: this.deps.limits().globalCap };
    return session ? { ...caps, session: { id: session.id, budget: session.budget } } : caps;
  }

  private reserve(ctx: CallContext, integration: Integration): Reservation {
    const { req } = ctx;
    // Earlier settles first: the ledger catches up before it admits more.
    this.retryUnsettled();
    try {
      return this.deps.ledger.reserve(integration.id, this.caps(integration, req.session), ctx.price!.reserve, {
        requestId: req.requestId, integration: integration.name, purpose: ctx.purpose, method: req.method,
        host: integration.host, path: this.auditPath(ctx), fingerprint: ctx.fingerprint!, bytesOut: req.body.length,
        at: this.deps.clock.now(),
      });
    } catch (e) {
      // A session's own budget is the operator's limit for that run, not a cap: its end is no alert.
      if (e instanceof BudgetExhausted && e.limit !== 'session') {
        const at = this.deps.clock.now();
        const u = this.deps.ledger.usage(integration.id, at);
        const { global } = this.caps(integration);
        if (e.limit === 'integration') this.deps.monitor.capReached(integration.name, u.spent, integration.cap, u.period);
        else if (global !== null) this.deps.monitor.capReached(null, this.deps.ledger.globalUsage(at).spent, global, u.period);
      }
      // The refusal says "the operator has been told": make it so.
      if (e instanceof TollgateError && e.code === 'audit_unavailable') this.deps.monitor.auditFailed(this.deps.clock.now());
      throw e;
    }
  }

  /**
   * The keychain read (a D-Bus round trip, in libuv's thread pool) runs while the reservation is
   * committed. Only when the reservation can succeed: a call refused for its budget, as every call
   * of a runaway loop is, must stay cheap and never reach the keychain.
   */
  private async reserveWhileReadingKey(ctx: CallContext, integration: Integration): Promise<string> {
    const budgets = [integration.spec.sharedBudget, this.deps.limits().globalSharedBudget].filter((b) => typeof b === 'string');
    if (budgets.length > 0 && ctx.price!.reserve > 0) {
      // Local first (cheap, and refuses a runaway loop without a round trip), then the shared ones;
      // the key is read only once both are durable.
      ctx.reservation = this.reserve(ctx, integration);
      if (!this.deps.shared) throw new TollgateError('ledger_unavailable');
      ctx.shared = await this.deps.shared.reserve({ budgets, integration: integration.name, amount: ctx.reservation.amount });
      return this.readKey(integration);
    }
    if (this.remaining(integration, ctx.req.session) < ctx.price!.reserve) {
      ctx.reservation = this.reserve(ctx, integration);
      return this.readKey(integration);
    }
    const key = this.readKey(integration);
    try {
      ctx.reservation = this.reserve(ctx, integration);
    } catch (e) {
      key.catch(() => undefined);
      throw e;
    }
    return key;
  }

  private async readKey(integration: Integration): Promise<string> {
    try {
      return await readKey(this.deps.keychain, integration);
    } catch (e) {
      if (e instanceof TollgateError) this.deps.monitor.keychainFailed(integration, e.message, this.deps.clock.now());
      throw e;
    }
  }

  /** Streams the provider's answer back while metering it, then settles. */
  private async respond(ctx: CallContext, integration: Integration, res: UpstreamResponse, sink: ResponseSink): Promise<void> {
    const { maxResponseBytes } = this.deps.limits();
    if (res.contentLength !== null && res.contentLength > maxResponseBytes) {
      res.body.destroy();
      throw tooLarge(integration, maxResponseBytes);
    }
    const price = ctx.price!;
    const meter = price.meter(res.status, res.contentType);
    const sse = isEventStream(res.contentType);
    // A cost that must be read from a plain JSON answer is only known at its end: hold the
    // (size-capped) body so the headers can carry the real cost.
    const hold = price.readsResponse && !sse;
    const held: Buffer[] = [];
    let bytesIn = 0;
    let complete = false;
    let failure: TollgateError | null = null;
    const headers: Record<string, string> = { 'tollgate-request-id': ctx.req.requestId };
    if (res.contentType) headers['content-type'] = res.contentType;
    if (!hold) {
      if (sse) headers.trailer = 'Tollgate-Cost-Usd, Tollgate-Remaining-Usd';
      else {
        const cost = price.fixed;
        headers['tollgate-cost-usd'] = formatUsd(cost);
        headers['tollgate-remaining-usd'] = formatUsd(this.left(ctx, integration, cost));
      }
      sink.head(res.status, headers);
      ctx.headersSent = true;
    }
    try {
      for await (const chunk of res.body) {
        bytesIn += chunk.length;
        if (bytesIn > maxResponseBytes) throw tooLarge(integration, maxResponseBytes);
        meter.push(chunk);
        if (hold) held.push(chunk);
        else if (!sink.write(chunk)) await sink.drain();
      }
      complete = true;
    } catch (e) {
      // A body that stalls is a timeout (504), not an unusable answer (502).
      throw (failure = e instanceof TollgateError ? e : upstreamFailure(integration, e));
    } finally {
      if (!complete) {
        res.body.destroy();
        // Billed all the same: the provider answered, so the call happened.
        const { cost } = meter.finish(false);
        this.checkCost(ctx, integration, cost);
        this.settle(ctx, integration, 'error', sink.signal.aborted ? null : (failure?.code ?? 'upstream_error'), res.status, bytesIn, cost);
        if (ctx.headersSent) sink.destroy();
      }
    }
    const result = meter.finish(true);
    this.checkCost(ctx, integration, result.cost);
    const costHeaders = {
      'tollgate-cost-usd': formatUsd(result.cost),
      'tollgate-remaining-usd': formatUsd(this.left(ctx, integration, result.cost)),
    };
    // The answer goes out first and the settle follows in the same turn of the event loop: the
    // assistant does not wait for the commit, and nothing else runs in between (the reservation is
    // already durable, so a crash right here still leaves the call recorded at its maximum).
    if (hold) {
      sink.head(res.status, { ...headers, ...costHeaders });
      ctx.headersSent = true;
      // Already in memory: handed to the socket whole, without waiting for it to drain.
      for (const chunk of held) sink.write(chunk);
      sink.end();
    } else {
      sink.end(sse ? costHeaders : undefined);
    }
    this.settle(ctx, integration, 'ok', null, res.status, bytesIn, result.cost);
  }

  /** A cost above the reservation: recorded as it is all the same (the books never lie), and the operator told. */
  private checkCost(ctx: CallContext, integration: Integration, cost: Micros): void {
    const reserved = ctx.reservation?.amount ?? 0;
    if (cost <= reserved) return;
    const at = this.deps.clock.now();
    if (ctx.price!.bounded) this.deps.monitor.costOverReservation(integration, cost, reserved, ctx.price!.model, at);
    else this.deps.monitor.costOverMax(integration, cost, at);
  }

  private upstreamResult(integration: Integration, failed: boolean): void {
    if (this.circuits.record(integration.name, failed, this.deps.clock.now())) this.deps.monitor.circuitOpened(integration, this.deps.clock.now());
  }

  private remaining(integration: Integration, session: CallSession | undefined, settling?: { amount: Micros; cost: Micros }): Micros {
    return this.deps.ledger.remaining(integration.id, this.caps(integration, session), this.deps.clock.now(), settling);
  }

  /** What a call's answer says is left once it is settled: under the caps, and of its shared budget as its reservation found it. */
  private left(ctx: CallContext, integration: Integration, cost: Micros): Micros {
    const amount = ctx.reservation!.amount;
    const local = this.remaining(integration, ctx.req.session, { amount, cost });
    return ctx.shared ? Math.min(local, Math.max(0, ctx.shared.left + amount - cost)) : local;
  }

  /** Settles the open reservation (once) and writes the call's audit record with it. */
  private settle(ctx: CallContext, integration: Integration, outcome: Outcome, code: string | null, status: number | null, bytesIn: number, cost: Micros): void {
    const r = ctx.reservation;
    if (!r) return;
    ctx.reservation = null;
    ctx.recorded = true;
    if (ctx.shared) this.deps.shared!.settle(ctx.shared, cost, outcome !== 'refused');
    ctx.shared = null;
    const at = this.deps.clock.now();
    const before = this.deps.ledger.usage(integration.id, at);
    const globalBefore = this.deps.ledger.globalUsage(at).spent;
    const entry = this.entry(ctx, outcome, code, status, bytesIn, cost);
    try {
      this.deps.ledger.settle(r, cost, entry);
    } catch {
      // The reservation stays open (the cap keeps counting it); the settle is tried again once the
      // database takes writes, and failing that, the next start settles it at its full amount.
      this.unsettled.push({ r, cost, entry });
      this.retryTimer ??= setInterval(() => this.retryUnsettled(), SETTLE_RETRY_MS).unref();
      this.deps.monitor.auditFailed(at);
      return;
    }
    this.deps.monitor.spend(integration.name, before.spent, before.spent + cost, integration.cap, before.period);
    const { global } = this.caps(integration);
    if (global !== null) this.deps.monitor.spend(null, globalBefore, globalBefore + cost, global, before.period);
    this.observe(ctx, outcome, code);
  }

  /** Settles, oldest first, what could not be settled when its call ended. */
  private retryUnsettled(): void {
    while (this.unsettled.length > 0) {
      const { r, cost, entry } = this.unsettled[0]!;
      try {
        this.deps.ledger.settle(r, cost, entry);
      } catch {
        return;
      }
      this.unsettled.shift();
    }
    if (this.retryTimer) clearInterval(this.retryTimer);
    this.retryTimer = null;
  }

  private observe(ctx: CallContext, outcome: Outcome, code: string | null): void {
    this.deps.monitor.call({
      at: this.deps.clock.now(),
      integration: this.auditName(ctx),
      route: ctx.route === null ? null : `${ctx.req.method} ${ctx.route}`,
      fingerprint: ctx.fingerprint ?? '',
      outcome: outcome === 'ok' ? 'ok' : outcome === 'refused' ? 'refused' : 'error',
      code,
    });
    if (ctx.req.session) this.deps.sessionActivity(ctx.req.session.id);
  }

  private entry(ctx: CallContext, outcome: Outcome, code: string | null, status: number | null, bytesIn: number, cost: Micros): AuditEntry {
    const { req } = ctx;
    return {
      at: this.deps.clock.now(),
      requestId: req.requestId,
      integration: this.auditName(ctx),
      purpose: ctx.purpose,
      method: req.method,
      host: ctx.integration?.host ?? '-',
      path: this.auditPath(ctx),
      outcome,
      code,
      status,
      latencyMs: Math.max(0, this.deps.clock.now() - req.receivedAt),
      bytesOut: req.body.length,
      bytesIn,
      cost,
      fingerprint: ctx.fingerprint,
      finding: ctx.finding?.rule ?? null,
      session: req.session?.id ?? null,
    };
  }

  /** The integration's name as it may be written down: an unapproved name is the assistant's text, and may be a key. */
  private auditName(ctx: CallContext): string {
    if (ctx.integration) return ctx.integration.name;
    return this.deps.scanner.scan(ctx.req.name) ? REDACTED : auditableName(ctx.req.name);
  }

  /** The path as it may be written down: never a credential, never unbounded. */
  private auditPath(ctx: CallContext): string {
    const raw = ctx.req.rawPath;
    ctx.auditPath ??= this.deps.scanner.scan(raw) ? REDACTED : raw.length > MAX_AUDIT_PATH ? `${raw.slice(0, MAX_AUDIT_PATH)}…` : raw;
    return ctx.auditPath;
  }

  /**
   * A refusal or a failure: settle what was reserved, write it down, tell the assistant.
   * Whatever `e` is (a typed refusal, an abort, a bug of ours), a request that was handed to the
   * network costs its reservation unless it is known never to have left.
   */
  private fail(ctx: CallContext, e: unknown, sink: ResponseSink): void {
    // Before the request left, a refusal stays a refusal even if the client has gone meanwhile.
    const gone = e instanceof ClientGone || (ctx.dispatched && sink.signal.aborted);
    const err = e instanceof TollgateError ? e : new TollgateError('upstream_error', undefined, { cause: e });
    const integration = ctx.integration;
    const refused = !ctx.dispatched && !gone && !(err instanceof UpstreamFailure) && err.code !== 'upstream_error';
    const outcome: Outcome = refused ? 'refused' : 'error';
    // A client that went away is not told, and its record names no refusal.
    const code = gone ? null : err.code;
    if (ctx.reservation && integration) {
      const neverLeft = !ctx.dispatched || (e instanceof UpstreamFailure && !e.maybeSent);
      this.settle(ctx, integration, outcome, code, null, 0, neverLeft ? 0 : ctx.reservation.amount);
    } else if (!ctx.recorded) {
      ctx.recorded = true;
      try {
        this.deps.ledger.record(this.entry(ctx, outcome, code, null, 0, 0));
        this.observe(ctx, outcome, code);
      } catch (auditErr) {
        this.deps.monitor.auditFailed(this.deps.clock.now());
        if (auditErr instanceof TollgateError) return writeRefusal(sink, auditErr, ctx.req.requestId);
      }
    }
    if (ctx.headersSent) {
      sink.destroy();
      return;
    }
    writeRefusal(sink, err, ctx.req.requestId);
  }
}

function newContext(req: CallRequest): CallContext {
  // In a session, its purpose stands in until the call's own is read (a refusal before that records it).
  return { req, integration: null, route: null, purpose: req.session?.purpose ?? '', fingerprint: null, reservation: null, shared: null, recorded: false, headersSent: false, dispatched: false };
}

/** The client hung up before its request was sent. */
class ClientGone extends Error {}

function tooLarge(integration: Integration, limit: number): UpstreamFailure {
  return new UpstreamFailure('upstream_error', `${integration.name}: the answer is larger than ${limit} bytes, the most Tollgate passes back. Ask for less (fewer results, a smaller page); Tollgate does not retry.`, true);
}

/** The agent API's refusal: Tollgate-Error header and {"error":{code,message,requestId}}. */
export function writeRefusal(sink: ResponseSink, err: TollgateError, requestId: string): void {
  const body = Buffer.from(JSON.stringify({ error: { code: err.code, message: err.message, requestId } }));
  const headers: Record<string, string> = {
    'content-type': 'application/json; charset=utf-8',
    'tollgate-error': err.code,
    'tollgate-request-id': requestId,
    'content-length': String(body.length),
  };
  if (err.retryAfter !== undefined) headers['retry-after'] = String(err.retryAfter);
  if (retryCannotHelp(err.code)) headers['x-should-retry'] = 'false';
  sink.head(err.status, headers);
  sink.write(body);
  sink.end();
}
