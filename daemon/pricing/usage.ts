// What a model provider says a call used, in its own format, read the way it bills: from a JSON
// answer, or from a stream event by event. And which model a request names.
//
// Each format's counters are turned into disjoint token classes (prices.ts `BilledTokens`):
// - anthropic: `input_tokens` excludes cache reads and writes (each billed at its own rate);
//   writes split into 5-minute and 1-hour ones by `cache_creation`. In a stream, `message_start`
//   carries the input and cache counts and `message_delta` the CUMULATIVE totals (it overwrites,
//   never adds; newer API versions may repeat input and cache counts there too).
// - openai-chat, openrouter: `prompt_tokens` INCLUDES `cached_tokens` (and `cache_write_tokens`);
//   `completion_tokens` includes reasoning tokens (billed once, as output). Streams carry usage in
//   one last chunk (with `stream_options.include_usage`; always, on OpenRouter).
// - openai-responses: `input_tokens` includes `cached_tokens`; `output_tokens` includes reasoning.
//   Streams carry it in `response.completed` (or `.incomplete`, `.failed`).
// - gemini: `promptTokenCount` includes `cachedContentTokenCount`; `thoughtsTokenCount` is billed
//   as output and is NOT in `candidatesTokenCount`; `toolUsePromptTokenCount` is billed as input
//   and is not in the prompt count. Stream chunks carry cumulative `usageMetadata` (last wins).
// - openrouter also reports the cost itself (`usage.cost`, USD): that is used when present.
import type { BilledTokens } from './prices.ts';
import { TOKEN_FORMATS, type TokenFormat } from './formats.ts';

export { TOKEN_FORMATS, type TokenFormat };

export interface TokenUsage extends BilledTokens {
  /** Of `output`, reasoning or thinking (already in `output`: informational). */
  reasoning: number;
  /** A cost the provider reported itself, USD (OpenRouter: `usage.cost`, plus the upstream cost of a BYOK call). */
  reportedCostUsd: number | null;
  /**
   * What the provider reported that the token price does not cover, e.g. `web_search_requests=2`,
   * `service_tier=priority`, `inference_geo=us`: for the audit and alerts, never guessed at.
   */
  unmetered: string[];
}

/** What has been read of an answer so far. */
export interface UsageState {
  usage: TokenUsage | null;
  /**
   * The usage is the final one: a JSON answer's, or a stream's last usage event (Anthropic's
   * `message_delta`, OpenAI's usage chunk, `response.completed`, Gemini's chunk with the
   * `finishReason`, or a later one).
   */
  final: boolean;
  /** The model the answer says it came from, when it says. */
  model: string | null;
}

export interface UsageReader {
  /** A whole JSON answer, parsed. */
  answer(doc: unknown): void;
  /** One server-sent event's data, parsed. */
  event(data: unknown): void;
  readonly state: UsageState;
}

export function usageReader(format: TokenFormat): UsageReader {
  switch (format) {
    case 'anthropic':
      return new AnthropicReader();
    case 'openai-chat':
      return new ChatReader(false);
    case 'openrouter':
      return new ChatReader(true);
    case 'openai-responses':
      return new ResponsesReader();
    case 'gemini':
      return new GeminiReader();
  }
}

// ---------------------------------------------------------------------------------------------
// The model a request names.

const GEMINI_MODEL = /\/models\/([^/:]+)(?::[A-Za-z]+)?$/;
const MODEL_ID = /^[A-Za-z0-9._@-]{1,200}$/;

/**
 * The model a request names, or null when it names none that can be read unambiguously
 * (then the request must be refused: only listed models may be used). Anthropic, OpenAI and
 * OpenRouter name it in the JSON body's `model` (a body naming it twice is ambiguous: parsers
 * disagree on which one wins); Gemini in the path, `/v1beta/models/<model>:generateContent`.
 */
export function requestedModel(format: TokenFormat, path: string, body: Uint8Array | string | undefined): string | null {
  if (format === 'gemini') {
    const m = GEMINI_MODEL.exec(path.split('?')[0]!);
    if (!m) return null;
    let id: string;
    try {
      id = decodeURIComponent(m[1]!);
    } catch {
      return null;
    }
    return MODEL_ID.test(id) ? id : null;
  }
  if (body === undefined) return null;
  const text = typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isObject(doc) || typeof doc.model !== 'string' || doc.model.length === 0) return null;
  if (countTopLevelKey(text, 'model') !== 1) return null;
  return doc.model;
}

