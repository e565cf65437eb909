import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CredentialScanner, stripQueryParam, upstreamHeaders } from '../../../daemon/pipeline/guard.ts';
import { codeOf } from '../../helpers/thrown.ts';

const fingerprint = (t: string): string => createHmac('sha256', 'k').update(t).digest('hex');


describe('upstreamHeaders', () => {
  it('keeps ordinary headers, lower-cased, and forces accept-encoding: identity', () => {
    expect(upstreamHeaders({
      Accept: 'application/json',
      'Content-Type': 'application/json',
      'user-agent': 'assistant/1.0',
      'x-request-id': 'abc',
      'accept-encoding': 'gzip, br',
    }, 'X-Subscription-Token')).toEqual({
      accept: 'application/json',
      'content-type': 'application/json',
      'user-agent': 'assistant/1.0',
      'x-request-id': 'abc',
      'accept-encoding': 'identity',
    });
  });

  it.each([
    'authorization', 'Authorization', 'proxy-authorization', 'proxy-connection', 'Proxy-Anything',
    'cookie', 'cookie2', 'host', 'forwarded', 'x-forwarded-for', 'X-Forwarded-Host', 'x-forwarded-proto',
    'x-real-ip', 'via', 'connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade',
    'content-length', 'expect', 'tollgate-purpose', 'Tollgate-Anything',
    'x-http-method-override', 'x-original-url', 'x-rewrite-url',
  ])('drops %s', (name) => {
    const out = upstreamHeaders({ [name]: 'chunked', accept: '*/*' }, null);
    expect(Object.keys(out).sort()).toEqual(['accept', 'accept-encoding']);
  });

  it('drops the integration auth header, whatever its case', () => {
    const out = upstreamHeaders({ 'x-subscription-token': 'mine', 'X-API-KEY': 'mine', accept: '*/*' }, 'X-Subscription-Token');
    expect(out['x-subscription-token']).toBeUndefined();
    expect(out['x-api-key']).toBe('mine');
    expect(upstreamHeaders({ 'X-API-KEY': 'mine' }, 'x-api-key')['x-api-key']).toBeUndefined();
  });

  it('drops headers named in Connection', () => {
    const out = upstreamHeaders({ connection: 'keep-alive, X-Secret-Hop ,x-other', 'x-secret-hop': '1', 'x-other': '2', 'x-kept': '3' }, null);
    expect(out).toEqual({ 'x-kept': '3', 'accept-encoding': 'identity' });
  });

  it('joins multi-valued headers with a comma', () => {
    expect(upstreamHeaders({ 'x-tag': ['a', 'b'], 'X-Tag': 'c', accept: [] }, null)).toEqual({ 'x-tag': 'a, b, c', 'accept-encoding': 'identity' });
  });

  it('keeps a header named __proto__ as a plain key', () => {
    const out = upstreamHeaders({ ['__proto__']: 'x' }, null);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toContain('__proto__');
  });

  it.each([
    ['CR', { 'x-a': 'a\rb' }],
    ['LF', { 'x-a': 'a\nX-Injected: 1' }],
    ['NUL', { 'x-a': 'a\u0000b' }],
    ['CR in one of several values', { 'x-a': ['ok', 'bad\r\n'] }],
    ['a header name that is not a token', { 'x a': 'v' }],
    ['a compressed body', { 'content-encoding': 'gzip' }],
    ['a compressing transfer coding', { 'transfer-encoding': 'gzip, chunked' }],
  ])('refuses %s', (_, headers) => {
    expect(codeOf(() => upstreamHeaders(headers, null))).toBe('bad_request');
  });

  it('accepts an identity content-encoding and a chunked body', () => {
    expect(upstreamHeaders({ 'content-encoding': 'identity', 'transfer-encoding': 'chunked' }, null)).toEqual({
      'content-encoding': 'identity',
      'accept-encoding': 'identity',
    });
  });
});

describe('stripQueryParam', () => {
  it.each([
    ['q=pizza&api_key=x&count=5', 'q=pizza&count=5'],
    ['api_key=x', ''],
    ['api_key=1&api_key=2&q=a', 'q=a'],
    ['q=a&api%5Fkey=x', 'q=a'],
    ['q=a&%61%70%69%5f%6b%65%79=x', 'q=a'],
    ['q=a&api_key', 'q=a'],
    ['q=a&api_key=', 'q=a'],
    ['q=a&API_KEY=x&api_keys=y&xapi_key=z', 'q=a&API_KEY=x&api_keys=y&xapi_key=z'],
    ['q=api_key%3Dx&b=%20', 'q=api_key%3Dx&b=%20'],
    ['', ''],
    ['q=a&&b=%zz', 'q=a&&b=%zz'],
  ])('%s → %s', (query, expected) => {
    expect(stripQueryParam(query, 'api_key')).toBe(expected);
  });
});

