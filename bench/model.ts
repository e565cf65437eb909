// The model-provider phase (issue 10's proof): an assistant's own traffic to Anthropic's Messages
// API, streamed, through Tollgate and through Portkey's gateway, against the client straight to
// the provider. The provider is the bench upstream's mock of POST /v1/messages (lib/upstream-
// server.ts: 1,000 text deltas in Anthropic's event shape, sent as fast as the socket takes them);
// the requests are ~200 KB coding-assistant requests built from this repository's sources, each a
// little different. Measured per call: the time to the first content delta (the first chunk that
// holds a content_block_delta's data line) and to the end of the stream; reported as each proxy's
// time added over direct, p50 and p90, at c=1 and c=8.
//
// Also, without any load: how far the reservation Tollgate makes (requestBound of the daemon,
// with the anthropic template's claude-sonnet-4-5 price) over-estimates a realistic cost of the
// same request, for 20 KB, 200 KB and 2 MB requests.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Agent, type Dispatcher, request } from 'undici';
import { loadTemplates } from '../daemon/integrations/templates.ts';
import { PROJECT_ROOT } from '../daemon/install.ts';
import { requestBound } from '../daemon/pricing/bound.ts';
import { ratesAt, type TokenPrice } from '../daemon/pricing/prices.ts';
import type { ControlClient } from '../daemon/client/control-client.ts';
import { runLoad } from './lib/load.ts';
import { CpuWatch } from './lib/proc.ts';
import { fx, row, table, type TargetRow } from './lib/report.ts';
import { round, summarize, type Summary } from './lib/stats.ts';
import { BYTES_PER_TOKEN, MODEL_DELTAS, MODEL_OUTPUT_TOKENS, modelInputTokens, modelKey } from './lib/upstream-server.ts';
import { createModelIntegration, MODEL_INTEGRATION, MODEL_PURPOSE } from './tollgate.ts';

export const MODEL = 'claude-sonnet-4-5';
export const MAX_TOKENS = 8192;
/** The size of the requests sent. */
export const REQUEST_BYTES = 200 * 1024;
/** The "moderate concurrency" of the phase, beside c=1. */
export const MODEL_CONCURRENCY = 8;
const PHASE_MAX_MS = 120_000;
const ANTHROPIC_VERSION = '2023-06-01';

// --- the requests ----------------------------------------------------------------------------------

function filesUnder(dir: string, test: RegExp): string[] {
  // Not installed packages, results or anything hidden (bench/.peers holds Portkey's node_modules).
  return readdirSync(dir).sort().filter((name) => !name.startsWith('.') && name !== 'node_modules' && name !== 'results').flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path, test) : test.test(path) ? [path] : [];
  });
}

/** The repository's sources, the ones a change to the reservation bound touches first. */
function sources(): string[] {
  const ts = /\.tsx?$/;
  const first = ['daemon/pricing', 'daemon/pipeline', 'daemon/integrations', 'daemon/ledger'].flatMap((d) => filesUnder(join(PROJECT_ROOT, d), ts));
  const rest = ['daemon', 'bench', 'electron', 'renderer', 'test'].flatMap((d) => filesUnder(join(PROJECT_ROOT, d), ts));
  const docs = filesUnder(join(PROJECT_ROOT, 'docs'), /\.md$/);
  return [...new Set([...first, ...rest, ...docs])];
}

const TOOLS = [
  { name: 'Read', description: 'Reads a file of the repository, with line numbers. Use it before editing a file.', input_schema: { type: 'object', properties: { file_path: { type: 'string', description: 'Path from the repository root' }, offset: { type: 'integer' }, limit: { type: 'integer' } }, required: ['file_path'] } },
  { name: 'Edit', description: 'Replaces one exact string of a file by another. The old string must occur once.', input_schema: { type: 'object', properties: { file_path: { type: 'string' }, old_string: { type: 'string' }, new_string: { type: 'string' } }, required: ['file_path', 'old_string', 'new_string'] } },
  { name: 'Grep', description: 'Searches the repository for a regular expression; answers path:line:text.', input_schema: { type: 'object', properties: { pattern: { type: 'string' }, path: { type: 'string' } }, required: ['pattern'] } },
  { name: 'Bash', description: 'Runs a shell command in the repository and answers its output (2 minutes at most).', input_schema: { type: 'object', properties: { command: { type: 'string' }, timeout: { type: 'integer' } }, required: ['command'] } },
];