/**
 * How many times a valid JSON object's text has `key` at its top level (escapes decoded, as a
 * parser reads them). JSON.parse keeps the last duplicate silently; another parser may keep
 * the first.
 */
function countTopLevelKey(text: string, key: string): number {
  let depth = 0;
  let count = 0;
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      // The closing quote: the next one not escaped (preceded by an even run of backslashes).
      let j = i;
      for (;;) {
        j = text.indexOf('"', j + 1);
        let k = j - 1;
        while (text[k] === '\\') k--;
        if ((j - 1 - k) % 2 === 0) break;
      }
      if (depth === 1 && expectKey && JSON.parse(text.slice(i, j + 1)) === key) count++;
      expectKey = false;
      i = j;
    } else if (c === '{') {
      depth++;
      expectKey = depth === 1;
    } else if (c === '[') {
      depth++;
    } else if (c === '}' || c === ']') {
      depth--;
    } else if (c === ',' && depth === 1) {
      expectKey = true;
    }
  }
  return count;
}

// ---------------------------------------------------------------------------------------------
// Reading counters.

type Obj = Record<string, unknown>;

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Thrown inside a reader when a counter is not a token count: that usage is unreadable. */
class BadCount extends Error {}

/** A required counter: a non-negative safe integer. */
function count(v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new BadCount();
  return v;
}

/** An optional counter: absent or null is 0. */
function optCount(v: unknown): number {
  return v === undefined || v === null ? 0 : count(v);
}

function obj(v: unknown): Obj {
  return isObject(v) ? v : {};
}

function str(v: unknown): string | null {
  return typeof v === 'string' && v.length > 0 ? v : null;
}

function tryRead<T>(read: () => T): T | null {
  try {
    return read();
  } catch (err) {
    if (err instanceof BadCount) return null;
    throw err;
  }
}

function emptyUsage(): TokenUsage {
  return {
    input: 0, cacheRead: 0, cacheWrite: 0, cacheWrite1h: 0, output: 0,
    inputAudio: 0, cacheReadAudio: 0, outputAudio: 0, outputImage: 0,
    reasoning: 0, reportedCostUsd: null, unmetered: [],
  };
}

/** `whole − parts`, refusing a report whose parts exceed its whole. */
function minus(whole: number, ...parts: number[]): number {
  const rest = parts.reduce((r, p) => r - p, whole);
  if (rest < 0) throw new BadCount();
  return rest;
}

// ---------------------------------------------------------------------------------------------
// Anthropic Messages API.

function anthropicUsage(u: Obj): TokenUsage {
  const usage = emptyUsage();
  usage.input = count(u.input_tokens);
  usage.output = count(u.output_tokens);
  usage.cacheRead = optCount(u.cache_read_input_tokens);
  const writes = optCount(u.cache_creation_input_tokens);
  // The TTL breakdown, when given; writes it does not account for are 5-minute ones.
  usage.cacheWrite1h = Math.min(optCount(obj(u.cache_creation).ephemeral_1h_input_tokens), writes);
  usage.cacheWrite = writes - usage.cacheWrite1h;
  usage.reasoning = Math.min(optCount(obj(u.output_tokens_details).thinking_tokens), usage.output);
  const tools = obj(u.server_tool_use);
  for (const k of ['web_search_requests', 'web_fetch_requests']) {
    const n = optCount(tools[k]);
    if (n > 0) usage.unmetered.push(`${k}=${n}`);
  }
  if (typeof u.service_tier === 'string' && u.service_tier !== 'standard') usage.unmetered.push(`service_tier=${u.service_tier}`);
  if (typeof u.inference_geo === 'string' && !['global', 'not_available'].includes(u.inference_geo)) usage.unmetered.push(`inference_geo=${u.inference_geo}`);
  if (typeof u.speed === 'string' && u.speed !== 'standard') usage.unmetered.push(`speed=${u.speed}`);
  return usage;
}

class AnthropicReader implements UsageReader {
  readonly state: UsageState = { usage: null, final: false, model: null };
  // The stream's counters as they stand: message_start's, overwritten by message_delta's.
  private counters: Obj | null = null;

