// Step "guard the request": what of the assistant's request may go upstream, and a scan that
// refuses requests carrying a credential (a stored key, matched by fingerprint, or a well-known format).
import { TollgateError } from '../errors.ts';

// Hop-by-hop, identity and routing headers the daemon or the transport decide, never the assistant.
const DROPPED_HEADERS = new Set([
  'authorization', 'cookie', 'cookie2', 'host', 'forwarded', 'via', 'x-real-ip',
  'x-client-ip', 'true-client-ip', 'cf-connecting-ip',
  'connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'http2-settings',
  'content-length', 'expect',
  // Some frameworks let these override the method or path, which would slip past the route check.
  'x-http-method-override', 'x-http-method', 'x-method-override', 'x-original-url', 'x-rewrite-url',
]);
const DROPPED_PREFIXES = ['proxy-', 'x-forwarded-', 'tollgate-'];
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * The headers that may go upstream, names lower-cased, with `accept-encoding: identity` forced
 * (responses are read to meter them). Refuses a compressed request body: it could not be scanned.
 */
export function upstreamHeaders(
  incoming: Record<string, string | string[] | undefined>,
  authHeaderName: string | null,
): Record<string, string> {
  const values = new Map<string, string[]>();
  for (const [rawName, value] of Object.entries(incoming)) {
    if (value === undefined) continue;
    if (!TOKEN.test(rawName)) throw new TollgateError('bad_request', 'A header name is not a valid HTTP token.');
    const list = typeof value === 'string' ? [value] : value;
    if (list.some((v) => /[\r\n\0]/.test(v))) {
      throw new TollgateError('bad_request', 'A header value holds a CR, LF or NUL character.');
    }
    const name = rawName.toLowerCase();
    values.set(name, [...(values.get(name) ?? []), ...list]);
  }
  const connectionNamed = new Set(
    (values.get('connection') ?? []).flatMap((v) => v.split(',')).map((t) => t.trim().toLowerCase()),
  );
  const authName = authHeaderName?.toLowerCase();
  for (const name of ['content-encoding', 'transfer-encoding']) {
    const codings = (values.get(name) ?? []).flatMap((v) => v.split(',')).map((t) => t.trim().toLowerCase());
    if (codings.some((c) => c !== '' && c !== 'identity' && c !== 'chunked')) {
      throw new TollgateError('bad_request', 'Tollgate does not forward compressed request bodies (Content-Encoding or Transfer-Encoding); send the body uncompressed.');
    }
  }
  // A Map then fromEntries: a header named __proto__ stays a plain key.
  const out = new Map<string, string>();
  for (const [name, list] of values) {
    if (list.length === 0 || DROPPED_HEADERS.has(name) || connectionNamed.has(name) || name === authName) continue;
    if (DROPPED_PREFIXES.some((p) => name.startsWith(p))) continue;
    out.set(name, list.join(', '));
  }
  out.set('accept-encoding', 'identity');
  return Object.fromEntries(out);
}

/**
 * Removes every `name` parameter from a raw query (no leading '?'), whether its name is written raw
 * or percent-encoded. Parameters are split on '&' only; everything else is kept byte for byte.
 */
export function stripQueryParam(rawQuery: string, name: string): string {
  if (rawQuery === '') return '';
  return rawQuery
    .split('&')
    .filter((part) => {
      const eq = part.indexOf('=');
      return decodeLoosely((eq < 0 ? part : part.slice(0, eq)).replaceAll('+', ' ')) !== name;
    })
    .join('&');
}