/** Where each request's own number goes (nine digits), so that no two bodies are the same. */
const TURN = '#000000000';

export interface CodingRequest {
  body: Buffer;
  /** Bytes of the body by kind of content. */
  composition: Record<string, number>;
  /** Files whose source it holds (the last one cut). */
  files: number;
}

/**
 * A coding assistant's Messages request of exactly `size` bytes: a system prompt, tool definitions,
 * the task, then turns of the assistant reading this repository's sources (tool_use Read /
 * tool_result with the file), a Grep and its result, and user turns pasting more files, ending
 * with the user's next instruction (which holds the request's number). The last file is cut so
 * that the body is `size` bytes.
 */
export function codingRequest(size: number, opts: { stream?: boolean } = {}): CodingRequest {
  const readme = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');
  const system = 'You are a coding assistant working in the repository of Tollgate, a local daemon that mediates an AI ' +
    'assistant\'s API calls. Read before you edit; keep changes small; run the tests that cover what you changed; ' +
    'never print or ask for API keys: Tollgate attaches them itself.\n\nThe project\'s README:\n\n' + readme.slice(0, Math.min(9000, size / 5));
  const files = sources();
  const rel = (f: string) => f.slice(PROJECT_ROOT.length + 1);
  const messages: { role: 'user' | 'assistant'; content: Record<string, unknown>[] }[] = [
    { role: 'user', content: [{ type: 'text', text: 'Reservations over-estimate what model calls cost: a 200 KB request reserves several times what it is billed. Find where the bound is worked out, explain why, and propose a tighter bound that still never reserves less than a call can cost. Then write the change and its tests.' }] },
  ];
  // The Grep a reader of the bound starts with: its real answer over these sources.
  const grepLines = files.slice(0, 60).flatMap((f) => readFileSync(f, 'utf8').split('\n').map((line, i) => (line.includes('requestBound') || line.includes('reserve') ? `${rel(f)}:${i + 1}:${line.trim()}` : null)).filter((x): x is string => x !== null));
  const grepId = 'toolu_01Bench000000000001';
  messages.push({ role: 'assistant', content: [{ type: 'text', text: 'I will find where the reservation is worked out.' }, { type: 'tool_use', id: grepId, name: 'Grep', input: { pattern: 'requestBound|reserve', path: 'daemon' } }] });
  messages.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: grepId, content: grepLines.join('\n').slice(0, Math.min(12_000, size / 10)) }] });
  const request = () => JSON.stringify({ model: MODEL, max_tokens: MAX_TOKENS, system, tools: TOOLS, messages, ...(opts.stream === false ? {} : { stream: true }) });
  const last = { type: 'text', text: `${TURN} Now write the change to daemon/pricing/bound.ts and its tests.` };
  const bytes = () => Buffer.byteLength(request());
  const lastBytes = Buffer.byteLength(JSON.stringify(last)) + 1;
  // A file read by the assistant (tool_use Read, then its tool_result), or every third one pasted
  // by the user in a turn of its own.
  const pair = (n: number, file: string, source: string): (typeof messages)[number][] => {
    if (n % 3 === 2) {
      return [
        { role: 'assistant', content: [{ type: 'text', text: `Read. ${rel(file)} is next; could you paste it?` }] },
        { role: 'user', content: [{ type: 'text', text: `Here is ${rel(file)}:\n\n\`\`\`ts\n${source}\n\`\`\`` }] },
      ];
    }
    const id = `toolu_01Bench${String(1000 + n).padStart(12, '0')}`;
    return [
      { role: 'assistant', content: [{ type: 'tool_use', id, name: 'Read', input: { file_path: rel(file) } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: id, content: source }] },
    ];
  };
  let code = 0;
  let used = 0;
  // The sources in order, again from the first when a large request needs more than there is.
  for (let n = 0; n < 4 * files.length; n++) {
    const file = files[n % files.length]!;
    let source = readFileSync(file, 'utf8');
    messages.push(...pair(n, file, source));
    if (bytes() + lastBytes < size) {
      code += source.length;
      used++;
      continue;
    }
    // Cut this file down to the size asked (its escapes make its JSON a little longer than it);
    // dropped if even its first line does not fit.
    for (let over = bytes() + lastBytes - size; over > 0 && source.length > 0; over = bytes() + lastBytes - size) {
      source = source.slice(0, Math.max(0, source.length - over));
      messages.splice(-2, 2, ...pair(n, file, source));
    }
    if (source.length === 0) messages.splice(-2, 2);
    else {
      code += source.length;
      used++;
    }
    break;
  }
  messages.at(-1)!.content.push(last);
  // Pad the user's instruction by what cutting a character of several bytes took too much.
  if (bytes() > size) throw new Error(`a request of ${size} bytes is too small for the conversation's first turns`);
  last.text += ' '.repeat(size - bytes());
  const body = Buffer.from(request());
  if (body.length !== size) throw new Error(`the request is ${body.length} bytes, not ${size}`);
  const composition = {
    'system prompt': Buffer.byteLength(JSON.stringify(system)),
    tools: Buffer.byteLength(JSON.stringify(TOOLS)),
    'sources (tool results and pasted files)': code,
  };
  return { body, composition, files: used };
}

