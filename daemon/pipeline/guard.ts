// Step "guard the request": what of the assistant's request may go upstream, and a scan that
// refuses requests carrying a credential (a stored key, matched by fingerprint, or a well-known format).
import { compileRules, type CredentialMatcher } from '../credentials/matcher.ts';
import { loadRules } from '../credentials/rules.ts';
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

/** What was found; never the credential itself, so it is safe in messages and logs. */
export type CredentialHit = { kind: 'stored_key' } | { kind: 'format'; rule: string; title: string };

let shippedRules: CredentialMatcher | undefined;
/** The rules of daemon/credentials/rules.json, compiled once per process, on first use. */
function defaultRules(): CredentialMatcher {
  return (shippedRules ??= compileRules(loadRules()));
}

// Shorter stored keys are not looked for: fingerprinting every short token would be slow, and no real key is that short.
const MIN_STORED_KEY_LENGTH = 8;

// The scanner reads bytes: a string is looked at as its UTF-8, a body as it came. ASCII is itself,
// and no other byte is a character a credential holds. (The rules' patterns see a latin1 string of
// the same bytes, so that positions agree.)
const KEYLIKE = 1;
const SEPARATOR = 2;
/** '%' and '\': they start escapes, so they extend a run that may be decoded. */
const ESCAPE = 4;
const UPPER = 8;
const LOWER = 16;
/** Printable ASCII, tab, CR and LF: what a credential and the text around it are made of. */
const TEXT = 32;
const BASE64 = 64;
/** Token characters and escapes base64 and base64url do not use: a run without them is all base64. */
const NOT_BASE64 = 128;
/** A run: token characters and escapes. */
const RUN = KEYLIKE | ESCAPE;
const MIXED_CASE = UPPER | LOWER;
const CLASS = new Uint8Array(256);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  let bits = 0;
  if (/[A-Za-z0-9_\-.+/=~:]/.test(ch)) bits |= KEYLIKE;
  if (/[.:/=+~]/.test(ch)) bits |= SEPARATOR;
  if (ch === '%' || ch === '\\') bits |= ESCAPE;
  if (/[A-Z]/.test(ch)) bits |= UPPER;
  if (/[a-z]/.test(ch)) bits |= LOWER;
  if (/[\t\n\r\x20-\x7e]/.test(ch)) bits |= TEXT;
  if (/[A-Za-z0-9+/_-]/.test(ch)) bits |= BASE64;
  if ((bits & (KEYLIKE | ESCAPE)) !== 0 && (bits & BASE64) === 0) bits |= NOT_BASE64;
  CLASS[c] = bits;
}

/** The class bits of bytes[from, to), ORed. */
function classesOf(bytes: Buffer, from: number, to: number): number {
  let seen = 0;
  for (let i = from; i < to; i++) seen |= CLASS[bytes[i]!]!;
  return seen;
}

/**
 * Undoes the escapes that hide a credential from a plain search in bytes[from, to): JSON string
 * escapes, and percent-encoding unless `percent` is false. A \u escape beyond latin1 becomes a
 * space. Malformed escapes stay as they are.
 */
function unescape(bytes: Buffer, from: number, to: number, percent = true): Buffer {
  const out = Buffer.allocUnsafe(to - from);
  let o = 0;
  for (let i = from; i < to; i++) {
    const c = bytes[i]!;
    if (c === 0x25 && percent) {
      const byte = hexByte(bytes, i + 1, to);
      if (byte >= 0) {
        out[o++] = byte;
        i += 2;
        continue;
      }
    } else if (c === 0x5c && i + 1 < to) {
      const next = bytes[i + 1]!;
      if (next === 0x75) {
        const high = hexByte(bytes, i + 2, to);
        const low = hexByte(bytes, i + 4, to);
        if (high >= 0 && low >= 0) {
          out[o++] = high === 0 ? low : 0x20;
          i += 5;
          continue;
        }
      } else if (JSON_ESCAPES[next] !== 0) {
        out[o++] = JSON_ESCAPES[next]!;
        i++;
        continue;
      }
    }
    out[o++] = c;
  }
  return out.subarray(0, o);
}
/** The byte each JSON escape but \u stands for: \" \/ \\ \b \f \n \r \t (0: no such escape). */
const JSON_ESCAPES = new Uint8Array(256);
for (const [c, byte] of [['"', 0x22], ['/', 0x2f], ['\\', 0x5c], ['b', 0x08], ['f', 0x0c], ['n', 0x0a], ['r', 0x0d], ['t', 0x09]] as const) {
  JSON_ESCAPES[c.charCodeAt(0)] = byte;
}

