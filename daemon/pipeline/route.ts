// Step "match the route": the upstream path must be in a form every server reads the same way
// (no traversal, no double meaning after decoding), and must match one of the integration's routes.
// Matching is on the raw path, which is also exactly what is forwarded: what was checked is what is sent.
import { TollgateError } from '../errors.ts';
import type { RouteSpec } from '../integrations/schema.ts';

const MAX_PATH_LENGTH = 2048;

interface CompiledRoute {
  readonly pattern: string;
  /** Literal segments and `*`; a final `**` is the `rest` flag instead. */
  readonly segments: readonly string[];
  readonly rest: boolean;
}

/** Routes by method, most specific first (literal before `*` before `**`). */
export type RouteTable = ReadonlyMap<string, readonly CompiledRoute[]>;

export function compileRoutes(routes: readonly RouteSpec[]): RouteTable {
  const table = new Map<string, CompiledRoute[]>();
  for (const { method, path } of routes) {
    const list = table.get(method) ?? [];
    if (list.some((r) => r.pattern === path)) continue;
    const segments = path === '/' ? [] : path.slice(1).split('/');
    const rest = segments.at(-1) === '**';
    if (rest) segments.pop();
    list.push({ pattern: path, segments, rest });
    table.set(method, list);
  }
  // Stable: among equally specific patterns the operator's order decides.
  for (const list of table.values()) list.sort(bySpecificity);
  return table;
}

function bySpecificity(a: CompiledRoute, b: CompiledRoute): number {
  const n = Math.min(a.segments.length + Number(a.rest), b.segments.length + Number(b.rest));
  for (let i = 0; i < n; i++) {
    const d = rank(a, i) - rank(b, i);
    if (d !== 0) return d;
  }
  return 0;
}

function rank(r: CompiledRoute, i: number): number {
  if (i === r.segments.length) return 2;
  return r.segments[i]!.startsWith('*') ? 1 : 0;
}

/**
 * The pattern of the route that allows `method` on `rawPath`, or null.
 * Expects a path that passed checkUpstreamPath. HEAD is not implied by GET; `/a/` does not match `/a`.
 */
export function matchRoute(table: RouteTable, method: string, rawPath: string): string | null {
  const routes = table.get(method);
  if (routes === undefined) return null;
  const segments = rawPath === '/' ? [] : rawPath.slice(1).split('/');
  for (const route of routes) {
    if (matches(route, segments)) return route.pattern;
  }
  return null;
}

/**
 * The refusal of a call no route allows. It names the method and path tried, as the audit log shows
 * the path (`shownPath`: redacted when it carries a credential, shortened when long), and the routes there are.
 */
export function routeNotAllowed(integration: string, routes: readonly RouteSpec[], method: string, shownPath: string): TollgateError {
  return new TollgateError('route_not_allowed',
    `${integration} does not allow ${method} ${shownPath}. Its routes: ${routes.map((r) => `${r.method} ${r.path}`).join(', ')}.`);
}

function matches(route: CompiledRoute, segments: readonly string[]): boolean {
  const fixed = route.segments;
  if (route.rest ? segments.length <= fixed.length : segments.length !== fixed.length) return false;
  for (let i = 0; i < fixed.length; i++) {
    const want = fixed[i];
    const got = segments[i];
    if (want === '*' ? got === '' : want!.startsWith('*:') ? !endsInAction(got!, want!.slice(1)) : want !== got) return false;
  }
  // `**` needs a real segment; only a trailing slash after it may be empty.
  return !route.rest || segments[fixed.length] !== '';
}

/** `<something without ':'>:action`, as `*:action` asks. */
function endsInAction(segment: string, action: string): boolean {
  const head = segment.length - action.length;
  return head > 0 && segment.endsWith(action) && !segment.slice(0, head).includes(':');
}

// RFC 3986 pchar without pct-encoded: unreserved, sub-delims, ':' and '@'. '/' separates segments.
const PATH_CHARS = new Uint8Array(128);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@/") {
  PATH_CHARS[c.charCodeAt(0)] = 1;
}

function refuse(problem: string): never {
  throw new TollgateError('route_not_allowed', `${problem} Tollgate forwards only plain paths; use one of the integration's listed routes.`);
}

/**
 * Refuses an upstream path that a server, proxy or URL parser could read differently from us.
 * A single trailing slash is allowed (some APIs need it; an empty last segment cannot climb out of
 * anything), but it only ever matches a `**` route. Messages never repeat the path: it may hold a key.
 */