/** The request `body` as request number `i`: the same size, a different body. */
function numbered(body: Buffer): (i: number) => Buffer {
  const at = body.lastIndexOf(TURN);
  if (at < 0) throw new Error('the request has no place for its number');
  const head = body.subarray(0, at + 1);
  const tail = body.subarray(at + TURN.length);
  return (i) => Buffer.concat([head, Buffer.from(String(((i % 1e9) + 1e9) % 1e9).padStart(9, '0')), tail]);
}

// --- what a reservation over-estimates -----------------------------------------------------------------

export interface OverEstimate {
  bytes: number;
  /** What Tollgate reserves for the request (requestBound), USD, and the tokens it assumes. */
  reservationUsd: number;
  boundInputTokens: number;
  boundOutputTokens: number;
  /** Input tokens estimated as bytes / 3.5. */
  inputTokens: number;
  /** Beyond the model's context window in the price dataset: Anthropic refuses it without its 1M-context beta. */
  overContextWindow: boolean;
  /** A realistic cost: those input tokens and MODEL_OUTPUT_TOKENS of output, at the rates of the tier they reach. */
  realisticUsd: number;
  ratio: number;
  /** The ratio with a short answer (500 output tokens) and with the whole max_tokens used. */
  ratioShortAnswer: number;
  ratioMaxOutput: number;
  /** Whether Tollgate would refuse it as over the template's per-call ceiling (maxPerRequestUsd). */
  overPerCallCeiling: boolean;
}

/** The anthropic template's price for MODEL (from the dataset, as the daemon loads it) and its per-call ceiling. */
function modelPrice(): { price: TokenPrice & { contextWindow?: number }; maxPerRequestUsd: number } {
  const template = loadTemplates().get('anthropic');
  const price = template?.pricing.tokens?.models[MODEL] as (TokenPrice & { contextWindow?: number }) | undefined;
  if (!template || !price) throw new Error(`the anthropic template has no price for ${MODEL}`);
  return { price, maxPerRequestUsd: template.pricing.maxPerRequestUsd };
}

