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
  // '+' stands for a space in form-encoded text.
  ['private_key', String.raw`-----BEGIN[ +](?:[A-Z0-9]{1,20}[ +]){0,3}PRIVATE[ +]KEY(?:[ +]BLOCK)?-----[\s\S]{0,200}?[A-Za-z0-9+/]{40}`],
  ['google_api_key', String.raw`AIza[A-Za-z0-9_-]{35}(?![A-Za-z0-9_-])`],
  ['stripe_key', String.raw`[sr]k_(?:live|test)_[A-Za-z0-9]{20,}`],
  ['openai_key', String.raw`sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{20,}|sk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}`],
  ['anthropic_key', String.raw`sk-ant-[a-z]+\d*-[A-Za-z0-9_-]{20,}`],
  ['npm_token', String.raw`npm_[A-Za-z0-9]{36}(?![A-Za-z0-9])`],
  ['pypi_token', String.raw`pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}`],
  ['huggingface_token', String.raw`hf_[A-Za-z]{34}(?![A-Za-z0-9])`],
  ['sendgrid_key', String.raw`SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}`],
];
// One pass for all formats; the capture group that matched names the kind. The "not glued to a
// preceding word" test is done by hand: as a lookbehind it would double the cost of the pass.
const FORMAT_RE = new RegExp(FORMATS.map(([, re]) => `(${re})`).join('|'), 'g');
// The shortest well-known credential (an AWS key id): a shorter run cannot hold one, even encoded.
const MIN_FORMAT_LENGTH = 20;
// Shorter stored keys are not looked for: fingerprinting every short token would be slow, and no real key is that short.
const MIN_STORED_KEY_LENGTH = 8;

const KEYLIKE = 1;
const SEPARATOR = 2;
const BASE64 = 4;
const UPPER = 8;
const LOWER = 16;
const DIGIT = 32;
/** '%' and '\': they start escapes, so they extend a run that may be decoded. */
const ESCAPE = 64;
const RUN = KEYLIKE | ESCAPE;
// One entry per UTF-16 code unit, so a lookup is never out of bounds (which V8 would deoptimise).
const CLASS = new Uint8Array(0x10000);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  let bits = 0;
  if (/[A-Za-z0-9_\-.+/=~:]/.test(ch)) bits |= KEYLIKE;
  if (/[.:/=+~]/.test(ch)) bits |= SEPARATOR;
  if (/[A-Za-z0-9+/_-]/.test(ch)) bits |= BASE64;
  if (/[A-Z]/.test(ch)) bits |= UPPER;
  if (/[a-z]/.test(ch)) bits |= LOWER;
  if (/[0-9]/.test(ch)) bits |= DIGIT;
  if (ch === '%' || ch === '\\') bits |= ESCAPE;
  CLASS[c] = bits;
}
/** The class bits of s[i]; i must be inside s. */
const classOf = (s: string, i: number): number => CLASS[s.charCodeAt(i)]!;
const ALPHANUMERIC = UPPER | LOWER | DIGIT;
const MIXED_CASE = UPPER | LOWER;
/** Class bits of a piece not looked at yet: assume it has everything. */
const UNKNOWN = 0xff;

/**
 * Undoes the escapes that hide a key from a plain search: percent-encoding and JSON string escapes.
 * `s` is a run of ASCII token characters and escapes. What decodes to a character no key holds
 * (a control character, a \u escape beyond latin1) becomes a space.
 * Malformed escapes stay as they are.
 */
function unescape(s: string): string {
  const out = Buffer.allocUnsafe(s.length);
  let o = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25) {
      const byte = hexByte(s, i + 1);
      if (byte >= 0) {
        out[o++] = byte;
        i += 2;
        continue;
      }
    } else if (c === 0x5c) {
      const next = s.charCodeAt(i + 1);
      if (next === 0x75) {
        const high = hexByte(s, i + 2);
        const low = hexByte(s, i + 4);
        if (high >= 0 && low >= 0) {
          out[o++] = high === 0 ? low : 0x20;
          i += 5;
          continue;
        }
      } else if (next === 0x2f || next === 0x5c) {
        out[o++] = next;
        i++;
        continue;
      } else if (JSON_CONTROL_ESCAPES.includes(next)) {
        out[o++] = 0x20;
        i++;
        continue;
      }
    }
    out[o++] = c;
  }
  return out.toString('utf8', 0, o);
}
// b f n r t
const JSON_CONTROL_ESCAPES = [0x62, 0x66, 0x6e, 0x72, 0x74];

function hexByte(s: string, at: number): number {
  const high = hexDigit(s.charCodeAt(at));
  const low = hexDigit(s.charCodeAt(at + 1));
  return high < 0 || low < 0 ? -1 : high * 16 + low;
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const lower = c | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
}

