// The credential scan of one large request: what admit() spends on the body of a 1 MiB model-provider
// request (source code, prose, a search tool's result, a screenshot in base64) with the scanner the
// daemon builds: the shipped credential rules, two stored keys, every encoding it undoes. The scan
// is computation alone, so it runs here, in this process, with no daemon.
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadRules } from '../daemon/credentials/rules.ts';
import { PROJECT_ROOT } from '../daemon/install.ts';
import { fingerprinter } from '../daemon/keychain/fingerprint.ts';
import { CredentialScanner, rollingBase } from '../daemon/pipeline/guard.ts';
import { summarize, type Summary } from './lib/stats.ts';

/** Issue 9's budget for the scan of a 1 MiB body. */
export const TARGET_SCAN_MS = 5;
const BODY_BYTES = 1024 * 1024;

export interface ScanResult {
  bodyBytes: number;
  /** Bytes of the body by kind of content. */
  composition: Record<string, number>;
  rules: number;
  storedKeyLengths: number[];
  warmup: number;
  /** The full scan: formats and stored keys. */
  full: Summary;
  /** Stored keys only, the scan an integration that records formats also makes. */
  storedKeysOnly: Summary;
}

function sourcesUnder(dir: string): string[] {
  // The repository's own files: not bench/.peers (Portkey's node_modules, installed by the suite) or anything hidden.
  return readdirSync(dir).sort().filter((name) => !name.startsWith('.') && name !== 'node_modules').flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourcesUnder(path) : /\.(?:tsx?|md)$/.test(path) ? [path] : [];
  });
}

/**
 * A model-provider request of `size` bytes, the Messages API's shape: a system prompt, a screenshot,
 * a search tool's call and result, then this repository's sources and docs to review and the
 * assistant's answers, the last file cut so that the body is exactly `size` bytes.
 */
export function modelRequest(size = BODY_BYTES): { body: Buffer; composition: Record<string, number> } {
  const prose = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');
  // A 150 KB PNG's compressed bytes look random: hashes stand for them, the same on every run.
  const png = Buffer.alloc(150 * 1024);
  for (let i = 0; i * 32 < png.length; i++) createHash('sha256').update(`screenshot ${i}`).digest().copy(png, i * 32);
  const screenshot = png.toString('base64');
  const results = Array.from({ length: 20 }, (_, i) => ({
    title: `Result ${i}: write-ahead logging in SQLite`, url: `https://example.org/articles/${i}?ref=search&q=sqlite%20wal`,
    snippet: prose.slice(i * 300, i * 300 + 300), published: '2024-05-01T00:00:00Z', score: 1 - i / 40,
  }));
  const messages: { role: string; content: unknown }[] = [
    { role: 'user', content: [
      { type: 'text', text: 'Here is my screen and my project. Why does the daemon refuse this call?' },
      { type: 'image', source: { type: 'base64', media_type: 'image/png', data: screenshot } },
    ] },
    { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_01', name: 'web_search', input: { query: 'sqlite wal mode readers writers', count: 20 } }] },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01', content: JSON.stringify({ results }) }] },
  ];
  const request = () => JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 8192, system: prose.slice(0, 8000), messages });
  const composition: Record<string, number> = { 'screenshot (base64)': screenshot.length, 'search result': JSON.stringify(results).length, prose: 8000 };
  const bytes = () => Buffer.byteLength(request());
  let code = 0;
  for (const file of ['daemon', 'electron', 'renderer', 'bench', 'docs'].flatMap((dir) => sourcesUnder(join(PROJECT_ROOT, dir)))) {
    if (bytes() >= size) break;
    const source = readFileSync(file, 'utf8');
    messages.push({ role: 'user', content: `Review ${file.slice(PROJECT_ROOT.length + 1)}:\n\n${source}` });
    messages.push({ role: 'assistant', content: `It reads well. ${prose.slice(0, 600)}` });
    code += source.length;
  }
  // Cut the last file down to the size asked (its escapes make its JSON a little longer than it),
  // then pad the last answer by what cutting a character of several bytes took too much.
  // A last file shorter than what is over (its review turn is longer than it) is cut whole, then
  // the answer after it: the loop always shortens something, or stops.
  const file = messages.at(-2)!;
  const answer = messages.at(-1)!;
  for (let over = bytes() - size; over > 0; over = bytes() - size) {
    const cut = (file.content as string).length > 0 ? file : answer;
    const text = cut.content as string;
    if (text.length === 0) throw new Error(`a request of ${size} bytes is too small for its first parts`);
    cut.content = text.slice(0, Math.max(0, text.length - over));
    if (cut === file) code -= Math.min(over, text.length);
  }
  messages.at(-1)!.content += ' '.repeat(size - bytes());
  composition['sources and docs'] = code;
  const body = Buffer.from(request());
  if (body.length !== size) throw new Error(`the request is ${body.length} bytes, not ${size}`);
  return { body, composition };
}

/** Times `scan` over `runs` runs after `warmup` unmeasured ones (V8 optimises the scanner meanwhile). */
function time(scan: () => unknown, warmup: number, runs: number): Summary {
  for (let i = 0; i < warmup; i++) scan();
  const ms = new Float64Array(runs);
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    if (scan() !== null) throw new Error('the bench request holds a credential: its scan would stop early');
    ms[i] = performance.now() - start;
  }
  return summarize(ms);
}

export function runScan(opts: { quick: boolean; log: (line?: string) => void }): ScanResult {
  const { body, composition } = modelRequest();
  // As the daemon builds it (daemon/daemon.ts), with a Brave Search key and a Tavily one: two
  // lengths, each with its own rolling hash.
  const fingerprint = fingerprinter(randomBytes(32), 'key');
  const scanner = new CredentialScanner(fingerprint, { rollingBase: rollingBase(randomBytes(4)) });
  const keys = [`BSA${randomBytes(21).toString('base64url').slice(0, 28)}`, `tvly-${randomBytes(24).toString('base64url').slice(0, 32)}`];
  scanner.setStoredKeys(keys.map((k) => ({ fingerprint: fingerprint(k), length: k.length, rolling: scanner.rollingHash(k) })));
  const warmup = opts.quick ? 100 : 300;
  const runs = opts.quick ? 100 : 400;
  opts.log(`credential scan: a ${body.length}-byte model request (${Object.entries(composition).map(([k, v]) => `${k} ${v}`).join(', ')}); ` +
    `${loadRules().length} rules, stored keys of ${keys.map((k) => k.length).join(' and ')} characters; ${runs} runs after ${warmup}`);
  const full = time(() => scanner.scanBytes(body), warmup, runs);
  const storedKeysOnly = time(() => scanner.scanBytes(body, false), warmup, runs);
  const fmt = (s: Summary) => `p50 ${s.p50.toFixed(2)} ms, p90 ${s.p90.toFixed(2)} ms, p99 ${s.p99.toFixed(2)} ms`;
  opts.log(`  formats and stored keys: ${fmt(full)}`);
  opts.log(`  stored keys only:        ${fmt(storedKeysOnly)}`);
  return { bodyBytes: body.length, composition, rules: loadRules().length, storedKeyLengths: keys.map((k) => k.length), warmup, full, storedKeysOnly };
}
