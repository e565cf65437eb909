// The most a model request can cost, worked out from the request itself: this is what it reserves
// (SPEC rule 5). Output is bounded by the limit the request sets; input by the request's own bytes
// (every token the provider counts covers at least one byte of what was sent), except where input
// lives on the provider's side or is fetched by it (earlier responses, uploaded files, URLs, cached
// contexts, server-side tools): there the model's context window is the bound, once per model
// turn the request allows. What cannot be bounded is refused.
import type { Micros } from '../money.ts';
import { scaledPrice, type TokenPrice, type TokenRates } from './prices.ts';
import type { TokenFormat } from './usage.ts';

/** Tokens a provider adds to a request on its own (tool-use and search system prompts, message framing). */
export const PROVIDER_OVERHEAD_TOKENS = 4_096;

export type Bound =
  | { ok: true; inputTokens: number; outputTokens: number; cost: Micros }
  | { ok: false; reason: string };

interface Shape {
  /** Output tokens the request allows, over all its choices; null when it sets no limit. */
  output: number | null;
  /** Why the request's bytes do not bound its input (null: they do). */
  remoteInput: string | null;
  /** Model turns the request allows (server-side tools re-read the context each turn); null: unbounded. */
  turns: number | null;
  /** Cache writes the request can cause: none without a cache_control mark, 1-hour ones only when it asks for them. */
  cacheWrites?: 'none' | '5m' | 'any';
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const count = (v: unknown): number | null => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : null);

/**
 * The worst case of one request. `bodyBytes` is the size of the body as sent; `body` its parsed JSON.
 * `info` gives the model's context window where the dataset knows it.
 */
export function requestBound(format: TokenFormat, body: unknown, bodyBytes: number, price: TokenPrice, info: { contextWindow?: number | undefined } | undefined): Bound {
  if (!isObject(body)) return { ok: false, reason: 'the body is not a JSON object' };
  const shape = SHAPES[format](body);
  if (typeof shape === 'string') return { ok: false, reason: shape };
  const window = info?.contextWindow ?? null;
  let input: number;
  if (shape.remoteInput === null) {
    input = bodyBytes + PROVIDER_OVERHEAD_TOKENS;
    if (window !== null) input = Math.min(input, window);
  } else {
    if (window === null) return { ok: false, reason: `its input includes ${shape.remoteInput}, which only the model's context window bounds, and Tollgate does not know this model's` };
    input = window;
  }
  if (shape.turns === null) return { ok: false, reason: 'it lets server-side tools run an unbounded number of times: set a maximum (max_uses, max_tool_calls)' };
  input *= shape.turns;
  const output = shape.output ?? window;
  if (output === null) return { ok: false, reason: 'it sets no output limit (max_tokens or the like), and Tollgate does not know the model\'s context window' };
  return { ok: true, inputTokens: input, outputTokens: output, cost: worstCost(price, input, output, shape.cacheWrites ?? 'any') };
}

/** Where each format's request sets its output limit. */
const OUTPUT_LIMIT: Record<TokenFormat, readonly string[]> = {
  anthropic: ['max_tokens'],
  'openai-chat': ['max_completion_tokens'],
  openrouter: ['max_tokens'],
  'openai-responses': ['max_output_tokens'],
  gemini: ['generationConfig', 'maxOutputTokens'],
};

/** The request with an output limit of `tokens` where it sets none (null where it sets one, or is no JSON object). */
export function withOutputLimit(format: TokenFormat, body: unknown, tokens: number): Json | null {
  if (!isObject(body)) return null;
  const shape = SHAPES[format](body);
  if (typeof shape === 'string' || shape.output !== null) return null;
  const [first, second] = OUTPUT_LIMIT[format];
  if (second === undefined) return { ...body, [first!]: tokens };
  const inner = isObject(body[first!]) ? body[first!] as Json : {};
  return { ...body, [first!]: { ...inner, [second]: tokens } };
}

/** Every token priced at the dearest rate of its side (input or output) of every tier it may reach. */
function worstCost(price: TokenPrice, input: number, output: number, cacheWrites: NonNullable<Shape['cacheWrites']>): Micros {
  let inRate = 0n;
  let outRate = 0n;
  // A tier applies above its input threshold; a bound of `input` may reach any tier below it.
  const reachable: TokenRates[] = [price, ...(price.tiers ?? []).filter((t) => input > t.aboveInputTokens)];
  for (const r of reachable) {
    const writes = cacheWrites === 'none' ? [] : cacheWrites === '5m' ? [r.cacheWrite] : [r.cacheWrite, r.cacheWrite1h];
    for (const rate of [r.input, r.cacheRead, ...writes, r.inputAudio, r.cacheReadAudio]) {
      if (rate !== undefined && scaledPrice(rate) > inRate) inRate = scaledPrice(rate);
    }
    for (const rate of [r.output, r.outputAudio, r.outputImage]) {
      if (rate !== undefined && scaledPrice(rate) > outRate) outRate = scaledPrice(rate);
    }
  }
  const sum = BigInt(input) * inRate + BigInt(output) * outRate;
  // Rounded up: a bound never rounds below the cost it bounds.
  return Number((sum + MICRO - 1n) / MICRO);
}
// tokens × scaledPrice(USD per million tokens) is in units of scaledPrice(1) per micro-dollar.
const MICRO = scaledPrice(1);

