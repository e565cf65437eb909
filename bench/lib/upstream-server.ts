// The bench's upstream, in a process of its own (so the load generator's event loop does not also
// serve TLS): test/helpers/upstream.ts on 127.0.0.1 with the test PKI, answering POST /search with
// a ~2 KB JSON search result that reports its cost in costDollars.total, as Exa does. A request
// without the key (x-api-key, or Authorization: Bearer) gets 401, so every proxy is seen to add it.
//
// GET /__bench/stats answers {"requests","connections"} so far: how many TLS connections each
// proxy opened (every new connection is a handshake the proxy paid for).
//
// POST /v1/messages is a mock of Anthropic's Messages API for the model-provider phase
// (bench/model.ts): with `stream: true` it answers a stream of MODEL_DELTAS + 5 server-sent events
// in Anthropic's documented shape (message_start with the usage so far, content_block_start, the
// text deltas, content_block_stop, message_delta with the cumulative usage, message_stop), each
// event its own write, the next one as soon as the socket has taken the previous one (its write
// callback): no fixed pacing. Without `stream: true` it answers the same message as one JSON
// document. Its key is modelKey(key), a key of its own (Tollgate refuses one key for two
// integrations), and must come in `x-api-key` (401 in Anthropic's error shape otherwise); a body
// that is not a Messages request gets 400. Input tokens are reported as the body's bytes / 3.5.
//
// Usage: node bench/lib/upstream-server.ts <pki dir>   (key in BENCH_UPSTREAM_KEY)
// Prints "listening <port>"; ends on SIGTERM, or when its parent goes (stdin closes).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { startUpstream } from '../../test/helpers/upstream.ts';

export const COST_USD = 0.005;

/** Text deltas in every streamed answer of the Messages mock. */
export const MODEL_DELTAS = 1000;
/** Output tokens the mock reports for its answer (its ~7 KB of text: ~2 tokens a delta). */
export const MODEL_OUTPUT_TOKENS = 2000;
/** Bytes per input token the mock reports (and the bench assumes) for code-heavy requests. */
export const BYTES_PER_TOKEN = 3.5;

/** The Messages mock's key, derived from the upstream's: each integration has its own, unrelated to another's. */
export const modelKey = (key: string): string => `bench-model-${createHash('sha256').update(key).digest('hex').slice(0, 32)}`;

/** Input tokens the mock reports for a request body of `bytes`. */
export const modelInputTokens = (bytes: number): number => Math.ceil(bytes / BYTES_PER_TOKEN);

// The answer's text, word by word: a coding assistant explaining a change, ~7 bytes a delta.
const ANSWER_WORDS = ('The reservation is the most this request can cost: every byte of the body counts as one input ' +
  'token, plus the provider\'s own overhead, and max_tokens bounds the output. `requestBound()` prices each side ' +
  'at the dearest rate it may reach, so the cap holds before the request leaves. Settling reads usage from ' +
  'message_start and message_delta, and the difference goes back to the budget.').split(' ');

/** One server-sent event, as Anthropic writes it (event line, data line, blank line). */
function event(type: string, data: unknown): Buffer {
  return Buffer.from(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
}

const DELTAS: Buffer[] = Array.from({ length: MODEL_DELTAS }, (_, i) => event('content_block_delta', {
  type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: `${ANSWER_WORDS[i % ANSWER_WORDS.length]} ` },
}));

/** The usage of one answer: input from the request's size, nothing cached. */
function usage(inputTokens: number, outputTokens: number) {
  return { input_tokens: inputTokens, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: outputTokens };
}

/** The events of one streamed answer to a request of `bodyBytes`, in order. */
export function modelStream(model: string, bodyBytes: number, id = 'msg_01BenchBenchBenchBench0001'): Buffer[] {
  const input = modelInputTokens(bodyBytes);
  return [
    event('message_start', {
      type: 'message_start',
      message: { id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: usage(input, 1) },
    }),
    event('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
    ...DELTAS,
    event('content_block_stop', { type: 'content_block_stop', index: 0 }),
    event('message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: usage(input, MODEL_OUTPUT_TOKENS) }),
    event('message_stop', { type: 'message_stop' }),
  ];
}

/** The same answer, not streamed. */
function modelMessage(model: string, bodyBytes: number, id: string): Buffer {
  const text = DELTAS.map((_, i) => `${ANSWER_WORDS[i % ANSWER_WORDS.length]} `).join('');
  return Buffer.from(JSON.stringify({
    id, type: 'message', role: 'assistant', model, content: [{ type: 'text', text }], stop_reason: 'end_turn', stop_sequence: null,
    usage: usage(modelInputTokens(bodyBytes), MODEL_OUTPUT_TOKENS),
  }));
}

function anthropicError(res: ServerResponse, status: number, type: string, message: string): void {
  const out = Buffer.from(JSON.stringify({ type: 'error', error: { type, message } }));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(out.length) });
  res.end(out);
}