// Test credentials are assembled at run time so no literal key sits in the repository.
const PLAIN_KEY = ['BSA', 'k3f9Qm2xP7vL0wZ8rT4yN6cH1jD5sG0aE2bR9'].join(''); // 40
const SYMBOL_KEY = ['Xq7P+zR2/mK9', 'vL4wN8bT3cY6hJ1dF5sG0a=='].join(''); // 36
const KEY_SCANNER = new CredentialScanner(fingerprint);
KEY_SCANNER.setStoredKeys([PLAIN_KEY, SYMBOL_KEY].map((k) => ({ fingerprint: fingerprint(k), length: k.length, rolling: KEY_SCANNER.rollingHash(k) })));

const pctAll = (s: string): string => [...Buffer.from(s)].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
const b64 = (s: string): string => Buffer.from(s).toString('base64');
const b64url = (s: string): string => Buffer.from(s).toString('base64url');

describe('CredentialScanner: stored keys', () => {
  const forms: [string, (k: string) => string][] = [
    ['raw', (k) => k],
    ['in a JSON body', (k) => JSON.stringify({ query: 'weather', token: k })],
    ['in a query', (k) => `q=weather&key=${encodeURIComponent(k)}&count=5`],
    ['in a path', (k) => `/v1/items/${k}/details`],
    ['after key=', (k) => `key=${k}`],
    ['after Bearer.', (k) => `Bearer.${k}`],
    ['after token:', (k) => `token:${k}`],
    ['in a purpose sentence', (k) => `Looking up docs for ${k} please`],
    ['URL-encoded', (k) => encodeURIComponent(`key=${k}`)],
    ['URL-encoded byte by byte', (k) => pctAll(k)],
    ['double URL-encoded', (k) => encodeURIComponent(encodeURIComponent(`key=${k}`))],
    ['double URL-encoded byte by byte', (k) => encodeURIComponent(pctAll(k))],
    ['after a literal %', (k) => `100%${k}`],
    ['JSON \\u-escaped', (k) => `{"t":"${[...k].map((c) => `\\u00${c.charCodeAt(0).toString(16)}`).join('')}"}`],
    ['after an escaped newline in JSON', (k) => JSON.stringify({ text: `config:\n${k}\n` })],
    ['base64', (k) => b64(k)],
    ['base64 of key=…', (k) => `data=${b64(`key=${k}`)}`],
    ['base64 in Basic auth', (k) => `Basic ${b64(`user:${k}`)}`],
    ['base64 of JSON', (k) => b64(JSON.stringify({ apiKey: k }))],
    ['base64url', (k) => b64url(`{"k":"${k}"}`)],
    ['base64url of the key alone', (k) => b64url(k)],
    ['URL-encoded base64', (k) => `blob=${encodeURIComponent(b64(`key=${k}`))}`],
  ];

  for (const [key, name] of [[PLAIN_KEY, 'plain key'], [SYMBOL_KEY, 'key with + / =']] as const) {
    it.each(forms)(`finds a ${name} %s`, (_, form) => {
      expect(KEY_SCANNER.scan(form(key))).toEqual({ kind: 'stored_key' });
      expect(KEY_SCANNER.scanBytes(Buffer.from(form(key)))).toEqual({ kind: 'stored_key' });
    });
  }

  it('finds a key next to non-ASCII bytes in a body', () => {
    const body = Buffer.concat([Buffer.from([0xe2, 0x82]), Buffer.from(PLAIN_KEY), Buffer.from([0xc0, 0xff])]);
    expect(KEY_SCANNER.scanBytes(body)).toEqual({ kind: 'stored_key' });
  });

  it('does not flag a near miss', () => {
    const changed = PLAIN_KEY.slice(0, -1) + (PLAIN_KEY.endsWith('9') ? '8' : '9');
    expect(KEY_SCANNER.scan(`key=${changed}`)).toBeNull();
    // Glued to other token characters: found by the key's rolling hash...
    expect(KEY_SCANNER.scan(`x${PLAIN_KEY}`)).toEqual({ kind: 'stored_key' });
    expect(KEY_SCANNER.scan(`check${PLAIN_KEY}now`)).toEqual({ kind: 'stored_key' });
    // ...and only by it: a key stored without one is found standing alone only.
    const legacy = new CredentialScanner(fingerprint);
    legacy.setStoredKeys([{ fingerprint: fingerprint(PLAIN_KEY), length: PLAIN_KEY.length, rolling: null }]);
    expect(legacy.scan(`x${PLAIN_KEY}`)).toBeNull();
    expect(legacy.scan(`x ${PLAIN_KEY}`)).toEqual({ kind: 'stored_key' });
  });

  it('forgets keys that setStoredKeys no longer lists', () => {
    const scanner = new CredentialScanner(fingerprint);
    scanner.setStoredKeys([{ fingerprint: fingerprint(PLAIN_KEY), length: PLAIN_KEY.length, rolling: null }]);
    expect(scanner.scan(PLAIN_KEY)).toEqual({ kind: 'stored_key' });
    scanner.setStoredKeys([]);
    expect(scanner.scan(PLAIN_KEY)).toBeNull();
  });

  it('fingerprints only tokens of a stored key length', () => {
    const seen: string[] = [];
    const scanner = new CredentialScanner((t) => {
      seen.push(t);
      return fingerprint(t);
    });
    scanner.setStoredKeys([{ fingerprint: fingerprint(PLAIN_KEY), length: PLAIN_KEY.length, rolling: null }]);
    scanner.scan(`q=${'a'.repeat(40)}&n=${'b'.repeat(39)}&m=${'c'.repeat(41)} ${'d'.repeat(12)}`);
    expect(seen).toEqual(['a'.repeat(40)]);
  });
});