// Never throws: malformed escapes stay as they are, as lenient servers leave them.
function decodeLoosely(s: string): string {
  return s.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

export type CredentialKind =
  | 'stored_key'
  | 'aws_access_key'
  | 'github_token'
  | 'gitlab_token'
  | 'slack_token'
  | 'slack_webhook'
  | 'private_key'
  | 'google_api_key'
  | 'stripe_key'
  | 'openai_key'
  | 'anthropic_key'
  | 'npm_token'
  | 'pypi_token'
  | 'huggingface_token'
  | 'sendgrid_key';

/** What was found; never the credential itself, so it is safe in messages and logs. */
export interface CredentialHit {
  kind: CredentialKind;
}

// Formats with a fixed, distinctive prefix, so ordinary text does not match. JWTs are left out:
// they are short-lived, and APIs legitimately pass them.
const FORMATS: readonly (readonly [CredentialKind, string])[] = [
  ['aws_access_key', String.raw`(?:AKIA|ASIA)[A-Z2-7]{16}(?![A-Za-z0-9])`],
  ['github_token', String.raw`gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255}`],
  ['gitlab_token', String.raw`glpat-[A-Za-z0-9_-]{20,}`],
  ['slack_token', String.raw`xox[abprs]-\d{6,}-[A-Za-z0-9-]{8,}`],
  ['slack_webhook', String.raw`hooks\.slack\.com/services/T[A-Z0-9]{6,}/B[A-Z0-9]{6,}/[A-Za-z0-9]{20,}`],
  // The header alone could be prose about PEM; a key block has base64 right after it.
  ['private_key', String.raw`-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----[\s\S]{0,200}?[A-Za-z0-9+/]{40}`],
  ['google_api_key', String.raw`AIza[A-Za-z0-9_-]{35}(?![A-Za-z0-9_-])`],
  ['stripe_key', String.raw`[sr]k_(?:live|test)_[A-Za-z0-9]{20,}`],
  ['openai_key', String.raw`sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{20,}|sk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}`],
  ['anthropic_key', String.raw`sk-ant-[a-z]+\d*-[A-Za-z0-9_-]{20,}`],
  ['npm_token', String.raw`npm_[A-Za-z0-9]{36}(?![A-Za-z0-9])`],
  ['pypi_token', String.raw`pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}`],
  ['huggingface_token', String.raw`hf_[A-Za-z]{34}(?![A-Za-z0-9])`],
  ['sendgrid_key', String.raw`SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}`],
];
// One pass for all formats; the capture group that matched names the kind.
const FORMAT_RE = new RegExp(`(?<![A-Za-z0-9])(?:${FORMATS.map(([, re]) => `(${re})`).join('|')})`);
// The shortest well-known credential (an AWS key id): base64 shorter than this cannot hide one.
const MIN_FORMAT_LENGTH = 20;
// Shorter stored keys are not looked for: fingerprinting every short token would be slow, and no real key is that short.
const MIN_STORED_KEY_LENGTH = 8;

const KEYLIKE = 1;
const SEPARATOR = 2;
const BASE64 = 4;
const UPPER = 8;
const LOWER = 16;
const DIGIT = 32;
const CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  let bits = 0;
  if (/[A-Za-z0-9_\-.+/=~:]/.test(ch)) bits |= KEYLIKE;
  if (/[.:/=+~]/.test(ch)) bits |= SEPARATOR;
  if (/[A-Za-z0-9+/_-]/.test(ch)) bits |= BASE64;
  if (/[A-Z]/.test(ch)) bits |= UPPER;
  if (/[a-z]/.test(ch)) bits |= LOWER;
  if (/[0-9]/.test(ch)) bits |= DIGIT;
  CLASS[c] = bits;
}
const classOf = (s: string, i: number): number => CLASS[s.charCodeAt(i)] ?? 0;
const MIXED = UPPER | LOWER | DIGIT;

// Escapes that hide a key from a plain search: percent-encoding, and JSON's \uXXXX and \/.
const ESCAPE = /%([0-9A-Fa-f]{2})|\\u([0-9A-Fa-f]{4})|\\\//g;
const hasEscape = (s: string): boolean => s.includes('%') || s.includes('\\u') || s.includes('\\/');
const unescape = (s: string): string =>
  s.replace(ESCAPE, (_, pct: string | undefined, u: string | undefined) =>
    pct !== undefined ? String.fromCharCode(parseInt(pct, 16)) : u !== undefined ? String.fromCharCode(parseInt(u, 16)) : '/');