export function checkUpstreamPath(rawPath: string): void {
  if (rawPath.length > MAX_PATH_LENGTH) refuse(`The path is longer than ${MAX_PATH_LENGTH} characters.`);
  if (!rawPath.startsWith('/')) refuse('The path must start with /.');
  for (let i = 0; i < rawPath.length; i++) {
    const c = rawPath.charCodeAt(i);
    if (c === 0x25) {
      const byte = hexByte(rawPath, i + 1);
      if (byte < 0) refuse('The path has a % that does not start a percent-encoding such as %20.');
      if (byte === 0x25) refuse('The path holds %25 (an encoded %): double-encoded paths are refused.');
      if (byte === 0x2f || byte === 0x5c) refuse('The path holds an encoded slash or backslash (%2F, %5C).');
      // No client needs to encode a dot; servers that decode before resolving would see `..`.
      if (byte === 0x2e) refuse('The path holds an encoded dot (%2E); write dots as they are.');
      i += 2;
    } else if (c === 0x5c) {
      refuse('The path holds a backslash.');
    } else if (c >= 128 || PATH_CHARS[c] !== 1) {
      refuse('The path holds a character that must be percent-encoded (a space, control character, quote, non-ASCII or other character outside RFC 3986 path characters).');
    }
  }
  const segments = rawPath.slice(1).split('/');
  const last = segments.length - 1;
  segments.forEach((segment, i) => {
    if (segment === '' && i !== last) refuse('The path has an empty segment (//).');
    // `..;x` is `..` to servers that strip path parameters (Tomcat), and some trim trailing dots.
    if (/^\.+$/.test(segment.split(';', 1)[0] ?? '')) refuse('The path has a . or .. segment.');
    if (segment.includes('%')) checkDecoded(segment);
  });
}

function hexByte(s: string, at: number): number {
  if (at + 2 > s.length) return -1;
  const hex = s.slice(at, at + 2);
  return /^[0-9A-Fa-f]{2}$/.test(hex) ? parseInt(hex, 16) : -1;
}

function checkDecoded(segment: string): void {
  let decoded: string;
  try {
    // Throws on bytes that are not UTF-8, overlong forms (%C0%AE) and surrogates included.
    decoded = decodeURIComponent(segment);
  } catch {
    return refuse('The path has a percent-encoding that is not valid UTF-8.');
  }
  if (/[\u0000-\u001f\u007f-\u009f]/.test(decoded)) refuse('The path has an encoded control character.');
  // Servers that apply Unicode compatibility folding would turn U+FF0E into '.' and U+FF0F into '/'.
  const folded = decoded.normalize('NFKC');
  if (/[/\\]/.test(folded) || /^\.+$/.test(folded.split(';', 1)[0] ?? '')) {
    refuse('The path has an encoded character that folds to a dot, slash or backslash.');
  }
}

/**
 * Refuses an agent request target that is not in origin-form (RFC 9112 §3.2.1): absolute-form
 * (`http://…`), authority-form (`host:443`), asterisk-form (`*`), or a path starting with `//` that a
 * URL parser would read as a host. Returns the raw path and the raw query ('' when none).
 */
export function checkRequestTarget(rawUrl: string): { path: string; query: string } {
  if (!rawUrl.startsWith('/') || rawUrl.startsWith('//')) {
    throw new TollgateError('bad_request', 'The request target must be a path such as /v1/call/<name>/<path>; absolute URLs, host:port, * and paths starting with // are refused.');
  }
  for (let i = 0; i < rawUrl.length; i++) {
    const c = rawUrl.charCodeAt(i);
    // A backslash is a slash to WHATWG URL parsers; '#' never belongs in a request.
    if (c <= 0x20 || c >= 0x7f || c === 0x23 || c === 0x5c) {
      throw new TollgateError('bad_request', 'The request target holds a space, control character, #, backslash or non-ASCII character; percent-encode it.');
    }
    if (c === 0x25) {
      if (hexByte(rawUrl, i + 1) < 0) throw new TollgateError('bad_request', 'The request target has a % that does not start a percent-encoding such as %20.');
      i += 2;
    }
  }
  const q = rawUrl.indexOf('?');
  return q < 0 ? { path: rawUrl, query: '' } : { path: rawUrl.slice(0, q), query: rawUrl.slice(q + 1) };
}