// Well-known formats (rule ids of daemon/credentials/rules.json), assembled so that no literal
// credential sits in the repository. None is a documentation placeholder the rules allow.
const FORMAT_EXAMPLES: [string, string][] = [
  ['aws-access-key-id', 'AKIA' + 'Q3ZK7P2RWX5TNBM4'],
  ['aws-access-key-id', 'ASIA' + 'Y34FZKBOKMUTVV7A'],
  ['github-pat', 'ghp_' + 'aB3'.repeat(12)],
  ['github-oauth-token', 'gho_' + 'Zx9'.repeat(12)],
  ['github-fine-grained-pat', 'github_pat_' + '11AB'.repeat(6) + '_' + 'x9Y'.repeat(20)],
  ['gitlab-pat', 'glpat-' + 'a1B2'.repeat(5)],
  ['slack-bot-token', 'xoxb-' + '123456789012-1234567890123-' + 'aB3'.repeat(8)],
  ['slack-webhook-url', 'https://hooks.slack.com/services/' + 'T0ABCDEFG/B0ABCDEFG/' + 'aB3'.repeat(8)],
  ['private-key', '-----BEGIN RSA ' + 'PRIVATE KEY-----\nMIIEowIBAAKCAQEA' + 'q1W2e3R4'.repeat(8) + '\n-----END RSA PRIVATE KEY-----'],
  ['private-key', '-----BEGIN ' + 'OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW'],
  ['google-api-key', 'AIza' + 'Sy' + 'A1b_-'.repeat(6) + 'abc'],
  ['stripe-secret-key', 'sk_live_' + 'aB3'.repeat(8)],
  ['stripe-restricted-key', 'rk_live_' + 'aB3'.repeat(8)],
  ['openai-api-key', 'sk-proj-' + 'aB3_'.repeat(10)],
  ['anthropic-api-key', 'sk-ant-api03-' + 'aB3-'.repeat(20)],
  ['npm-access-token', 'npm_' + 'aB3'.repeat(12)],
  ['pypi-upload-token', 'pypi-AgEIcHlwaS5vcmc' + 'aB3'.repeat(20)],
  ['huggingface-access-token', 'hf_' + 'aBc'.repeat(11) + 'd'],
  ['sendgrid-api-key', 'SG.' + 'aB3'.repeat(7) + 'x.' + 'aB3'.repeat(14) + 'x'],
];
const PEM = FORMAT_EXAMPLES.find(([rule]) => rule === 'private-key')![1];
const format = (rule: string) => ({ kind: 'format', rule });