// Bodies are read as UTF-8: every ASCII byte stays as it is, and nothing else (invalid sequences
// included) becomes a character a key could hold.
const UTF8 = new TextDecoder();
// Bodies are scanned in pieces cut between tokens: a string of a whole large body costs more to
// make than the scan itself.
const PIECE = 64 * 1024;
// Pieces overlap by more than the longest match that can cross a cut (a private key header and the
// start of its block; everything else is a single token, never cut).
const OVERLAP = 512;

/** The first index at or after `at` that is not inside a token (or the end). */
function tokenBoundary(buf: Buffer, at: number): number {
  let i = Math.min(at, buf.length);
  while (i < buf.length && (CLASS[buf[i]!]! & RUN) !== 0) i++;
  return i;
}

/** How much decoding a piece of text still gets. */
interface Depth {
  unescapes: number;
  base64: boolean;
}
const TOP: Depth = { unescapes: 2, base64: true };
const BASE64_DECODED: Depth = { unescapes: 0, base64: false };

// A keyed rolling hash (Rabin–Karp) of each stored key finds it glued inside a longer token in one
// pass; a hit is confirmed by fingerprint. 26 bits under a secret base: it tells nothing usable about a key.
const P = 67_108_859; // a prime below 2^26, so every product below stays exact in a double

export function rollingHash(base: number, text: string): number {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (h * base + text.charCodeAt(i)) % P;
  return h;
}

/** A rolling-hash base from secret bytes. */
export function rollingBase(secret: Buffer): number {
  return 256 + (secret.readUInt32BE(0) % (P - 256));
}

export interface StoredKey {
  fingerprint: string;
  length: number;
  /** rollingHash of the key; null for keys stored before it was kept (found when they stand alone). */
  rolling: number | null;
}

/**
 * Finds credentials in what the assistant sends. Stored keys are known only by fingerprint and
 * length: the scanner fingerprints just the tokens of a stored key's length, so big bodies stay cheap.
 * It looks at the text as is, unescaped once and twice (percent, JSON), and inside base64/base64url
 * tokens of each (one level). A determined sender can still disguise a key (reversed, hex, split);
 * this catches the plain and the commonly encoded forms. Stored keys are found when they are made of
 * token characters [A-Za-z0-9_-.+/=~:] and stand alone or after/before one of . : / = + ~.
 */
export class CredentialScanner {
  private readonly fingerprint: (token: string) => string;
  private fingerprints = new Set<string>();
  /** Distinct stored-key lengths, ascending. */
  private lengths: number[] = [];

  private readonly base: number;
  /** Rolling hashes of the stored keys by length, with base^(length-1) mod P. */
  private rolling = new Map<number, { hashes: Set<number>; pow: number }>();

  constructor(fingerprint: (token: string) => string, base = 257) {
    this.fingerprint = fingerprint;
    this.base = base;
  }

  rollingHash(key: string): number {
    return rollingHash(this.base, key);
  }

  setStoredKeys(entries: Iterable<StoredKey>): void {
    const fingerprints = new Set<string>();
    const lengths = new Set<number>();
    const rolling = new Map<number, { hashes: Set<number>; pow: number }>();
    for (const { fingerprint, length, rolling: hash } of entries) {
      if (length < MIN_STORED_KEY_LENGTH) continue;
      fingerprints.add(fingerprint);
      lengths.add(length);
      if (hash === null) continue;
      let r = rolling.get(length);
      if (!r) {
        let pow = 1;
        for (let i = 1; i < length; i++) pow = (pow * this.base) % P;
        rolling.set(length, (r = { hashes: new Set(), pow }));
      }
      r.hashes.add(hash);
    }
    this.fingerprints = fingerprints;
    this.lengths = [...lengths].sort((a, b) => a - b);
    this.rolling = rolling;
  }

  scan(text: string): CredentialHit | null {
    return this.scanText(text, TOP);
  }

  scanBytes(buf: Buffer): CredentialHit | null {
    for (let from = 0; from < buf.length;) {
      const to = tokenBoundary(buf, from + PIECE);
      const hit = this.scanText(UTF8.decode(buf.subarray(from, tokenBoundary(buf, to + OVERLAP))), TOP);
      if (hit) return hit;
      from = to;
    }
    return null;
  }