  answer(doc: unknown): void {
    if (!isObject(doc)) return;
    this.state.model = str(doc.model);
    if (isObject(doc.usage)) {
      this.state.usage = tryRead(() => anthropicUsage(doc.usage as Obj));
      this.state.final = this.state.usage !== null;
    }
  }

  event(data: unknown): void {
    if (!isObject(data)) return;
    if (data.type === 'message_start' && isObject(data.message)) {
      this.state.model = str(data.message.model) ?? this.state.model;
      if (isObject(data.message.usage)) this.counters = { ...data.message.usage };
    } else if (data.type === 'message_delta' && isObject(data.usage)) {
      // Cumulative totals: a counter given replaces the one held; a counter absent or null keeps it.
      const merged: Obj = { ...this.counters };
      for (const [k, v] of Object.entries(data.usage)) if (v !== null && v !== undefined) merged[k] = v;
      this.counters = merged;
      this.state.final = true;
    } else {
      return;
    }
    const counters = this.counters;
    this.state.usage = counters ? tryRead(() => anthropicUsage(counters)) : null;
    if (this.state.usage === null) this.state.final = false;
  }
}

// ---------------------------------------------------------------------------------------------
// OpenAI Chat Completions, and OpenRouter (the same, plus the cost it reports).

function chatUsage(u: Obj, openrouter: boolean): TokenUsage {
  const usage = emptyUsage();
  const prompt = count(u.prompt_tokens);
  const pd = obj(u.prompt_tokens_details);
  const cd = obj(u.completion_tokens_details);
  usage.cacheRead = optCount(pd.cached_tokens);
  usage.cacheWrite = optCount(pd.cache_write_tokens);
  usage.input = minus(prompt, usage.cacheRead, usage.cacheWrite);
  usage.output = count(u.completion_tokens);
  usage.reasoning = Math.min(optCount(cd.reasoning_tokens), usage.output);
  // Audio in the prompt is not split into cached and uncached: count it uncached first, which
  // bills it at the higher rate when in doubt.
  const audioIn = optCount(pd.audio_tokens);
  usage.inputAudio = Math.min(audioIn, usage.input);
  usage.cacheReadAudio = Math.min(audioIn - usage.inputAudio, usage.cacheRead);
  usage.outputAudio = Math.min(optCount(cd.audio_tokens), usage.output);
  if (openrouter && typeof u.cost === 'number' && Number.isFinite(u.cost) && u.cost >= 0) {
    // With the operator's own provider key (BYOK), OpenRouter charges a fee (`cost`) and the
    // provider bills the inference (`upstream_inference_cost`) to that key: both are this call's.
    const upstream = obj(u.cost_details).upstream_inference_cost;
    const byok = u.is_byok === true && typeof upstream === 'number' && Number.isFinite(upstream) && upstream > 0 ? upstream : 0;
    usage.reportedCostUsd = u.cost + byok;
  }
  return usage;
}

function serviceTier(doc: Obj, usage: TokenUsage | null): void {
  // OpenAI's priority processing costs more than the standard rates; flex costs less.
  if (usage && typeof doc.service_tier === 'string' && !['default', 'auto', 'flex'].includes(doc.service_tier)) {
    usage.unmetered.push(`service_tier=${doc.service_tier}`);
  }
}

class ChatReader implements UsageReader {
  readonly state: UsageState = { usage: null, final: false, model: null };
  private readonly openrouter: boolean;

  constructor(openrouter: boolean) {
    this.openrouter = openrouter;
  }

  answer(doc: unknown): void {
    this.event(doc);
  }

  event(data: unknown): void {
    if (!isObject(data)) return;
    this.state.model = str(data.model) ?? this.state.model;
    // Chunks before the last carry `"usage": null` when usage is asked for.
    if (!isObject(data.usage)) return;
    const usage = tryRead(() => chatUsage(data.usage as Obj, this.openrouter));
    serviceTier(data, usage);
    this.state.usage = usage;
    this.state.final = usage !== null;
  }
}

// ---------------------------------------------------------------------------------------------
// OpenAI Responses API.

const RESPONSE_END_EVENTS = new Set(['response.completed', 'response.incomplete', 'response.failed']);
// Output items billed per call, outside token usage.
const TOOL_CALLS = ['web_search_call', 'file_search_call', 'code_interpreter_call', 'image_generation_call'];

