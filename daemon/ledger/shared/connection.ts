// The connection to the shared ledger: a connection string checked where it enters (TLS unless
// the database is on this machine), and node-postgres' pool with deadlines, so a database that
// hangs refuses calls quickly instead of holding them.
import pg from 'pg';
import { ControlError } from '../../errors.ts';

/** How long a call may wait for a connection, and for one statement, before it is refused. */
export const CONNECT_TIMEOUT_MS = 3_000;
export const STATEMENT_TIMEOUT_MS = 5_000;
const POOL_SIZE = 10;

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);
const TLS_MODES = new Set(['require', 'verify-ca', 'verify-full']);

/** Where the database is, without the credentials: what the operator is shown. */
export function describeUrl(url: string): string {
  const u = new URL(url);
  const socket = u.searchParams.get('host');
  const where = socket?.startsWith('/') ? `socket ${socket}` : `${u.hostname}${u.port ? `:${u.port}` : ''}`;
  return `${decodeURIComponent(u.username) || '(default user)'} @ ${where} / ${decodeURIComponent(u.pathname.slice(1)) || '(default database)'}`;
}

/** The database password a connection string holds (in its user part or a password parameter), if any. */
export function urlPassword(url: string): string | null {
  const u = new URL(url);
  return (u.password ? decodeURIComponent(u.password) : u.searchParams.get('password')) || null;
}

/**
 * A postgresql:// URL. Over the network it must use TLS with the server's certificate verified:
 * a Unix socket or loopback needs none; any other host gets verify-full unless it says
 * require/verify-ca/verify-full itself, and a URL that turns TLS off for one is refused.
 */
export function checkUrl(url: string): { url: string; tls: boolean } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ControlError('invalid', 'The ledger URL is not a URL: give postgresql://user:password@host:5432/database.');
  }
  if (u.protocol !== 'postgresql:' && u.protocol !== 'postgres:') throw new ControlError('invalid', 'The ledger URL must start with postgresql://.');
  const socket = u.searchParams.get('host');
  const local = socket?.startsWith('/') || (u.hostname === '' && !socket) || LOOPBACK.has(u.hostname);
  if (local) return { url, tls: false };
  const mode = u.searchParams.get('sslmode');
  if (mode !== null && !TLS_MODES.has(mode)) {
    throw new ControlError('invalid', `sslmode=${mode} would send the ledger's traffic (and its password) unencrypted or unverified: use sslmode=verify-full, or leave it out.`);
  }
  return { url, tls: mode === null };
}

export function createPool(url: string): pg.Pool {
  const { tls } = checkUrl(url);
  const pool = new pg.Pool({
    connectionString: url,
    ...(tls ? { ssl: { rejectUnauthorized: true } } : {}),
    max: POOL_SIZE,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    query_timeout: STATEMENT_TIMEOUT_MS,
    statement_timeout: STATEMENT_TIMEOUT_MS,
    application_name: 'tollgate',
    // Idle connections never keep a stopping daemon (or a test) alive.
    allowExitOnIdle: true,
  });
  // An idle connection the server drops (a restart, a failover) is reported here; without a
  // listener it would crash the daemon. The pool discards it and the next query reconnects.
  pool.on('error', () => undefined);
  return pool;
}