  private scanText(s: string, depth: Depth): CredentialHit | null {
    const kind = findFormat(s);
    if (kind) return { kind };
    const minKey = Math.min(this.lengths[0] ?? Infinity, MIN_FORMAT_LENGTH);
    const n = s.length;
    let i = 0;
    while (i < n) {
      if ((classOf(s, i) & RUN) === 0) {
        i++;
        continue;
      }
      // A run of token characters and escapes; shorter than any key, it cannot hold one even encoded.
      const start = i;
      let seen = 0;
      for (let bits = classOf(s, i); (bits & RUN) !== 0; bits = ++i < n ? classOf(s, i) : 0) seen |= bits;
      if (i - start < minKey) continue;
      const hit = (seen & ESCAPE) === 0
        ? this.scanToken(s, start, i, depth, seen)
        : this.scanEscaped(s, start, i, depth);
      if (hit) return hit;
    }
    return null;
  }

  /**
   * A run with escapes: its pieces between escapes (a literal '%' before a key must not hide it),
   * then the run decoded, while decoding is left.
   */
  private scanEscaped(s: string, start: number, end: number, depth: Depth): CredentialHit | null {
    let i = start;
    while (i < end) {
      const from = i;
      while (i < end && (classOf(s, i) & ESCAPE) === 0) i++;
      const hit = i > from ? this.scanToken(s, from, i, depth, UNKNOWN) : null;
      if (hit) return hit;
      i++;
    }
    if (depth.unescapes === 0) return null;
    const raw = s.slice(start, end);
    const decoded = unescape(raw);
    return decoded === raw ? null : this.scanText(decoded, { unescapes: depth.unescapes - 1, base64: depth.base64 });
  }

  /** One maximal run of token characters; `seen` has the class bits of its characters, or more. */
  private scanToken(s: string, start: number, end: number, depth: Depth, seen: number): CredentialHit | null {
    if (end - start >= (this.lengths[0] ?? Infinity) && this.hasStoredKey(s, start, end, seen)) return { kind: 'stored_key' };
    // Base64 of a key has upper and lower case: hex digests and UUIDs are skipped.
    return depth.base64 && (seen & MIXED_CASE) === MIXED_CASE ? this.scanBase64(s, start, end) : null;
  }

  /**
   * Every window of a stored key's length, by rolling hash (keys glued to other text too); keys
   * without one: every sub-token that starts and ends at the token's edges or at a separator.
   */
  private hasStoredKey(s: string, start: number, end: number, seen: number): boolean {
    if (this.hasRollingMatch(s, start, end)) return true;
    if ((seen & SEPARATOR) === 0) {
      return this.lengths.includes(end - start) && this.fingerprints.has(this.fingerprint(s.slice(start, end)));
    }
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

  private hasRollingMatch(s: string, start: number, end: number): boolean {
    const b = this.base;
    for (const [length, { hashes, pow }] of this.rolling) {
      if (end - start < length) continue;
      let h = 0;
      for (let j = start; j < start + length; j++) h = (h * b + s.charCodeAt(j)) % P;
      for (let i = start; ; i++) {
        if (hashes.has(h) && this.fingerprints.has(this.fingerprint(s.slice(i, i + length)))) return true;
        if (i + length >= end) break;
        h = (((h - ((s.charCodeAt(i) * pow) % P) + P) * b) + s.charCodeAt(i + length)) % P;
      }
    }
    return false;
  }

  /** Decodes the token's base64 pieces that could hold a key: long enough, with upper and lower case. */
  private scanBase64(s: string, start: number, end: number): CredentialHit | null {
    const minLength = Math.ceil((Math.min(this.lengths[0] ?? Infinity, MIN_FORMAT_LENGTH) * 4) / 3);
    if (end - start < minLength) return null;
    let i = start;
    while (i < end) {
      const from = i;
      let seen = 0;
      while (i < end && (classOf(s, i) & BASE64) !== 0) seen |= classOf(s, i++);
      const length = i - from;
      if (length >= minLength && length % 4 !== 1 && (seen & MIXED_CASE) === MIXED_CASE) {
        const hit = this.scanText(Buffer.from(s.slice(from, i), 'base64').toString('utf8'), BASE64_DECODED);
        if (hit) return hit;
      }
      if (i === from) i++;
    }
    return null;
  }
}

function findFormat(s: string): CredentialKind | null {
  FORMAT_RE.lastIndex = 0;
  for (let m = FORMAT_RE.exec(s); m !== null; m = FORMAT_RE.exec(s)) {
    const glued = m.index > 0 && (classOf(s, m.index) & ALPHANUMERIC) !== 0 && (classOf(s, m.index - 1) & ALPHANUMERIC) !== 0;
    if (glued) {
      FORMAT_RE.lastIndex = m.index + 1;
      continue;
    }
    return FORMATS[m.findIndex((g, i) => i > 0 && g !== undefined) - 1]![0];
  }
  return null;
}