export function overEstimates(sizes = [20 * 1024, REQUEST_BYTES, 2 * 1024 * 1024]): { model: string; price: TokenPrice & { contextWindow?: number }; maxPerRequestUsd: number; rows: OverEstimate[] } {
  const { price, maxPerRequestUsd } = modelPrice();
  const rows = sizes.map((bytes) => {
    const { body } = codingRequest(bytes);
    const bound = requestBound('anthropic', JSON.parse(body.toString('utf8')), body.length, price, { contextWindow: price.contextWindow });
    if (!bound.ok) throw new Error(`Tollgate cannot bound the ${bytes}-byte request: ${bound.reason}`);
    const inputTokens = modelInputTokens(bytes);
    const cost = (output: number) => {
      const r = ratesAt(price, inputTokens);
      return (inputTokens * r.input + output * r.output) / 1e6;
    };
    const reservationUsd = bound.cost / 1e6;
    return {
      bytes, reservationUsd, boundInputTokens: bound.inputTokens, boundOutputTokens: bound.outputTokens, inputTokens,
      overContextWindow: price.contextWindow !== undefined && inputTokens > price.contextWindow,
      realisticUsd: round(cost(MODEL_OUTPUT_TOKENS), 6), ratio: round(reservationUsd / cost(MODEL_OUTPUT_TOKENS), 2),
      ratioShortAnswer: round(reservationUsd / cost(500), 2), ratioMaxOutput: round(reservationUsd / cost(MAX_TOKENS), 2),
      overPerCallCeiling: reservationUsd > maxPerRequestUsd,
    };
  });
  return { model: MODEL, price, maxPerRequestUsd, rows };
}

// --- the streamed calls ---------------------------------------------------------------------------------

export type ModelTargetName = 'direct' | 'tollgate' | 'portkey';

interface StreamTimes {
  /** ms to the first chunk holding a content delta. */
  ttfe: number;
  /** ms to the end of the stream. */
  end: number;
  /** Chunks the client read (how the stream was cut up on its way). */
  chunks: number;
}

interface ModelTarget {
  name: ModelTargetName;
  pids(): number[];
  call(i: number): Promise<StreamTimes & { trailers: Record<string, string | string[] | undefined>; bytes: number }>;
}

const DELTA = '"content_block_delta"';
const STOP = '"message_stop"';

/** One streamed call; throws unless the whole stream came (every delta, then message_stop). */
async function streamCall(what: string, url: string, dispatcher: Dispatcher, headers: Record<string, string>, body: Buffer) {
  const t0 = performance.now();
  const res = await request(url, { dispatcher, method: 'POST', headers, body });
  if (res.statusCode !== 200) {
    const text = await res.body.text();
    throw new Error(`${what}: HTTP ${res.statusCode}: ${text.slice(0, 300)}`);
  }
  let ttfe = Number.NaN;
  let deltas = 0;
  let bytes = 0;
  let chunks = 0;
  let carry = '';
  let tail = '';
  for await (const chunk of res.body as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    chunks++;
    // latin1: one character a byte. A marker split across two chunks is found in the previous
    // chunk's last characters (too few to hold a whole one, so none is counted twice) + this one.
    const text = chunk.toString('latin1');
    const s = carry + text;
    for (let at = s.indexOf(DELTA); at >= 0; at = s.indexOf(DELTA, at + DELTA.length)) deltas++;
    if (deltas > 0 && Number.isNaN(ttfe)) ttfe = performance.now() - t0;
    carry = s.slice(-(DELTA.length - 1));
    tail = (tail + text).slice(-200);
  }
  const end = performance.now() - t0;
  if (deltas !== MODEL_DELTAS || !tail.includes(STOP)) throw new Error(`${what}: the stream came with ${deltas} of ${MODEL_DELTAS} deltas, ${tail.includes(STOP) ? 'and' : 'without'} message_stop`);
  return { ttfe, end, chunks, trailers: res.trailers, bytes };
}

export interface ModelFigures {
  target: ModelTargetName;
  concurrency: number;
  ttfe: Summary;
  end: Summary;
  /** Chunks the client read per stream, median. */
  chunksP50: number;
  /** Added over direct at the same concurrency, ms (null for direct). */
  added: { ttfeP50: number; ttfeP90: number; endP50: number; endP90: number } | null;
  /** CPU ms a call of the proxy process (null for direct), and of the upstream and the client. */
  cpuMsPerCall: Record<string, number>;
  otherCores: number;
  errors: number;
}