function responsesUsage(response: Obj): TokenUsage | null {
  if (!isObject(response.usage)) return null;
  const u = response.usage;
  const usage = tryRead(() => {
    const t = emptyUsage();
    const id = obj(u.input_tokens_details);
    t.cacheRead = optCount(id.cached_tokens);
    t.cacheWrite = optCount(id.cache_write_tokens);
    t.input = minus(count(u.input_tokens), t.cacheRead, t.cacheWrite);
    t.output = count(u.output_tokens);
    t.reasoning = Math.min(optCount(obj(u.output_tokens_details).reasoning_tokens), t.output);
    return t;
  });
  if (!usage) return null;
  serviceTier(response, usage);
  if (Array.isArray(response.output)) {
    for (const type of TOOL_CALLS) {
      const n = response.output.filter((item) => isObject(item) && item.type === type).length;
      if (n > 0) usage.unmetered.push(`${type}=${n}`);
    }
  }
  return usage;
}

class ResponsesReader implements UsageReader {
  readonly state: UsageState = { usage: null, final: false, model: null };

  answer(doc: unknown): void {
    if (!isObject(doc)) return;
    this.state.model = str(doc.model);
    this.state.usage = responsesUsage(doc);
    this.state.final = this.state.usage !== null;
  }

  event(data: unknown): void {
    if (!isObject(data) || !isObject(data.response)) return;
    this.state.model = str(data.response.model) ?? this.state.model;
    if (typeof data.type === 'string' && RESPONSE_END_EVENTS.has(data.type)) {
      this.state.usage = responsesUsage(data.response);
      this.state.final = this.state.usage !== null;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Google Gemini (generateContent, streamGenerateContent).

function modality(details: unknown, kind: string): number {
  if (!Array.isArray(details)) return 0;
  let n = 0;
  for (const d of details) if (isObject(d) && d.modality === kind) n += optCount(d.tokenCount);
  return n;
}

function geminiUsage(u: Obj): TokenUsage {
  const usage = emptyUsage();
  const prompt = count(u.promptTokenCount);
  const toolUse = optCount(u.toolUsePromptTokenCount);
  const thoughts = optCount(u.thoughtsTokenCount);
  usage.cacheRead = optCount(u.cachedContentTokenCount);
  usage.input = minus(prompt, usage.cacheRead) + toolUse;
  usage.output = optCount(u.candidatesTokenCount) + thoughts;
  usage.reasoning = thoughts;
  const cachedAudio = modality(u.cacheTokensDetails, 'AUDIO');
  const promptAudio = modality(u.promptTokensDetails, 'AUDIO');
  usage.cacheReadAudio = Math.min(cachedAudio, usage.cacheRead);
  usage.inputAudio = Math.min(Math.max(promptAudio - cachedAudio, 0) + modality(u.toolUsePromptTokensDetails, 'AUDIO'), usage.input);
  usage.outputAudio = Math.min(modality(u.candidatesTokensDetails, 'AUDIO'), usage.output);
  usage.outputImage = Math.min(modality(u.candidatesTokensDetails, 'IMAGE'), usage.output - usage.outputAudio);
  return usage;
}

class GeminiReader implements UsageReader {
  readonly state: UsageState = { usage: null, final: false, model: null };
  private finished = false;

  answer(doc: unknown): void {
    // streamGenerateContent without alt=sse answers a JSON array of the stream's chunks.
    for (const chunk of Array.isArray(doc) ? doc : [doc]) this.event(chunk);
    // A whole answer that parsed is complete: its last usage is the final one.
    this.state.final = this.state.usage !== null;
  }

  event(data: unknown): void {
    if (!isObject(data)) return;
    this.state.model = str(data.modelVersion) ?? this.state.model;
    const candidates = Array.isArray(data.candidates) ? data.candidates : [];
    if (candidates.some((c) => isObject(c) && str(c.finishReason)) || str(obj(data.promptFeedback).blockReason)) this.finished = true;
    if (!isObject(data.usageMetadata)) return;
    this.state.usage = tryRead(() => geminiUsage(data.usageMetadata as Obj));
    // Final once usage comes with or after the chunk that ends the answer.
    this.state.final = this.finished && this.state.usage !== null;
  }
}