describe('CredentialScanner: well-known formats', () => {
  const scanner = new CredentialScanner(fingerprint);

  it.each(FORMAT_EXAMPLES)('finds %s raw, in JSON, URL-encoded (once and twice) and in base64', (rule, secret) => {
    expect(scanner.scan(secret)).toMatchObject(format(rule));
    expect(scanner.scanBytes(Buffer.from(JSON.stringify({ note: 'here', value: secret })))).toMatchObject(format(rule));
    expect(scanner.scan(`q=${encodeURIComponent(secret)}`)).toMatchObject(format(rule));
    expect(scanner.scan(`q=${encodeURIComponent(pctAll(secret))}`)).toMatchObject(format(rule));
    expect(scanner.scan(`v=${b64(secret)}`)).toMatchObject(format(rule));
    expect(scanner.scanBytes(Buffer.from(JSON.stringify({ v: b64url(secret) })))).toMatchObject(format(rule));
  });

  it("names the rule and its title, never the credential", () => {
    const hit = scanner.scan(`token ${FORMAT_EXAMPLES[2]![1]}`);
    expect(hit).toEqual({ kind: 'format', rule: 'github-pat', title: expect.stringMatching(/GitHub/) });
    expect(JSON.stringify(hit)).not.toContain(FORMAT_EXAMPLES[2]![1]);
  });

  it('finds a form-encoded private key', () => {
    expect(scanner.scan(new URLSearchParams({ pem: PEM }).toString())).toMatchObject(format('private-key'));
  });

  it('finds a format after an escaped newline in a JSON string, where the raw text glues it to an "n"', () => {
    const secret = FORMAT_EXAMPLES[2]![1];
    expect(scanner.scanBytes(Buffer.from(JSON.stringify({ text: `config:\n${secret}` })))).toMatchObject(format('github-pat'));
  });

  it.each([
    ['an AWS-like id glued to a longer word', 'XAKIA' + 'Q3ZK7P2RWX5TNBM4'],
    ['a GitHub-like token glued to a longer word', 'xghp_' + 'aB3'.repeat(12)],
    ['a PEM header without a key', 'How do I read a -----BEGIN PRIVATE KEY----- file in Node?'],
    ['a JWT', ['eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9', 'eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ', 'SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c'].join('.')],
    ['words that contain sk-', 'a task-force of risk-takers asked for sk-8 tickets'],
    ["AWS's documentation example key", 'AKIA' + 'IOSFODNN7EXAMPLE'],
  ])('does not flag %s', (_, text) => {
    expect(scanner.scan(text)).toBeNull();
  });
});

describe('CredentialScanner: stored keys only', () => {
  it('finds stored keys but not formats when asked for stored keys only', () => {
    const secret = FORMAT_EXAMPLES[2]![1];
    expect(KEY_SCANNER.scan(`${secret} ${PLAIN_KEY}`, false)).toEqual({ kind: 'stored_key' });
    expect(KEY_SCANNER.scan(secret, false)).toBeNull();
    expect(KEY_SCANNER.scanBytes(Buffer.from(JSON.stringify({ t: b64(secret) })), false)).toBeNull();
    expect(KEY_SCANNER.scanBytes(Buffer.from(JSON.stringify({ t: b64(`k=${PLAIN_KEY}`) })), false)).toEqual({ kind: 'stored_key' });
  });

  it('looks at nothing when no key is stored', () => {
    const scanner = new CredentialScanner(() => {
      throw new Error('fingerprinted');
    });
    expect(scanner.scan(`${PLAIN_KEY} ${FORMAT_EXAMPLES[2]![1]}`, false)).toBeNull();
  });
});

describe('CredentialScanner: no false positives', () => {
  it.each([
    ['UUIDs', '550e8400-e29b-41d4-a716-446655440000 6ba7b810-9dad-11d1-80b4-00c04fd430c8 F47AC10B-58CC-4372-A567-0E02B2C3D479'],
    ['sha256 digests', `${createHash('sha256').update('a').digest('hex')} sha256:${createHash('sha256').update('b').digest('hex')}`],
    ['sha256 in base64', createHash('sha256').update('c').digest('base64')],
    ['English prose', 'Tollgate is a local gate between an AI assistant and the outside world. The assistant never holds an API key and never talks to an external API directly.'],
    ['a search query', 'q=best+pizza+near+me&count=10&safesearch=moderate&country=US&search_lang=en'],
    ['an encoded search query', `q=${encodeURIComponent('what is the difference between AES-256-GCM and ChaCha20-Poly1305?')}&offset=0`],
    ['a purpose', 'Find recent papers on retrieval-augmented generation for the literature review (2023-2025).'],
    ['a URL', 'https://api.search.brave.com/res/v1/web/search?q=International%20Space%20Station&result_filter=web'],
  ])('%s', (_, text) => {
    expect(KEY_SCANNER.scan(text)).toBeNull();
    expect(KEY_SCANNER.scanBytes(Buffer.from(text))).toBeNull();
  });
});