function write(res: ServerResponse, chunk: Buffer): Promise<void> {
  return new Promise((resolve) => {
    if (res.destroyed) resolve();
    else res.write(chunk, () => resolve());
  });
}

let messages = 0;

/** POST /v1/messages: Anthropic's Messages API, mocked (see the top of this file). */
async function messagesApi(req: IncomingMessage, res: ServerResponse, body: Buffer, key: string): Promise<void> {
  if (req.headers['x-api-key'] !== modelKey(key)) return anthropicError(res, 401, 'authentication_error', 'invalid x-api-key');
  let request: { model?: unknown; max_tokens?: unknown; messages?: unknown; stream?: unknown };
  try {
    request = JSON.parse(body.toString('utf8')) as typeof request;
  } catch {
    return anthropicError(res, 400, 'invalid_request_error', 'the body is not JSON');
  }
  if (typeof request.model !== 'string' || typeof request.max_tokens !== 'number' || !Array.isArray(request.messages)) {
    return anthropicError(res, 400, 'invalid_request_error', 'model, max_tokens and messages are required');
  }
  const id = `msg_01Bench${String(++messages).padStart(16, '0')}`;
  if (request.stream !== true) {
    const out = modelMessage(request.model, body.length, id);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(out.length) });
    res.end(out);
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'request-id': `req_${id}` });
  for (const chunk of modelStream(request.model, body.length, id)) {
    if (res.destroyed) return;
    await write(res, chunk);
  }
  res.end();
}

/** A search answer shaped like Exa's, about 2 KB. */
export function searchResult(): Buffer {
  const results = Array.from({ length: 7 }, (_, i) => ({
    id: `https://example.org/articles/sqlite-wal-mode-${i + 1}`,
    url: `https://example.org/articles/sqlite-wal-mode-${i + 1}`,
    title: `SQLite write-ahead logging, part ${i + 1}: readers, writers and checkpoints`,
    score: Number((0.91 - i * 0.03).toFixed(4)),
    publishedDate: `2025-0${(i % 9) + 1}-1${i}T00:00:00.000Z`,
    author: 'A. Writer',
  }));
  const body = {
    requestId: '8f1b4c0e2d6a4f7b9c3e5a1d0b2c4e6f',
    resolvedSearchType: 'neural',
    results,
    searchTime: 412.5,
    costDollars: { total: COST_USD, search: { neural: COST_USD } },
  };
  return Buffer.from(JSON.stringify(body));
}

async function main(): Promise<void> {
  const dir = process.argv[2];
  const key = process.env.BENCH_UPSTREAM_KEY;
  if (!dir || !key) throw new Error('usage: upstream-server.ts <pki dir> (with BENCH_UPSTREAM_KEY set)');
  const pki = { certPem: readFileSync(join(dir, 'server.pem'), 'utf8'), keyPem: readFileSync(join(dir, 'server.key'), 'utf8') };
  const body = searchResult();
  const denied = Buffer.from('{"error":"missing or wrong key"}');
  const sockets = new WeakSet<object>();
  let connections = 0;
  let requests = 0;
  const upstream = await startUpstream(pki, (req, res, reqBody) => {
    if (req.url === '/__bench/stats') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ requests, connections }));
      return;
    }
    if (!sockets.has(req.socket)) {
      sockets.add(req.socket);
      connections++;
    }
    requests++;
    if (req.method === 'POST' && req.url === '/v1/messages') return messagesApi(req, res, reqBody, key);
    const ok = req.headers['x-api-key'] === key || req.headers.authorization === `Bearer ${key}`;
    const out = ok ? body : denied;
    res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json', 'content-length': String(out.length) });
    res.end(out);
  });
  // The helper records every request for tests; here nobody reads them: keep memory flat.
  setInterval(() => {
    upstream.requests.length = 0;
  }, 200).unref();
  const stop = () => void upstream.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  process.stdin.on('close', stop).resume();
  console.log(`listening ${upstream.port}`);
}

if (import.meta.main) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
