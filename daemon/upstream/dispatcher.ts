// The one way out to the providers: an undici Agent with TLS verified against the system's
// CAs plus NODE_EXTRA_CA_CERTS, timeouts on connect, headers and body, and nothing that retries.
import tls from 'node:tls';
import { Agent, type Dispatcher } from 'undici';

export interface UpstreamTimeouts {
  connectMs: number;
  headersMs: number;
  /** Longest silence between two body chunks. */
  bodyMs: number;
}

export const DEFAULT_TIMEOUTS: UpstreamTimeouts = { connectMs: 10_000, headersMs: 30_000, bodyMs: 60_000 };

/** Node's bundled roots, the OS store, and NODE_EXTRA_CA_CERTS (which 'default' includes). */
function trustedCAs(): string[] | undefined {
  if (typeof tls.getCACertificates !== 'function') return undefined; // Node < 22.15: Node's defaults still apply
  return [...new Set([...tls.getCACertificates('default'), ...tls.getCACertificates('system')])];
}

export function createUpstreamDispatcher(timeouts: UpstreamTimeouts = DEFAULT_TIMEOUTS, extraCa?: string[]): Dispatcher {
  const ca = trustedCAs();
  return new Agent({
    connect: { ca: ca && extraCa ? [...ca, ...extraCa] : (extraCa ?? ca), rejectUnauthorized: true, timeout: timeouts.connectMs },
    connectTimeout: timeouts.connectMs,
    headersTimeout: timeouts.headersMs,
    bodyTimeout: timeouts.bodyMs,
    keepAliveTimeout: 10_000,
  });
}