export interface ModelResult {
  request: { bytes: number; composition: Record<string, number>; files: number; model: string; maxTokens: number; streamEvents: number; outputTokens: number };
  counts: { rounds: number; c1: number; cN: number; warmup: number; concurrency: number };
  /** The largest request body Tollgate's integration forwards (the template's, else the setting). */
  tollgateMaxRequestBytes: number;
  checks: Record<ModelTargetName, { bytes: number; ttfe: number; end: number }> & { tollgateCostUsd: string | null; expectedCostUsd: number };
  portkey: { ok: boolean; why: string | null };
  figures: Record<string, ModelFigures>;
  metered: { calls: number; spentUsd: number | null; reservedUsd: number | null; auditRecords: number; auditOk: boolean; consistent: boolean };
  overEstimate: ReturnType<typeof overEstimates>;
  targets: TargetRow[];
}

export interface ModelRig {
  upstreamUrl: string;
  upstreamPid: number;
  caPem: string;
  /** The upstream's key (the Messages mock's is modelKey() of it). */
  key: string;
  control: ControlClient;
  agentSocket: string;
  daemonPid: number;
  portkey: { url: string; pid: number } | null;
  keyringPids: number[];
}

/**
 * Runs the phase: creates the anthropic integration on the daemon (and raises maxRequestBytes if
 * the request would be refused), checks each path once in full, then the load, then the ledger.
 */