/**
 * A window of text (latin1, one character per byte) around a keyword, one layer of escapes undone:
 * JSON's if it has any, else percent-encoding. A credential JSON-escaped in a body gets back its
 * quotes and line breaks, which its rule's pattern may need, and keeps a literal %2B of its own.
 */
function unescapeWindow(window: string): string {
  const json = window.includes('\\');
  if (!json && !window.includes('%')) return window;
  const bytes = Buffer.from(window, 'latin1');
  return unescape(bytes, 0, bytes.length, !json).toString('latin1');
}

/** The byte written as two hex digits at bytes[at], before `to`; -1 if there are none. */
function hexByte(bytes: Buffer, at: number, to: number): number {
  if (at + 1 >= to) return -1;
  const high = hexDigit(bytes[at]!);
  const low = hexDigit(bytes[at + 1]!);
  return high < 0 || low < 0 ? -1 : high * 16 + low;
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const lower = c | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
}

// What each base64 or base64url character stands for (-1: none).
const SEXTET = new Int8Array(256).fill(-1);
[...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'].forEach((c, i) => (SEXTET[c.charCodeAt(0)] = i));
SEXTET[0x2d] = 62; // '-'
SEXTET[0x5f] = 63; // '_'

/**
 * Byte `at` of what the base64 in bytes from `from` on decodes to, as Node.js decodes it (both
 * alphabets): byte 3g + r comes from characters 4g + r and 4g + r + 1.
 */
function base64Byte(bytes: Buffer, from: number, at: number): number {
  const group = (at / 3) | 0;
  const r = at - 3 * group;
  const i = from + 4 * group + r;
  const high = SEXTET[bytes[i]!]!;
  const low = SEXTET[bytes[i + 1]!]!;
  return r === 0 ? ((high << 2) | (low >> 4)) & 0xff : r === 1 ? ((high << 4) | (low >> 2)) & 0xff : ((high << 6) | low) & 0xff;
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
const INVERSE_P = 1 / P;

export function rollingHash(base: number, text: string): number {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (h * base + text.charCodeAt(i)) % P;
  return h;
}

/** A rolling-hash base from secret bytes. */
export function rollingBase(secret: Buffer): number {
  return 256 + (secret.readUInt32BE(0) % (P - 256));
}

/**
 * x mod P, nearly, for an integer |x| < 2^53 and without `%` (a slow call for doubles): x minus a
 * multiple of P, in [−P, 2P) as the quotient of a float division can be off by one.
 */
function reduceP(x: number): number {
  return x - Math.floor(x * INVERSE_P) * P;
}

/** x mod P, exactly, in [0, P). */
function modP(x: number): number {
  const r = reduceP(x);
  return r < 0 ? r + P : r >= P ? r - P : r;
}

/** The stored keys of one length that have a rolling hash. */
interface KeysOfLength {
  length: number;
  hashes: Set<number>;
  /** For each byte c: c × base^(length−1) mod P, what c adds to a window's hash as its first byte. */
  first: Float64Array;
}

/**
 * Rolling hashes are filtered by their low 16 bits before the exact test. The filter holds each
 * stored hash as all the values reduceP can give for it (h − P, h, h + P), so rolling needs no
 * exact reduction.
 */
const FILTER_MASK = 0xffff;

export interface ScannerOptions {
  /** The rolling-hash base (rollingBase of a secret); what the stored keys' rolling hashes were made with. */
  rollingBase?: number;
  /** The credential formats (compileRules); default: the shipped rules. */
  rules?: CredentialMatcher;
}

/**
 * Finds credentials in what the assistant sends: stored keys (known only by fingerprint and length;
 * the scanner fingerprints just the tokens of a stored key's length, so big bodies stay cheap) and,
 * unless asked for stored keys only, the well-known formats of the credential rules.
 * It looks at the text as is, unescaped once and twice (percent, JSON), and inside base64/base64url
 * tokens of each (one level); a rule's pattern also sees the text around its keyword unescaped, so a
 * credential JSON-escaped in a body has its quotes back. A determined sender can still disguise a key (reversed, hex, split);
 * this catches the plain and the commonly encoded forms. Stored keys are found when they are made of
 * token characters [A-Za-z0-9_-.+/=~:] and stand alone or after/before one of . : / = + ~.
 */
export class CredentialScanner {
  private readonly fingerprint: (token: string) => string;
  private readonly rules: CredentialMatcher;
  private fingerprints = new Set<string>();
  /** The shortest stored key (Infinity: none): a shorter run of token characters holds none. */
  private shortestKey = Infinity;
  /** Lengths of the keys stored without a rolling hash, ascending: found where they stand alone. */
  private legacyLengths: number[] = [];

  private readonly base: number;
  private rolling: KeysOfLength[] = [];
  private rollingFilter = new Uint8Array(FILTER_MASK + 1);

  constructor(fingerprint: (token: string) => string, options: ScannerOptions = {}) {
    this.fingerprint = fingerprint;
    this.base = options.rollingBase ?? 257;
    this.rules = options.rules ?? defaultRules();
  }

  rollingHash(key: string): number {
    return rollingHash(this.base, key);
  }

  setStoredKeys(entries: Iterable<StoredKey>): void {
    const fingerprints = new Set<string>();
    const legacy = new Set<number>();
    const rolling = new Map<number, KeysOfLength>();
    const filter = new Uint8Array(FILTER_MASK + 1);
    for (const { fingerprint, length, rolling: hash } of entries) {
      if (length < MIN_STORED_KEY_LENGTH) continue;
      fingerprints.add(fingerprint);
      if (hash === null) {
        legacy.add(length);
        continue;
      }
      let keys = rolling.get(length);
      if (!keys) {
        let pow = 1;
        for (let i = 1; i < length; i++) pow = modP(pow * this.base);
        const first = Float64Array.from({ length: 256 }, (_, c) => modP(c * pow));
        rolling.set(length, (keys = { length, hashes: new Set(), first }));
      }
      keys.hashes.add(hash);
      for (const h of [hash - P, hash, hash + P]) filter[h & FILTER_MASK] = 1;
    }
    this.fingerprints = fingerprints;
    this.legacyLengths = [...legacy].sort((a, b) => a - b);
    this.rolling = [...rolling.values()];
    this.rollingFilter = filter;
    this.shortestKey = Math.min(...legacy, ...rolling.keys());
  }

  /** The first credential in `text`; with `formats` false, stored keys only. */
  scan(text: string, formats = true): CredentialHit | null {
    return this.scanText(Buffer.from(text, 'utf8'), TOP, formats);
  }

  /** The first credential in a body; with `formats` false, stored keys only. */
  scanBytes(buf: Buffer, formats = true): CredentialHit | null {
    return this.scanText(buf, TOP, formats);
  }

  private scanText(bytes: Buffer, depth: Depth, formats: boolean): CredentialHit | null {
    if (formats) {
      const found = this.rules.find(bytes, unescapeWindow);
      if (found) return { kind: 'format', rule: found.rule.id, title: found.rule.title };
    }
    const shortest = this.shortestRun(depth, formats);
    const n = bytes.length;
    // Runs that long are found Boyer–Moore style: a stretch of `shortest` bytes is read from its end,
    // and at the first one outside a run the stretch moves past it, so most bytes are never read.
    // `i` always follows a byte outside a run.
    for (let i = 0; ;) {
      let j = i + shortest - 1;
      let seen = 0;
      // No call, so V8 compiles it tight.
      while (j < n) {
        let k = j;
        seen = 0;
        for (; k >= i; k--) {
          const bits = CLASS[bytes[k]!]!;
          if ((bits & RUN) === 0) break;
          seen |= bits;
        }
        if (k < i) break;
        i = k + 1;
        j = i + shortest - 1;
      }
      if (j >= n) return null;
      let end = j + 1;
      for (; end < n; end++) {
        const bits = CLASS[bytes[end]!]!;
        if ((bits & RUN) === 0) break;
        seen |= bits;
      }
      const hit = (seen & ESCAPE) !== 0
        ? this.scanEscaped(bytes, i, end, depth, formats)
        : this.scanToken(bytes, i, end, seen, depth, formats);
      if (hit) return hit;
      i = end + 1;
    }
  }

  /** The shortest text that can hold what is looked for (Infinity: nothing is). */
  private shortest(formats: boolean): number {
    return formats ? Math.min(this.shortestKey, this.rules.minLength) : this.shortestKey;
  }

  /**
   * The shortest run of token characters and escapes worth a look at this depth: one that holds a
   * stored key, or the base64 of the shortest text, or escapes that decode (each to one byte from
   * two or more) into the shortest text. (Formats outside runs are the rules' to find, in all the text.)
   */
  private shortestRun(depth: Depth, formats: boolean): number {
    const shortest = this.shortest(formats);
    return Math.min(
      this.shortestKey,
      depth.base64 ? Math.ceil((shortest * 4) / 3) : Infinity,
      depth.unescapes > 0 ? shortest + 1 : Infinity,
    );
  }

  /**
   * A run with escapes: its pieces between escapes (a literal '%' before a key must not hide it),
   * then the run decoded, while decoding is left.
   */
  private scanEscaped(bytes: Buffer, start: number, end: number, depth: Depth, formats: boolean): CredentialHit | null {
    for (let i = start; i < end; i++) {
      const from = i;
      while (i < end && (CLASS[bytes[i]!]! & ESCAPE) === 0) i++;
      const hit = i > from ? this.scanToken(bytes, from, i, classesOf(bytes, from, i), depth, formats) : null;
      if (hit) return hit;
    }
    if (depth.unescapes === 0) return null;
    const decoded = unescape(bytes, start, end);
    // Nothing decoded: the same bytes, already scanned.
    return decoded.length === end - start ? null : this.scanText(decoded, { unescapes: depth.unescapes - 1, base64: depth.base64 }, formats);
  }

  /** One maximal run of token characters; `seen` has the class bits of its bytes. */
  private scanToken(bytes: Buffer, start: number, end: number, seen: number, depth: Depth, formats: boolean): CredentialHit | null {
    if (end - start >= this.shortestKey && this.hasStoredKey(bytes, start, end, seen)) return { kind: 'stored_key' };
    // Base64 of a credential has upper and lower case: hex digests and UUIDs are skipped.
    return depth.base64 && (seen & MIXED_CASE) === MIXED_CASE ? this.scanBase64(bytes, start, end, seen, formats) : null;
  }

  /**
   * Every window of a stored key's length, by rolling hash (keys glued to other text too); keys
   * without one: every sub-token that starts and ends at the token's edges or at a separator.
   */
  private hasStoredKey(bytes: Buffer, start: number, end: number, seen: number): boolean {
    const isStored = (at: number, length: number): boolean => this.fingerprints.has(this.fingerprint(bytes.toString('latin1', at, at + length)));
    for (const keys of this.rolling) {
      if (rollingWindows(bytes, start, end, keys, this.base, this.rollingFilter, (hash, at) => keys.hashes.has(hash) && isStored(at, keys.length))) {
        return true;
      }
    }
    if (this.legacyLengths.length === 0) return false;
    if ((seen & SEPARATOR) === 0) return this.legacyLengths.includes(end - start) && isStored(start, end - start);
    for (let i = start; i < end; i++) {
      if (i !== start && (CLASS[bytes[i - 1]!]! & SEPARATOR) === 0) continue;
      for (const length of this.legacyLengths) {
        const j = i + length;
        if (j > end) break;
        if ((j === end || (CLASS[bytes[j]!]! & SEPARATOR) !== 0) && isStored(i, length)) return true;
      }
    }
    return false;
  }

  /** Decodes the token's base64 pieces; `seen` has the class bits of its bytes. */
  private scanBase64(bytes: Buffer, start: number, end: number, seen: number, formats: boolean): CredentialHit | null {
    // A token of base64 characters alone is one piece: no need to read it for where pieces end.
    if ((seen & NOT_BASE64) === 0) return this.scanBase64Piece(bytes, start, end, seen, formats);
    const minLength = Math.ceil((this.shortest(formats) * 4) / 3);
    for (let i = start; end - i >= minLength; i++) {
      const from = i;
      let pieceSeen = 0;
      for (; i < end; i++) {
        const bits = CLASS[bytes[i]!]!;
        if ((bits & BASE64) === 0) break;
        pieceSeen |= bits;
      }
      const hit = this.scanBase64Piece(bytes, from, i, pieceSeen, formats);
      if (hit) return hit;
    }
    return null;
  }

  /**
   * A piece of base64 that could hold a credential (long enough, with upper and lower case),
   * decoded: only its stretches of text (printable ASCII, tab, CR, LF) long enough to hold one,
   * found by decoding every `shortest`th byte, so that an image costs a glance rather than a scan.
   */
  private scanBase64Piece(bytes: Buffer, from: number, to: number, seen: number, formats: boolean): CredentialHit | null {
    const shortest = this.shortest(formats);
    const length = to - from;
    if (length < Math.ceil((shortest * 4) / 3) || length % 4 === 1 || (seen & MIXED_CASE) !== MIXED_CASE) return null;
    const n = Math.floor((length * 3) / 4);
    const isText = (at: number): boolean => (CLASS[base64Byte(bytes, from, at)]! & TEXT) !== 0;
    for (let probe = shortest - 1; probe < n; probe += shortest) {
      if (!isText(probe)) continue;
      let start = probe;
      while (start > 0 && isText(start - 1)) start--;
      let end = probe;
      while (end < n && isText(end)) end++;
      if (end - start >= shortest) {
        const text = Buffer.allocUnsafe(end - start);
        for (let at = start; at < end; at++) text[at - start] = base64Byte(bytes, from, at);
        const hit = this.scanText(text, BASE64_DECODED, formats);
        if (hit) return hit;
      }
      probe = end;
    }
    return null;
  }
}

const CHAINED_WINDOWS = 128;

/**
 * Rolls a window of `keys.length` bytes over bytes[from, to), calling `isKey(hash, at)` where the
 * filter lets a window's hash through, until it says yes. Each window's hash is made from the one
 * before it, a chain of multiplications that each wait for the last: four chains at once, each
 * over a quarter of the windows, run about four times as fast as one. (Fewer windows than
 * CHAINED_WINDOWS go in one chain: the three more first windows to hash would cost more than the
 * chains save.)
 */
function rollingWindows(
  bytes: Buffer, from: number, to: number, keys: KeysOfLength, base: number, filter: Uint8Array,
  isKey: (hash: number, at: number) => boolean,
): boolean {
  const { length, first } = keys;
  const windows = to - from - length + 1;
  if (windows <= 0) return false;
  const check = (h: number, at: number): boolean => filter[h & FILTER_MASK] !== 0 && isKey(modP(h), at);
  const q = windows >= CHAINED_WINDOWS ? windows >> 2 : 0;
  let d = from + 3 * q;
  let hd = windowHash(bytes, d, length, base);
  if (q > 0) {
    let a = from;
    let b = from + q;
    let c = from + 2 * q;
    let ha = windowHash(bytes, a, length, base);
    let hb = windowHash(bytes, b, length, base);
    let hc = windowHash(bytes, c, length, base);
    for (let k = 1; ;) {
      if ((filter[ha & FILTER_MASK]! | filter[hb & FILTER_MASK]! | filter[hc & FILTER_MASK]! | filter[hd & FILTER_MASK]!) !== 0
        && (check(ha, a) || check(hb, b) || check(hc, c) || check(hd, d))) {
        return true;
      }
      if (k === q) break;
      // Each window from the one before, its first byte out and the next one in; on until a hash
      // passes the filter. No call V8 cannot inline, so it compiles tight.
      do {
        ha = reduceP((ha - first[bytes[a]!]!) * base + bytes[a + length]!);
        hb = reduceP((hb - first[bytes[b]!]!) * base + bytes[b + length]!);
        hc = reduceP((hc - first[bytes[c]!]!) * base + bytes[c + length]!);
        hd = reduceP((hd - first[bytes[d]!]!) * base + bytes[d + length]!);
        a++;
        b++;
        c++;
        d++;
        k++;
      } while (k < q && (filter[ha & FILTER_MASK]! | filter[hb & FILTER_MASK]! | filter[hc & FILTER_MASK]! | filter[hd & FILTER_MASK]!) === 0);
    }
  } else if (check(hd, d)) {
    return true;
  }
  // The last chain goes on over the windows left.
  for (const last = from + windows - 1; d < last;) {
    hd = reduceP((hd - first[bytes[d]!]!) * base + bytes[d + length]!);
    if (check(hd, ++d)) return true;
  }
  return false;
}

/** The rolling hash of bytes[at, at + length), reduced as rolling reduces it. */
function windowHash(bytes: Buffer, at: number, length: number, base: number): number {
  let h = 0;
  for (let i = at; i < at + length; i++) h = reduceP(h * base + bytes[i]!);
  return h;
}

export interface StoredKey {
  fingerprint: string;
  length: number;
  /** rollingHash of the key; null for keys stored before it was kept (found when they stand alone). */
  rolling: number | null;
}
