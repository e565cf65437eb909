// Answers in the shapes the providers document (Anthropic Messages streaming, OpenAI Chat
// Completions with stream_options.include_usage, the Responses API's typed events, Gemini's
// streamGenerateContent?alt=sse), with non-ASCII text so that chunk boundaries fall inside
// UTF-8 characters.
import { TokenMeter, type TokenMeterResult, type TokenPricing } from '../../../daemon/pricing/token-meter.ts';
import { mulberry32 } from '../../helpers/prng.ts';

export const TEXT = ['Héllo', ' wörld — ', '日本語の', 'テキスト 🎉', ' ok'];

/** Server-sent events: each `[event, data]` as `event:`/`data:` lines and a blank line. */
export function sse(events: [string | null, unknown][], eol = '\n'): string {
  return events
    .map(([name, data]) => `${name ? `event: ${name}${eol}` : ''}data: ${typeof data === 'string' ? data : JSON.stringify(data)}${eol}${eol}`)
    .join('');
}

// ---------------------------------------------------------------------------------------------
// Anthropic Messages API.

export function anthropicMessage(usage: object, model = 'claude-sonnet-4-5-20250929') {
  return {
    id: 'msg_01XFDUDYJgAACzvnptvVoYEL', type: 'message', role: 'assistant', model,
    content: [{ type: 'text', text: TEXT.join('') }],
    stop_reason: 'end_turn', stop_sequence: null, usage,
  };
}

/** message_start, content_block_start, ping, deltas, content_block_stop, message_delta, message_stop. */
export function anthropicStream(start: object, delta: object, model = 'claude-sonnet-4-5-20250929'): [string, unknown][] {
  return [
    ['message_start', {
      type: 'message_start',
      message: { id: 'msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY', type: 'message', role: 'assistant', content: [], model, stop_reason: null, stop_sequence: null, usage: start },
    }],
    ['content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }],
    ['ping', { type: 'ping' }],
    ...TEXT.map((text): [string, unknown] => ['content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } }]),
    ['content_block_stop', { type: 'content_block_stop', index: 0 }],
    ['message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: delta }],
    ['message_stop', { type: 'message_stop' }],
  ];
}

// ---------------------------------------------------------------------------------------------
// OpenAI Chat Completions (and OpenRouter).

export function chatCompletion(usage: object, model = 'gpt-4o-mini-2024-07-18') {
  return {
    id: 'chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT', object: 'chat.completion', created: 1741569952, model,
    choices: [{ index: 0, message: { role: 'assistant', content: TEXT.join(''), refusal: null, annotations: [] }, logprobs: null, finish_reason: 'stop' }],
    usage, service_tier: 'default', system_fingerprint: 'fp_06737a9306',
  };
}

/** Chunks with `"usage": null`, the finish chunk, the usage chunk (empty `choices`), `[DONE]`. */
export function chatStream(usage: object | null, model = 'gpt-4o-mini-2024-07-18'): [null, unknown][] {
  const base = { id: 'chatcmpl-123', object: 'chat.completion.chunk', created: 1694268190, model, system_fingerprint: 'fp_44709d6fcb' };
  const chunks: [null, unknown][] = [
    [null, { ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '', refusal: null }, logprobs: null, finish_reason: null }], usage: null }],
    ...TEXT.map((content): [null, unknown] => [null, { ...base, choices: [{ index: 0, delta: { content }, logprobs: null, finish_reason: null }], usage: null }]),
    [null, { ...base, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }], usage: null }],
  ];
  if (usage) chunks.push([null, { ...base, choices: [], usage }]);
  chunks.push([null, '[DONE]']);
  return chunks;
}

// ---------------------------------------------------------------------------------------------
// OpenAI Responses API.

export function response(usage: object | null, model = 'gpt-5-mini-2025-08-07', status = 'completed') {
  return {
    id: 'resp_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b', object: 'response', created_at: 1741476542, status,
    error: null, incomplete_details: null, model,
    output: [
      { id: 'rs_1', type: 'reasoning', summary: [] },
      { id: 'msg_1', type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: TEXT.join(''), annotations: [] }] },
    ],
    parallel_tool_calls: true, service_tier: 'default', store: true, temperature: 1, tool_choice: 'auto', tools: [], top_p: 1, truncation: 'disabled',
    usage,
  };
}

