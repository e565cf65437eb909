// Step 9: send the request to the approved host with undici. One attempt: no retries, no
// redirects followed, no other endpoint. Failures become typed errors.
import type { Dispatcher } from 'undici';
import { TollgateError } from '../errors.ts';
import type { Integration } from '../integrations/integration.ts';
import type { Outgoing } from './keychain.ts';

export interface UpstreamResponse {
  status: number;
  contentType: string | undefined;
  contentLength: number | null;
  body: AsyncIterable<Buffer> & { destroy(err?: Error): void };
}

/** Why an upstream attempt failed, and whether the request may have reached the provider. */
export class UpstreamFailure extends TollgateError {
  /** False only when the request certainly never left (no connection was made). */
  readonly maybeSent: boolean;

  constructor(code: 'upstream_error' | 'upstream_unavailable' | 'upstream_timeout', message: string, maybeSent: boolean, cause?: unknown) {
    super(code, message, { cause });
    this.maybeSent = maybeSent;
  }
}

// Errors raised before a byte of the request could leave.
const NOT_SENT = new Set(['UND_ERR_CONNECT_TIMEOUT', 'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * What an undici failure means. Anything not known to happen before the request left counts as
 * maybe sent: the failure path must never bill less than the request may have cost.
 */
export function upstreamFailure(integration: Integration, err: unknown): UpstreamFailure {
  // Not every error's `code` is a string: an abort's DOMException carries a number.
  const raw = (err as { code?: unknown } | null)?.code;
  const code = typeof raw === 'string' ? raw : '';
  const name = integration.name;
  if (code === 'UND_ERR_CONNECT_TIMEOUT') {
    return new UpstreamFailure('upstream_timeout', `${name}: connecting to ${integration.host} timed out. Tollgate does not retry; try again later.`, false, err);
  }
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return new UpstreamFailure('upstream_timeout', `${name}: ${integration.host} stopped answering in time. Tollgate does not retry; try again later.`, true, err);
  }
  if (code.startsWith('ERR_TLS') || code.includes('CERT') || code === 'DEPTH_ZERO_SELF_SIGNED_CERT' || code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE') {
    return new UpstreamFailure('upstream_unavailable', `${name}: the TLS certificate of ${integration.host} could not be verified, so nothing was sent. The operator has to check the host.`, false, err);
  }
  if (NOT_SENT.has(code)) {
    return new UpstreamFailure('upstream_unavailable', `${name}: ${integration.host} cannot be reached. Tollgate does not retry or fall back; try again later.`, false, err);
  }
  return new UpstreamFailure('upstream_error', `${name}: the connection to ${integration.host} failed before a complete answer. Tollgate does not retry; try again later.`, true, err);
}

export async function send(
  dispatcher: Dispatcher,
  integration: Integration,
  method: string,
  out: Outgoing,
  body: Buffer,
  signal: AbortSignal,
): Promise<UpstreamResponse> {
  const path = integration.basePath + out.path + (out.query ? `?${out.query}` : '');
  try {
    const res = await dispatcher.request({
      origin: integration.origin,
      path,
      method: method as Dispatcher.HttpMethod,
      headers: out.headers,
      body: body.length > 0 || !['GET', 'HEAD', 'DELETE'].includes(method) ? body : null,
      // Never let undici re-send: a retried call is a second charge.
      idempotent: false,
      signal,
    } as Dispatcher.RequestOptions);
    // Errors are read through iteration; a body destroyed unread (too large, client gone) would
    // otherwise emit an 'error' nobody listens to, and an uncaught error ends the daemon.
    res.body.on('error', () => {});
    const ct = res.headers['content-type'];
    const cl = res.headers['content-length'];
    return {
      status: res.statusCode,
      contentType: Array.isArray(ct) ? ct[0] : ct,
      contentLength: typeof cl === 'string' && /^\d+$/.test(cl) ? Number(cl) : null,
      body: res.body as unknown as UpstreamResponse['body'],
    };
  } catch (e) {
    throw upstreamFailure(integration, e);
  }
}