/** A deterministic 1 MiB JSON body of the kind APIs exchange: ids, digests, words, numbers, URLs. */
function bigJsonBody(): Buffer {
  const words = 'the of and research search results international station gate budget approve operator assistant provider latency weather pizza review'.split(' ');
  let seed = 1;
  const next = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const items: string[] = [];
  let size = 0;
  for (let i = 0; size < 1024 * 1024; i++) {
    const digest = createHash('sha256').update(String(i)).digest('hex');
    const item = JSON.stringify({
      id: `${digest.slice(0, 8)}-${digest.slice(8, 12)}-4${digest.slice(13, 16)}-a${digest.slice(17, 20)}-${digest.slice(20, 32)}`,
      sha256: digest,
      title: Array.from({ length: 10 }, () => words[Math.floor(next() * words.length)]).join(' '),
      score: Math.round(next() * 1e6) / 1e3,
      url: `https://example.org/articles/${i}?ref=search&q=${encodeURIComponent('space station')}`,
      tags: ['news', 'science'],
      nested: { ok: next() > 0.5, count: i },
    });
    items.push(item);
    size += item.length + 1;
  }
  return Buffer.from(`[${items.join(',')}]`).subarray(0, 1024 * 1024);
}

describe('CredentialScanner: big bodies', () => {
  const body = bigJsonBody();

  it('does not flag a 1 MiB JSON body without keys', () => {
    expect(body.length).toBe(1024 * 1024);
    expect(KEY_SCANNER.scanBytes(body)).toBeNull();
  });

  it('fingerprints nothing in a 1 MiB JSON body that holds no stored key', () => {
    // Only a rolling-hash hit is fingerprinted: what keeps the scan cheap (its speed is measured
    // by the benchmarks).
    let calls = 0;
    const counting = (t: string): string => {
      calls++;
      return fingerprint(t);
    };
    const scanner = new CredentialScanner(counting);
    scanner.setStoredKeys([40, 44].map((length) => ({ fingerprint: fingerprint('k'.repeat(length)), length, rolling: scanner.rollingHash('k'.repeat(length)) })));
    expect(scanner.scanBytes(body)).toBeNull();
    expect(calls).toBe(0);
  });

  it('finds a key or a private key block wherever it sits in a body, whatever its alignment', () => {
    for (let offset = 64 * 1024 - 60; offset <= 64 * 1024 + 5; offset += 5) {
      const pad = (n: number): Buffer => Buffer.alloc(n, 'lorem ipsum ');
      expect(KEY_SCANNER.scanBytes(Buffer.concat([pad(offset), Buffer.from(` ${PLAIN_KEY} `), pad(1000)]))).toEqual({ kind: 'stored_key' });
      expect(KEY_SCANNER.scanBytes(Buffer.concat([pad(offset), Buffer.from(PEM), pad(1000)]))).toMatchObject(format('private-key'));
    }
  });

  it('finds a stored key inside a 300 KB base64 blob, glued to its characters, and at its very end', () => {
    const blob = createHash('sha512').update('x').digest('base64').replace(/[^A-Za-z0-9]/g, '').repeat(4000).slice(0, 300_000);
    for (const at of [0, 1, 2, 3, 4, 150_001, 300_000 - PLAIN_KEY.length]) {
      const body = `{"data":"${blob.slice(0, at)}${PLAIN_KEY}${blob.slice(at + PLAIN_KEY.length)}"}`;
      expect(KEY_SCANNER.scanBytes(Buffer.from(body)), `at ${at}`).toEqual({ kind: 'stored_key' });
    }
    expect(KEY_SCANNER.scanBytes(Buffer.from(`{"data":"${blob}"}`))).toBeNull();
  });

  it('finds a key at the end of a 1 MiB body', () => {
    const withKey = Buffer.concat([body.subarray(0, body.length - 100), Buffer.from(`","k":"${PLAIN_KEY}"}]`)]);
    expect(KEY_SCANNER.scanBytes(withKey)).toEqual({ kind: 'stored_key' });
  });
});