/** response.created, in_progress, output items and text deltas, then the end event with usage. */
export function responsesStream(usage: object | null, end = 'response.completed', model = 'gpt-5-mini-2025-08-07'): [string, unknown][] {
  let seq = 0;
  const ev = (type: string, body: object): [string, unknown] => [type, { type, sequence_number: seq++, ...body }];
  const started = { ...response(null, model, 'in_progress'), output: [] };
  return [
    ev('response.created', { response: started }),
    ev('response.in_progress', { response: started }),
    ev('response.output_item.added', { output_index: 0, item: { id: 'rs_1', type: 'reasoning', summary: [] } }),
    ev('response.output_item.done', { output_index: 0, item: { id: 'rs_1', type: 'reasoning', summary: [] } }),
    ev('response.output_item.added', { output_index: 1, item: { id: 'msg_1', type: 'message', status: 'in_progress', role: 'assistant', content: [] } }),
    ev('response.content_part.added', { item_id: 'msg_1', output_index: 1, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } }),
    ...TEXT.map((delta) => ev('response.output_text.delta', { item_id: 'msg_1', output_index: 1, content_index: 0, delta, logprobs: [] })),
    ev('response.output_text.done', { item_id: 'msg_1', output_index: 1, content_index: 0, text: TEXT.join(''), logprobs: [] }),
    ev(end, { response: response(usage, model, end === 'response.completed' ? 'completed' : end === 'response.incomplete' ? 'incomplete' : 'failed') }),
  ];
}

// ---------------------------------------------------------------------------------------------
// Gemini.

/** streamGenerateContent?alt=sse: each chunk a candidate delta with the usage so far (cumulative). */
export function geminiStream(usages: object[], model = 'gemini-2.5-flash'): [null, unknown][] {
  return usages.map((usageMetadata, i): [null, unknown] => [null, {
    candidates: [{
      content: { parts: [{ text: TEXT[i % TEXT.length] }], role: 'model' },
      ...(i === usages.length - 1 ? { finishReason: 'STOP' } : {}),
      index: 0,
    }],
    usageMetadata,
    modelVersion: model,
    responseId: 'mP5pZ7z3Kd6-nvgPwZ-QoQc',
  }]);
}

export function geminiAnswer(usageMetadata: object, model = 'gemini-2.5-flash') {
  return {
    candidates: [{ content: { parts: [{ text: TEXT.join('') }], role: 'model' }, finishReason: 'STOP', avgLogprobs: -0.1, index: 0 }],
    usageMetadata, modelVersion: model, responseId: 'mP5pZ7z3Kd6-nvgPwZ-QoQc',
  };
}

// ---------------------------------------------------------------------------------------------
// Feeding a meter.

/** A small seeded generator, so a failing chunking can be replayed. */
export const rng = mulberry32;

/** The bytes cut at random places (mid-line, mid-character, between \r and \n). */
export function randomChunks(bytes: Buffer, random: () => number, maxSize = 40): Buffer[] {
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length;) {
    const n = 1 + Math.floor(random() * maxSize);
    chunks.push(bytes.subarray(i, i + n));
    i += n;
  }
  return chunks;
}

export function meter(pricing: TokenPricing, model: string | null, contentType: string, chunks: Buffer[], complete = true): TokenMeterResult {
  const m = new TokenMeter(pricing, model, contentType);
  for (const c of chunks) m.push(c);
  return m.finish(complete);
}

/** The same answer metered whole, byte by byte, and in `rounds` random chunkings: all must agree. */
export function meterEveryWay(pricing: TokenPricing, model: string | null, contentType: string, body: string, rounds = 40, complete = true): TokenMeterResult {
  const bytes = Buffer.from(body, 'utf8');
  const whole = meter(pricing, model, contentType, [bytes], complete);
  const ways: Buffer[][] = [[...bytes].map((b) => Buffer.from([b]))];
  for (let seed = 1; seed <= rounds; seed++) ways.push(randomChunks(bytes, rng(seed), seed % 2 ? 7 : 300));
  for (const chunks of ways) {
    const r = meter(pricing, model, contentType, chunks, complete);
    if (JSON.stringify(r) !== JSON.stringify(whole)) throw new Error(`chunking changed the result: ${JSON.stringify(r)} vs ${JSON.stringify(whole)}`);
  }
  return whole;
}