/** Does any object in `v` (recursively) have a key of `keys` or a `type` among `types`? The first found, for the message. */
function findRemote(v: unknown, keys: readonly string[], types: readonly string[], depth = 0): string | null {
  if (depth > 64) return 'input nested too deeply to inspect';
  if (Array.isArray(v)) {
    for (const x of v) {
      const hit = findRemote(x, keys, types, depth + 1);
      if (hit) return hit;
    }
    return null;
  }
  if (!isObject(v)) return null;
  for (const k of keys) if (v[k] !== undefined && v[k] !== null) return `"${k}"`;
  if (typeof v.type === 'string' && types.includes(v.type)) return `a "${v.type}" part`;
  for (const x of Object.values(v)) {
    const hit = findRemote(x, keys, types, depth + 1);
    if (hit) return hit;
  }
  return null;
}

const SHAPES: Record<TokenFormat, (b: Json) => Shape | string> = {
  anthropic(b) {
    const output = count(b.max_tokens);
    if (output === null) return 'it has no valid max_tokens (the Messages API requires one)';
    const remoteInput = findRemote(b.messages, ['file_id', 'url'], ['document', 'container_upload', 'search_result'])
      ?? findRemote(b.system, ['file_id', 'url'], ['document'])
      ?? (b.mcp_servers !== undefined ? '"mcp_servers"' : null) ?? (b.container !== undefined ? '"container"' : null);
    return { output, remoteInput, turns: anthropicTurns(b.tools), cacheWrites: cacheMarks(b) };
  },
  'openai-chat': chatShape,
  openrouter: chatShape,
  'openai-responses'(b) {
    const output = b.max_output_tokens === undefined ? null : count(b.max_output_tokens);
    if (output === null && b.max_output_tokens !== undefined) return 'its max_output_tokens is not a whole number';
    const stored = ['previous_response_id', 'conversation', 'prompt'].find((k) => b[k] !== undefined && b[k] !== null);
    const remoteInput = stored ? `"${stored}"` : findRemote(b.input, ['file_id', 'file_url', 'image_url'], ['item_reference']);
    const tools = Array.isArray(b.tools) ? b.tools.filter((t) => isObject(t) && t.type !== 'function' && t.type !== 'custom') : [];
    let turns: number | null = 1;
    if (tools.length > 0) {
      const max = count(b.max_tool_calls);
      turns = max === null ? null : max + 1;
    }
    return { output, remoteInput, turns };
  },
  gemini(b) {
    const config = isObject(b.generationConfig) ? b.generationConfig : {};
    const max = config.maxOutputTokens === undefined ? null : count(config.maxOutputTokens);
    if (max === null && config.maxOutputTokens !== undefined) return 'its generationConfig.maxOutputTokens is not a whole number';
    const candidates = config.candidateCount === undefined ? 1 : count(config.candidateCount);
    if (candidates === null || candidates < 1) return 'its generationConfig.candidateCount is not a positive whole number';
    const remoteInput = (b.cachedContent !== undefined ? '"cachedContent"' : null) ?? findRemote(b.contents, ['fileData', 'file_data'], []);
    // Search grounding, URL context and code execution run on Google's side with no limit a request can set.
    const tools = Array.isArray(b.tools) ? b.tools.filter((t) => isObject(t) && Object.keys(t).some((k) => k !== 'functionDeclarations' && k !== 'function_declarations')) : [];
    return { output: max === null ? null : max * candidates, remoteInput, turns: tools.length > 0 ? null : 1 };
  },
};

function chatShape(b: Json): Shape | string {
  const raw = b.max_completion_tokens ?? b.max_tokens;
  const max = raw === undefined || raw === null ? null : count(raw);
  if (max === null && raw !== undefined && raw !== null) return 'its max_completion_tokens is not a whole number';
  const n = b.n === undefined || b.n === null ? 1 : count(b.n);
  if (n === null || n < 1) return 'its n is not a positive whole number';
  const remoteInput = findRemote(b.messages, ['file_id', 'url'], ['file']);
  // web_search_options: the provider searches and adds what it found to the input.
  const turns = b.web_search_options !== undefined || b.plugins !== undefined ? null : 1;
  return { output: max === null ? null : max * n, remoteInput, turns };
}

/** Anthropic writes to its cache only at a cache_control mark, for an hour only where the mark says "1h". */
function cacheMarks(v: unknown, depth = 0): NonNullable<Shape['cacheWrites']> {
  if (depth > 64) return 'any';
  let found: NonNullable<Shape['cacheWrites']> = 'none';
  const values = Array.isArray(v) ? v : isObject(v) ? Object.values(v) : [];
  if (isObject(v) && v.cache_control !== undefined) {
    found = isObject(v.cache_control) && v.cache_control.ttl !== undefined && v.cache_control.ttl !== '5m' ? 'any' : '5m';
  }
  for (const x of values) {
    if (found === 'any') break;
    if (typeof x !== 'object' || x === null) continue;
    const inner = cacheMarks(x, depth + 1);
    if (inner === 'any' || (inner === '5m' && found === 'none')) found = inner;
  }
  return found;
}

/** Anthropic server tools (typed, e.g. web_search_20250305) loop on the provider's side; each sets max_uses or is unbounded. */
function anthropicTurns(tools: unknown): number | null {
  if (!Array.isArray(tools)) return 1;
  let turns = 1;
  for (const t of tools) {
    if (!isObject(t) || t.type === undefined || t.type === 'custom') continue;
    // Client tools (the assistant's own) end the turn: the next turn is a new request, reserved anew.
    if (typeof t.type === 'string' && /^(bash|text_editor|computer|memory)_/.test(t.type)) continue;
    const uses = count(t.max_uses);
    if (uses === null) return null;
    turns += uses;
  }
  return turns;
}