export async function runModel(rig: ModelRig, opts: { quick: boolean; log: (line?: string) => void; onCleanup: (what: string, fn: () => unknown) => void }): Promise<ModelResult> {
  const { log } = opts;
  const counts = opts.quick
    ? { rounds: 1, c1: 60, cN: 120, warmup: 24, concurrency: MODEL_CONCURRENCY }
    : { rounds: 3, c1: 100, cN: 200, warmup: 80, concurrency: MODEL_CONCURRENCY };
  const req = codingRequest(REQUEST_BYTES);
  const bodyFor = numbered(req.body);
  log(`model provider: ${req.body.length}-byte Messages requests (${MODEL}, max_tokens ${MAX_TOKENS}, stream: ${Object.entries(req.composition).map(([k, v]) => `${k} ${v}`).join(', ')}; ${req.files} files), ` +
    `answered by ${MODEL_DELTAS + 5} events in Anthropic's shape`);

  const key = modelKey(rig.key);
  let maxRequestBytes = await createModelIntegration(rig.control, rig.upstreamUrl, key);
  if (maxRequestBytes < req.body.length) {
    // The integration forwards no more than that: raise the setting (its own value wins if set).
    await rig.control.updateSettings({ maxRequestBytes: 4 * req.body.length });
    maxRequestBytes = (await rig.control.integration(MODEL_INTEGRATION)).spec.maxRequestBytes ?? (await rig.control.settings()).maxRequestBytes;
    log(`  Tollgate's request size limit raised to ${maxRequestBytes} bytes`);
  }

  const directAgent = new Agent({ connect: { ca: rig.caPem }, keepAliveTimeout: 4_000 });
  const tollgateAgent = new Agent({ connect: { socketPath: rig.agentSocket }, keepAliveTimeout: 4_000 });
  const portkeyAgent = new Agent({ keepAliveTimeout: 4_000 });
  opts.onCleanup('close the model phase\'s clients', () => Promise.all([directAgent, tollgateAgent, portkeyAgent].map((a) => a.destroy())));
  const json = { 'content-type': 'application/json', 'anthropic-version': ANTHROPIC_VERSION };
  const targets: Record<ModelTargetName, ModelTarget> = {
    direct: {
      name: 'direct', pids: () => [],
      call: (i) => streamCall('direct', `${rig.upstreamUrl}/v1/messages`, directAgent, { ...json, 'x-api-key': key }, bodyFor(i)),
    },
    tollgate: {
      name: 'tollgate', pids: () => [rig.daemonPid],
      call: (i) => streamCall('tollgate', `http://tollgate/v1/call/${MODEL_INTEGRATION}/v1/messages`, tollgateAgent, { ...json, 'tollgate-purpose': MODEL_PURPOSE }, bodyFor(i)),
    },
    portkey: {
      // Its Anthropic route: POST /v1/messages with the anthropic provider sends the body on to
      // <custom host>/messages with the caller's x-api-key (its providers' base URLs end in /v1).
      name: 'portkey', pids: () => (rig.portkey ? [rig.portkey.pid] : []),
      call: (i) => streamCall('portkey', `${rig.portkey!.url}/v1/messages`, portkeyAgent, {
        ...json, 'x-portkey-provider': 'anthropic', 'x-portkey-custom-host': `${rig.upstreamUrl}/v1`, 'x-api-key': key,
      }, bodyFor(i)),
    },
  };

  // Each path once, in full; Tollgate's cost (its trailer) is the usage the mock reported.
  const { price } = modelPrice();
  const expectedCostUsd = round((modelInputTokens(req.body.length) * price.input + MODEL_OUTPUT_TOKENS * price.output) / 1e6, 6);
  const checks = { expectedCostUsd, tollgateCostUsd: null } as ModelResult['checks'];
  const portkey = { ok: rig.portkey !== null, why: rig.portkey ? null : 'not started' as string | null };
  for (const name of ['direct', 'tollgate', 'portkey'] as const) {
    if (name === 'portkey' && !portkey.ok) continue;
    try {
      const r = await targets[name].call(-1);
      checks[name] = { bytes: r.bytes, ttfe: round(r.ttfe), end: round(r.end) };
      if (name === 'tollgate') {
        const cost = r.trailers['tollgate-cost-usd'];
        checks.tollgateCostUsd = typeof cost === 'string' ? cost : null;
        if (Math.abs(Number(cost) - expectedCostUsd) > 1e-6) throw new Error(`tollgate metered ${String(cost)} USD, not the ${expectedCostUsd} of the usage the mock reported`);
      }
    } catch (e) {
      if (name !== 'portkey') throw e;
      portkey.ok = false;
      portkey.why = e instanceof Error ? e.message : String(e);
      log(`  portkey: ${portkey.why}: left out of the model phase`);
    }
  }
  const order: ModelTargetName[] = portkey.ok ? ['direct', 'tollgate', 'portkey'] : ['direct', 'tollgate'];
  log(`  every path streams the whole answer (${order.map((n) => `${n} ${checks[n].bytes} bytes`).join(', ')}); Tollgate metered ${checks.tollgateCostUsd} USD a call (${modelInputTokens(req.body.length)} input and ${MODEL_OUTPUT_TOKENS} output tokens)`);

  log(`  warm-up: ${counts.warmup} calls each at c=${counts.concurrency}`);
  for (const name of order) {
    const r = await runLoad({ concurrency: counts.concurrency, requests: counts.warmup, maxMs: PHASE_MAX_MS, call: async (i) => void (await targets[name].call(i)) });
    if (r.errors) throw new Error(`${name}: ${r.errors} calls of the warm-up failed: ${r.errorSamples.join('; ')}`);
  }
  const pooled = new Map<string, { ttfe: number[]; end: number[]; chunks: number[]; calls: number; errors: number; cpu: Record<string, number>; wall: number; other: number }>();
  log(`  ${counts.rounds} round(s); each c=1 × ${counts.c1} and c=${counts.concurrency} × ${counts.cN} per target, the order rotated`);
  for (let roundNo = 1; roundNo <= counts.rounds; roundNo++) {
    for (const c of [1, counts.concurrency]) {
      for (const name of order.map((_, i) => order[(i + roundNo - 1) % order.length]!)) {
        const t = targets[name];
        const ttfe: number[] = [];
        const end: number[] = [];
        const chunks: number[] = [];
        const watch = new CpuWatch({ target: t.pids(), upstream: [rig.upstreamPid], client: [process.pid], keyring: rig.keyringPids });
        const r = await runLoad({
          concurrency: c, requests: c === 1 ? counts.c1 : counts.cN, maxMs: PHASE_MAX_MS,
          call: async (i) => {
            const x = await t.call(i);
            ttfe.push(x.ttfe);
            end.push(x.end);
            chunks.push(x.chunks);
          },
        });
        const cpu = watch.finish();
        const k = `${name}@${c}`;
        const p = pooled.get(k) ?? { ttfe: [], end: [], chunks: [], calls: 0, errors: 0, cpu: {}, wall: 0, other: 0 };
        p.ttfe.push(...ttfe);
        p.end.push(...end);
        p.chunks.push(...chunks);
        p.calls += r.ok;
        p.errors += r.errors;
        p.wall += cpu.wallSeconds;
        p.other += cpu.other;
        for (const [g, v] of Object.entries(cpu.groups)) p.cpu[g] = (p.cpu[g] ?? 0) + v;
        pooled.set(k, p);
        const s = summarize(ttfe);
        const e = summarize(end);
        log(`    r${roundNo} c=${String(c).padEnd(2)} ${name.padEnd(9)} first event p50 ${s.p50.toFixed(2).padStart(7)} ms  end p50 ${e.p50.toFixed(2).padStart(7)} ms  p90 ${e.p90.toFixed(2).padStart(7)} ms` +
          `  errors ${r.errors}${r.timedOut ? ' (TIMED OUT)' : ''}  other load ${(cpu.other / cpu.wallSeconds).toFixed(2)} cores`);
        if (r.errors) log(`      errors: ${r.errorSamples.join(' | ')}`);
      }
    }
  }

  const figures: Record<string, ModelFigures> = {};
  for (const c of [1, counts.concurrency]) {
    const d = pooled.get(`direct@${c}`)!;
    const dt = summarize(d.ttfe);
    const de = summarize(d.end);
    for (const name of order) {
      const p = pooled.get(`${name}@${c}`)!;
      const ttfe = summarize(p.ttfe);
      const end = summarize(p.end);
      figures[`${name}@${c}`] = {
        target: name, concurrency: c, ttfe: roundSummary(ttfe), end: roundSummary(end), chunksP50: summarize(p.chunks).p50,
        added: name === 'direct' ? null : {
          ttfeP50: round(ttfe.p50 - dt.p50), ttfeP90: round(ttfe.p90 - dt.p90), endP50: round(end.p50 - de.p50), endP90: round(end.p90 - de.p90),
        },
        cpuMsPerCall: Object.fromEntries(Object.entries(p.cpu).filter(([g]) => g !== 'target' || name !== 'direct').map(([g, v]) => [g, round((v * 1000) / Math.max(1, p.calls), 3)])),
        otherCores: round(p.other / p.wall, 2), errors: p.errors,
      };
    }
  }

  // Every call metered at the usage the mock reported, none left reserved.
  const spend = await rig.control.spend();
  const mine = spend.integrations.find((i) => i.name === MODEL_INTEGRATION);
  const calls = spend.periods.filter((p) => p.integration === MODEL_INTEGRATION).reduce((n, p) => n + p.calls, 0);
  const verify = await rig.control.verifyAudit();
  const metered = {
    calls, spentUsd: mine?.spentUsd ?? null, reservedUsd: mine?.reservedUsd ?? null, auditRecords: verify.records, auditOk: verify.ok,
    consistent: mine?.reservedUsd === 0 && Math.abs((mine?.spentUsd ?? 0) - calls * expectedCostUsd) < 1e-4 * Math.max(1, calls) && verify.ok,
  };

  const overEstimate = overEstimates();
  const targetsRows: TargetRow[] = [];
  for (const c of [1, counts.concurrency]) {
    const tg = figures[`tollgate@${c}`]!.added!;
    const pk = figures[`portkey@${c}`]?.added;
    targetsRows.push(pk
      ? row(`model stream: added time to first event ≤ Portkey's, c=${c} (p50)`, tg.ttfeP50 - pk.ttfeP50, '≤ 0 ms', (v) => v <= 0, 'ms',
        `${fx(tg.ttfeP50)} vs ${fx(pk.ttfeP50)} ms`)
      : { check: `model stream: added time to first event ≤ Portkey's, c=${c} (p50)`, value: Number.NaN, shown: `${fx(tg.ttfeP50)} ms (Portkey: no figure)`, target: '≤ Portkey', pass: false });
  }

  // --- printed ---
  log();
  log(`Model provider, streamed (ms; ${req.body.length}-byte requests, ${MODEL_DELTAS + 5} events an answer; added = over direct at the same concurrency)`);
  log(table(['target', 'c', 'n', 'first event p50', 'p90', 'end p50', 'p90', 'added first event p50', 'p90', 'added end p50', 'p90', 'proxy CPU ms a call', 'chunks read'],
    Object.values(figures).map((f) => [f.target, String(f.concurrency), String(f.ttfe.n), fx(f.ttfe.p50), fx(f.ttfe.p90), fx(f.end.p50), fx(f.end.p90),
      fx(f.added?.ttfeP50), fx(f.added?.ttfeP90), fx(f.added?.endP50), fx(f.added?.endP90), f.target === 'direct' ? '-' : fx(f.cpuMsPerCall.target), String(f.chunksP50)])));
  log(`Tollgate's ledger: ${metered.calls} calls, ${metered.spentUsd} USD spent, ${metered.reservedUsd} reserved; audit chain ${verify.ok ? 'verifies' : 'BROKEN'} over ${verify.records} records: ` +
    `${metered.consistent ? 'consistent' : 'INCONSISTENT'} (${expectedCostUsd} USD a call)`);
  if (!portkey.ok) log(`Portkey: no figures (${portkey.why})`);
  log();
  log(`What a reservation over-estimates (${MODEL} at ${overEstimate.price.input}/${overEstimate.price.output} USD per million input/output tokens, context window ${overEstimate.price.contextWindow ?? '?'}; ` +
    `realistic: input = bytes / ${BYTES_PER_TOKEN}, output ${MODEL_OUTPUT_TOKENS} tokens, at the rates of the tier the input reaches)`);
  log(table(['request', 'reserved (input + output tokens)', 'USD', 'realistic (input tokens)', 'USD', 'ratio', 'ratio, 500 out', 'ratio, 8192 out'],
    overEstimate.rows.map((o) => [`${(o.bytes / 1024).toFixed(0)} KiB`, `${o.boundInputTokens} + ${o.boundOutputTokens}`, o.reservationUsd.toFixed(4),
      `${o.inputTokens}${o.overContextWindow ? ' (over the window)' : ''}`, o.realisticUsd.toFixed(4), `${o.ratio.toFixed(2)}×`, `${o.ratioShortAnswer.toFixed(2)}×`, `${o.ratioMaxOutput.toFixed(2)}×`])));
  for (const o of overEstimate.rows.filter((x) => x.overContextWindow)) {
    log(`  ${(o.bytes / 1024).toFixed(0)} KiB: ~${o.inputTokens} input tokens is over ${MODEL}'s ${overEstimate.price.contextWindow}-token window: Anthropic refuses it (not billed) unless the ` +
      `request carries its 1M-context beta header, which Tollgate forwards; then it is billed at the long-context rates, ${o.realisticUsd.toFixed(2)} USD against ${o.reservationUsd.toFixed(2)} reserved.`);
  }

  return {
    request: { bytes: req.body.length, composition: req.composition, files: req.files, model: MODEL, maxTokens: MAX_TOKENS, streamEvents: MODEL_DELTAS + 5, outputTokens: MODEL_OUTPUT_TOKENS },
    counts, tollgateMaxRequestBytes: maxRequestBytes, checks, portkey, figures, metered, overEstimate, targets: targetsRows,
  };
}

function roundSummary(s: Summary): Summary {
  return Object.fromEntries(Object.entries(s).map(([k, v]) => [k, round(v)])) as unknown as Summary;
}