/**
 * Finds credentials in what the assistant sends. Stored keys are known only by fingerprint and
 * length: the scanner fingerprints just the tokens of a stored key's length, so big bodies stay cheap.
 * Looks at the text as is, unescaped once and twice (percent, JSON), and inside base64/base64url
 * tokens of each (one level). A determined sender can still disguise a key (reversed, hex, split);
 * this catches the plain and the commonly encoded forms.
 */
export class CredentialScanner {
  private readonly fingerprint: (token: string) => string;
  private fingerprints = new Set<string>();
  /** Distinct stored-key lengths, ascending. */
  private lengths: number[] = [];

  constructor(fingerprint: (token: string) => string) {
    this.fingerprint = fingerprint;
  }

  setStoredKeys(entries: Iterable<{ fingerprint: string; length: number }>): void {
    const fingerprints = new Set<string>();
    const lengths = new Set<number>();
    for (const { fingerprint, length } of entries) {
      if (length < MIN_STORED_KEY_LENGTH) continue;
      fingerprints.add(fingerprint);
      lengths.add(length);
    }
    this.fingerprints = fingerprints;
    this.lengths = [...lengths].sort((a, b) => a - b);
  }

  scan(text: string): CredentialHit | null {
    const hit = this.scanLayer(text, true);
    if (hit || !hasEscape(text)) return hit;
    const once = unescape(text);
    return this.scanLayer(once, true) ?? (hasEscape(once) ? this.scanLayer(unescape(once), true) : null);
  }

  scanBytes(buf: Buffer): CredentialHit | null {
    // latin1 maps each byte to one char: no decoding cost, and keys are ASCII anyway.
    return this.scan(buf.toString('latin1'));
  }

  private scanLayer(s: string, intoBase64: boolean): CredentialHit | null {
    const format = FORMAT_RE.exec(s);
    if (format) {
      const group = format.findIndex((g, i) => i > 0 && g !== undefined);
      return { kind: FORMATS[group - 1]![0] };
    }
    const minStored = this.lengths[0] ?? Infinity;
    const minBase64 = Math.ceil((Math.min(minStored, MIN_FORMAT_LENGTH) * 4) / 3);
    const n = s.length;
    let i = 0;
    while (i < n) {
      if ((classOf(s, i) & KEYLIKE) === 0) {
        i++;
        continue;
      }
      const start = i;
      while (i < n && (classOf(s, i) & KEYLIKE) !== 0) i++;
      if (i - start >= minStored && this.hasStoredKey(s, start, i)) return { kind: 'stored_key' };
      if (intoBase64 && i - start >= minBase64) {
        const hit = this.scanBase64(s, start, i, minBase64);
        if (hit) return hit;
      }
    }
    return null;
  }

  /** Tries every sub-token of the run that starts and ends at the run's edges or at a separator. */
  private hasStoredKey(s: string, start: number, end: number): boolean {
    for (let i = start; i < end; i++) {
      if (i !== start && (classOf(s, i - 1) & SEPARATOR) === 0) continue;
      for (const length of this.lengths) {
        const j = i + length;
        if (j > end) break;
        if ((j === end || (classOf(s, j) & SEPARATOR) !== 0) && this.fingerprints.has(this.fingerprint(s.slice(i, j)))) {
          return true;
        }
      }
    }
    return false;
  }

  /** Decodes the run's base64 pieces that could hold a key (long enough, mixed case and digits). */
  private scanBase64(s: string, start: number, end: number, minLength: number): CredentialHit | null {
    let i = start;
    while (i < end) {
      const from = i;
      let seen = 0;
      while (i < end && (classOf(s, i) & BASE64) !== 0) seen |= classOf(s, i++);
      const length = i - from;
      if (length >= minLength && length % 4 !== 1 && (seen & MIXED) === MIXED) {
        const hit = this.scanLayer(Buffer.from(s.slice(from, i), 'base64').toString('latin1'), false);
        if (hit) return hit;
      }
      if (i === from) i++;
    }
    return null;
  }
}
