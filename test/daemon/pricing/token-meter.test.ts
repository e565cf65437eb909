import { describe, expect, it } from 'vitest';
import type { TokenPrice } from '../../../daemon/pricing/prices.ts';
import { TokenMeter, type TokenPricing } from '../../../daemon/pricing/token-meter.ts';
import {
  anthropicMessage, anthropicStream, chatCompletion, chatStream, geminiAnswer, geminiStream, meter, meterEveryWay,
  response, responsesStream, sse,
} from './streams.ts';

// Public list prices, USD per million tokens (the dataset's, see prices.test.ts).
const SONNET_45: TokenPrice = {
  input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75, cacheWrite1h: 6,
  tiers: [{ aboveInputTokens: 200_000, input: 6, output: 22.5, cacheRead: 0.6, cacheWrite: 7.5, cacheWrite1h: 12 }],
};
const GPT_4O_MINI: TokenPrice = { input: 0.15, output: 0.6, cacheRead: 0.075 };
const GPT_5_MINI: TokenPrice = { input: 0.25, output: 2, cacheRead: 0.025 };
const GPT_5_4: TokenPrice = { input: 2.5, output: 15, cacheRead: 0.25, tiers: [{ aboveInputTokens: 271_999, input: 5, output: 22.5, cacheRead: 0.5 }] };
const GPT_AUDIO: TokenPrice = { input: 2.5, output: 10, inputAudio: 32, outputAudio: 64 };
const GEMINI_25_FLASH: TokenPrice = { input: 0.3, output: 2.5, cacheRead: 0.03, inputAudio: 1, cacheReadAudio: 0.1 };
const GEMINI_25_PRO: TokenPrice = { input: 1.25, output: 10, cacheRead: 0.125, tiers: [{ aboveInputTokens: 200_000, input: 2.5, output: 15, cacheRead: 0.25 }] };
const GEMINI_25_FLASH_IMAGE: TokenPrice = { input: 0.3, output: 2.5, outputImage: 30 };

const anthropic: TokenPricing = { format: 'anthropic', models: { 'claude-sonnet-4-5': SONNET_45 } };
const chat: TokenPricing = { format: 'openai-chat', models: { 'gpt-4o-mini': GPT_4O_MINI, 'gpt-5-mini': GPT_5_MINI, 'gpt-audio': GPT_AUDIO } };
const responses: TokenPricing = { format: 'openai-responses', models: { 'gpt-5-mini': GPT_5_MINI, 'gpt-5.4': GPT_5_4 } };
const gemini: TokenPricing = { format: 'gemini', models: { 'gemini-2.5-flash': GEMINI_25_FLASH, 'gemini-2.5-pro': GEMINI_25_PRO, 'gemini-2.5-flash-image': GEMINI_25_FLASH_IMAGE } };
const openrouter: TokenPricing = { format: 'openrouter', models: { 'anthropic/claude-sonnet-4.5': SONNET_45 } };

const SSE = 'text/event-stream; charset=utf-8';
const JSON_TYPE = 'application/json';

describe('Anthropic Messages', () => {
  const usage = {
    input_tokens: 2095, cache_creation_input_tokens: 1500, cache_read_input_tokens: 30_000,
    cache_creation: { ephemeral_5m_input_tokens: 500, ephemeral_1h_input_tokens: 1000 }, output_tokens: 503, service_tier: 'standard',
  };
  // input 2095 × 3 = 6285; 5-minute writes 500 × 3.75 = 1875; 1-hour writes 1000 × 6 = 6000;
  // cache reads 30000 × 0.3 = 9000; output 503 × 15 = 7545. Sum 30705 µ$.
  const COST = 6285 + 1875 + 6000 + 9000 + 7545;

  it('prices a JSON answer per class: uncached input, 5-minute and 1-hour cache writes, cache reads, output', () => {
    const r = meterEveryWay(anthropic, 'claude-sonnet-4-5', JSON_TYPE, JSON.stringify(anthropicMessage(usage)));
    expect(r.cost).toBe(30_705);
    expect(r.cost).toBe(COST);
    expect(r.readable).toBe(true);
    expect(r.usage).toMatchObject({ input: 2095, cacheWrite: 500, cacheWrite1h: 1000, cacheRead: 30_000, output: 503 });
    // The answer names a dated snapshot that is not listed: the requested model's price stands.
    expect(r).toMatchObject({ respondedModel: 'claude-sonnet-4-5-20250929', pricedModel: 'claude-sonnet-4-5' });
  });

  it('reads a stream: message_start counts, then message_delta\'s cumulative output — never added up', () => {
    const start = { ...usage, output_tokens: 1 };
    const body = sse(anthropicStream(start, { output_tokens: 503 }));
    const r = meterEveryWay(anthropic, 'claude-sonnet-4-5', SSE, body);
    // 503 output tokens, not 1 + 503.
    expect(r).toMatchObject({ cost: COST, readable: true });
    expect(r.usage?.output).toBe(503);
  });

  it('takes the input and cache counts message_delta repeats (newer API versions) as totals too', () => {
    const start = { input_tokens: 2095, cache_creation_input_tokens: 1500, cache_read_input_tokens: 30_000, cache_creation: usage.cache_creation, output_tokens: 1 };
    const delta = { input_tokens: 2095, cache_creation_input_tokens: 1500, cache_read_input_tokens: 30_000, output_tokens: 503 };
    expect(meterEveryWay(anthropic, 'claude-sonnet-4-5', SSE, sse(anthropicStream(start, delta))).cost).toBe(COST);
    // And a delta that raises a count (e.g. server tools read more input) replaces it:
    // input 3000 × 3 = 9000 instead of 6285.
    const grown = { ...delta, input_tokens: 3000 };
    expect(meterEveryWay(anthropic, 'claude-sonnet-4-5', SSE, sse(anthropicStream(start, grown))).cost).toBe(COST - 6285 + 9000);
  });

  it('reads CRLF line ends and lone CRs the same', () => {
    const events = anthropicStream({ ...usage, output_tokens: 1 }, { output_tokens: 503 });
    expect(meterEveryWay(anthropic, 'claude-sonnet-4-5', SSE, sse(events, '\r\n')).cost).toBe(COST);
    expect(meterEveryWay(anthropic, 'claude-sonnet-4-5', SSE, sse(events, '\r')).cost).toBe(COST);
  });

  it('joins an event\'s data lines, whichever line ends split across chunks', () => {
    // SSE allows one event's data over several `data:` lines (joined by \n); a \r\n cut between
    // two chunks is still one line end, not an empty line that would end the event early.
    const events = anthropicStream({ ...usage, output_tokens: 1 }, { output_tokens: 503 });
    for (const eol of ['\n', '\r\n', '\r']) {
      const body = sse(events, eol).replace('"usage":{"output_tokens":503}', `"usage":${eol}data: {"output_tokens":503}`);
      expect(body).toContain(`data: {"output_tokens":503}}${eol}${eol}`);
      expect(meterEveryWay(anthropic, 'claude-sonnet-4-5', SSE, body)).toMatchObject({ cost: COST, readable: true });
    }
  });

  it('prices all cache writes as 5-minute ones when the answer gives no TTL breakdown', () => {
    const { cache_creation: _, ...plain } = usage;
    // 1500 × 3.75 = 5625 instead of 1875 + 6000.
    expect(meterEveryWay(anthropic, 'claude-sonnet-4-5', JSON_TYPE, JSON.stringify(anthropicMessage(plain))).cost).toBe(6285 + 5625 + 9000 + 7545);
  });

  it('bills the whole request at the long-context rates above 200k input tokens, cache included', () => {
    const long = { input_tokens: 150_000, cache_read_input_tokens: 60_000, cache_creation_input_tokens: 0, output_tokens: 1000 };
    // 210000 input tokens > 200000: input 150000 × 6 = 900000; reads 60000 × 0.6 = 36000; output 1000 × 22.5 = 22500.
    expect(meterEveryWay(anthropic, 'claude-sonnet-4-5', JSON_TYPE, JSON.stringify(anthropicMessage(long))).cost).toBe(958_500);
    // Exactly 200000 is not above: 200000 × 3 + 10 × 15 = 600150; 200001 is: 200001 × 6 + 10 × 22.5 = 1200231.
    const at = (n: number) => JSON.stringify(anthropicMessage({ input_tokens: n, output_tokens: 10 }));
    expect(meter(anthropic, 'claude-sonnet-4-5', JSON_TYPE, [Buffer.from(at(200_000))]).cost).toBe(600_150);
    expect(meter(anthropic, 'claude-sonnet-4-5', JSON_TYPE, [Buffer.from(at(200_001))]).cost).toBe(1_200_231);
  });

  it('notes what tokens do not price: server tools, a priority tier, US-only inference', () => {
    const r = meter(anthropic, 'claude-sonnet-4-5', JSON_TYPE, [Buffer.from(JSON.stringify(anthropicMessage({
      input_tokens: 10, output_tokens: 10, server_tool_use: { web_search_requests: 2, web_fetch_requests: 0 }, service_tier: 'priority', inference_geo: 'us',
    })))]);
    expect(r.usage?.unmetered).toEqual(['web_search_requests=2', 'service_tier=priority', 'inference_geo=us']);
    expect(r.cost).toBe(10 * 3 + 10 * 15);
  });

  it('is unreadable when the stream is cut before message_delta, readable when cut just after it', () => {
    const events = anthropicStream({ ...usage, output_tokens: 1 }, { output_tokens: 503 });
    const beforeDelta = sse(events.slice(0, -2));
    const r = meterEveryWay(anthropic, 'claude-sonnet-4-5', SSE, beforeDelta, 10, false);
    expect(r.readable).toBe(false);
    // What was read is a lower bound only: 1 output token so far.
    expect(r.cost).toBe(6285 + 1875 + 6000 + 9000 + 15);
    expect(meterEveryWay(anthropic, 'claude-sonnet-4-5', SSE, sse(events.slice(0, -1)), 10, false)).toMatchObject({ cost: COST, readable: true });
    // A stream that ends (error event) without message_delta never had its final usage.
    const errored = sse([...events.slice(0, 4), ['error', { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }]]);
    expect(meterEveryWay(anthropic, 'claude-sonnet-4-5', SSE, errored).readable).toBe(false);
  });
});

describe('OpenAI Chat Completions', () => {
  const usage = {
    prompt_tokens: 2500, completion_tokens: 800, total_tokens: 3300,
    prompt_tokens_details: { cached_tokens: 1280, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
  // cached_tokens are part of prompt_tokens: (2500 − 1280) × 0.15 = 183; 1280 × 0.075 = 96; 800 × 0.6 = 480.
  const COST = 183 + 96 + 480;

  it('prices cached input apart from the rest of the prompt', () => {
    const r = meterEveryWay(chat, 'gpt-4o-mini', JSON_TYPE, JSON.stringify(chatCompletion(usage)));
    expect(r).toMatchObject({ cost: 759, readable: true, pricedModel: 'gpt-4o-mini', respondedModel: 'gpt-4o-mini-2024-07-18' });
    expect(r.cost).toBe(COST);
    expect(r.usage).toMatchObject({ input: 1220, cacheRead: 1280, output: 800 });
  });

  it('reads the usage chunk that ends a stream (stream_options.include_usage), before [DONE]', () => {
    expect(meterEveryWay(chat, 'gpt-4o-mini', SSE, sse(chatStream(usage)))).toMatchObject({ cost: COST, readable: true });
  });

  it('bills reasoning tokens once: they are part of completion_tokens', () => {
    const reasoning = { prompt_tokens: 1000, completion_tokens: 1500, total_tokens: 2500, completion_tokens_details: { reasoning_tokens: 1200 } };
    // 1000 × 0.25 = 250; 1500 × 2 = 3000 (not 2700 × 2).
    const r = meterEveryWay(chat, 'gpt-5-mini', SSE, sse(chatStream(reasoning, 'gpt-5-mini-2025-08-07')));
    expect(r.cost).toBe(3250);
    expect(r.usage).toMatchObject({ output: 1500, reasoning: 1200 });
  });

  it('prices audio tokens at the audio rates where the model has them', () => {
    const audio = {
      prompt_tokens: 1000, completion_tokens: 500, total_tokens: 1500,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 800 }, completion_tokens_details: { audio_tokens: 400 },
    };
    // text in 200 × 2.5 = 500; audio in 800 × 32 = 25600; text out 100 × 10 = 1000; audio out 400 × 64 = 25600.
    expect(meterEveryWay(chat, 'gpt-audio', JSON_TYPE, JSON.stringify(chatCompletion(audio, 'gpt-audio-2025-08-28'))).cost).toBe(52_700);
  });

  it('is unreadable without a usage chunk (include_usage not set), or cut before it', () => {
    expect(meterEveryWay(chat, 'gpt-4o-mini', SSE, sse(chatStream(null))).readable).toBe(false);
    const events = chatStream(usage);
    expect(meterEveryWay(chat, 'gpt-4o-mini', SSE, sse(events.slice(0, -2)), 10, false).readable).toBe(false);
    // Cut after the usage chunk, before [DONE]: the usage is final.
    expect(meterEveryWay(chat, 'gpt-4o-mini', SSE, sse(events.slice(0, -1)), 10, false)).toMatchObject({ cost: COST, readable: true });
  });

  it('is unreadable for an error answer, a cut JSON answer, and counters that are not token counts', () => {
    const error = JSON.stringify({ error: { message: 'Rate limit reached', type: 'requests', param: null, code: 'rate_limit_exceeded' } });
    expect(meter(chat, 'gpt-4o-mini', JSON_TYPE, [Buffer.from(error)]).readable).toBe(false);
    const whole = JSON.stringify(chatCompletion(usage));
    expect(meter(chat, 'gpt-4o-mini', JSON_TYPE, [Buffer.from(whole)], false).readable).toBe(false);
    for (const bad of [{ ...usage, completion_tokens: -5 }, { ...usage, prompt_tokens: '2500' }, { ...usage, completion_tokens: 1.5 }, { ...usage, prompt_tokens: 100 }]) {
      expect(meter(chat, 'gpt-4o-mini', JSON_TYPE, [Buffer.from(JSON.stringify(chatCompletion(bad)))]).readable).toBe(false);
    }
  });

  it('prices the answer\'s model when it is listed, the requested one otherwise, and nothing unlisted', () => {
    const body = JSON.stringify(chatCompletion(usage, 'gpt-5-mini'));
    // The request named gpt-4o-mini, the answer says gpt-5-mini (listed): 1220 × 0.25 = 305; 1280 × 0.025 = 32; 800 × 2 = 1600.
    expect(meter(chat, 'gpt-4o-mini', JSON_TYPE, [Buffer.from(body)])).toMatchObject({ cost: 1937, pricedModel: 'gpt-5-mini' });
    const unlisted = meter(chat, 'o3', JSON_TYPE, [Buffer.from(JSON.stringify(chatCompletion(usage, 'o3-2025-04-16')))]);
    expect(unlisted).toMatchObject({ readable: false, pricedModel: null, cost: 0 });
    // A model named like an Object property is not a price.
    expect(meter(chat, 'constructor', JSON_TYPE, [Buffer.from(JSON.stringify(chatCompletion(usage, 'toString')))]).readable).toBe(false);
  });
});

describe('OpenAI Responses', () => {
  const usage = {
    input_tokens: 12_000, input_tokens_details: { cached_tokens: 8000 },
    output_tokens: 2100, output_tokens_details: { reasoning_tokens: 1600 }, total_tokens: 14_100,
  };
  // (12000 − 8000) × 0.25 = 1000; 8000 × 0.025 = 200; 2100 × 2 = 4200 (reasoning included once).
  const COST = 1000 + 200 + 4200;

  it('prices a JSON answer and the response.completed event of a stream alike', () => {
    expect(meterEveryWay(responses, 'gpt-5-mini', JSON_TYPE, JSON.stringify(response(usage)))).toMatchObject({ cost: COST, readable: true });
    const r = meterEveryWay(responses, 'gpt-5-mini', SSE, sse(responsesStream(usage)));
    expect(r).toMatchObject({ cost: 5400, readable: true, respondedModel: 'gpt-5-mini-2025-08-07' });
    expect(r.usage).toMatchObject({ input: 4000, cacheRead: 8000, output: 2100, reasoning: 1600 });
  });

  it('reads the usage of response.incomplete and response.failed', () => {
    expect(meterEveryWay(responses, 'gpt-5-mini', SSE, sse(responsesStream(usage, 'response.incomplete'))).cost).toBe(COST);
    expect(meterEveryWay(responses, 'gpt-5-mini', SSE, sse(responsesStream(usage, 'response.failed'))).cost).toBe(COST);
    expect(meterEveryWay(responses, 'gpt-5-mini', SSE, sse(responsesStream(null, 'response.failed'))).readable).toBe(false);
  });

  it('applies the long-context tier above 272k input tokens', () => {
    const long = { input_tokens: 300_000, input_tokens_details: { cached_tokens: 100_000 }, output_tokens: 1000, output_tokens_details: { reasoning_tokens: 0 } };
    // 300000 > 271999: 200000 × 5 = 1000000; 100000 × 0.5 = 50000; 1000 × 22.5 = 22500.
    expect(meterEveryWay(responses, 'gpt-5.4', SSE, sse(responsesStream(long, 'response.completed', 'gpt-5.4-2026-03-05')), 5).cost).toBe(1_072_500);
  });

  it('is unreadable when cut before response.completed, and for a background response still queued', () => {
    const events = responsesStream(usage);
    expect(meterEveryWay(responses, 'gpt-5-mini', SSE, sse(events.slice(0, -1)), 10, false).readable).toBe(false);
    expect(meter(responses, 'gpt-5-mini', JSON_TYPE, [Buffer.from(JSON.stringify(response(null, 'gpt-5-mini', 'queued')))]).readable).toBe(false);
  });

  it('notes built-in tool calls, which are billed per call', () => {
    const doc = response(usage);
    doc.output.push({ id: 'ws_1', type: 'web_search_call', status: 'completed' } as never, { id: 'ws_2', type: 'web_search_call', status: 'completed' } as never);
    expect(meter(responses, 'gpt-5-mini', JSON_TYPE, [Buffer.from(JSON.stringify(doc))]).usage?.unmetered).toEqual(['web_search_call=2']);
  });
});

describe('Gemini', () => {
  const details = [{ modality: 'TEXT', tokenCount: 5000 }];
  const first = { promptTokenCount: 5000, candidatesTokenCount: 3, totalTokenCount: 5403, cachedContentTokenCount: 4000, promptTokensDetails: details, thoughtsTokenCount: 400 };
  const last = {
    promptTokenCount: 5000, candidatesTokenCount: 120, totalTokenCount: 5520, cachedContentTokenCount: 4000,
    promptTokensDetails: details, cacheTokensDetails: [{ modality: 'TEXT', tokenCount: 4000 }], thoughtsTokenCount: 400,
  };
  // Cached tokens are part of the prompt: (5000 − 4000) × 0.3 = 300; 4000 × 0.03 = 120.
  // Thoughts are output but not in candidatesTokenCount: (120 + 400) × 2.5 = 1300.
  const COST = 300 + 120 + 1300;

  it('reads cumulative usageMetadata chunk by chunk: the last one wins', () => {
    const mid = { ...first, candidatesTokenCount: 60, totalTokenCount: 5460 };
    const r = meterEveryWay(gemini, 'gemini-2.5-flash', SSE, sse(geminiStream([first, mid, last]), '\r\n'));
    expect(r).toMatchObject({ cost: 1720, readable: true, respondedModel: 'gemini-2.5-flash' });
    expect(r.cost).toBe(COST);
    expect(r.usage).toMatchObject({ input: 1000, cacheRead: 4000, output: 520, reasoning: 400 });
  });

  it('reads a generateContent answer, and streamGenerateContent\'s JSON array without alt=sse', () => {
    expect(meterEveryWay(gemini, 'gemini-2.5-flash', JSON_TYPE, JSON.stringify(geminiAnswer(last))).cost).toBe(COST);
    const array = JSON.stringify(geminiStream([first, last]).map(([, chunk]) => chunk));
    expect(meterEveryWay(gemini, 'gemini-2.5-flash', JSON_TYPE, array).cost).toBe(COST);
  });

  it('bills tool-use prompt tokens as input', () => {
    // input (5000 − 4000 + 700) × 0.3 = 510; reads 120; output 1300.
    expect(meterEveryWay(gemini, 'gemini-2.5-flash', JSON_TYPE, JSON.stringify(geminiAnswer({ ...last, toolUsePromptTokenCount: 700 }))).cost).toBe(510 + 120 + 1300);
  });

  it('prices audio input, cached or not, at the audio rates', () => {
    const audio = {
      promptTokenCount: 5000, cachedContentTokenCount: 2000, candidatesTokenCount: 100, totalTokenCount: 5100,
      promptTokensDetails: [{ modality: 'TEXT', tokenCount: 2000 }, { modality: 'AUDIO', tokenCount: 3000 }],
      cacheTokensDetails: [{ modality: 'TEXT', tokenCount: 1000 }, { modality: 'AUDIO', tokenCount: 1000 }],
    };
    // Uncached: 3000, of which audio 3000 − 1000 = 2000: text 1000 × 0.3 = 300, audio 2000 × 1 = 2000.
    // Cached: text 1000 × 0.03 = 30, audio 1000 × 0.1 = 100. Output 100 × 2.5 = 250.
    expect(meterEveryWay(gemini, 'gemini-2.5-flash', JSON_TYPE, JSON.stringify(geminiAnswer(audio))).cost).toBe(2680);
  });

  it('prices image output at the image rate', () => {
    const image = {
      promptTokenCount: 20, candidatesTokenCount: 1300, totalTokenCount: 1320,
      candidatesTokensDetails: [{ modality: 'TEXT', tokenCount: 10 }, { modality: 'IMAGE', tokenCount: 1290 }],
    };
    // 20 × 0.3 = 6; text out 10 × 2.5 = 25; image out 1290 × 30 = 38700.
    expect(meterEveryWay(gemini, 'gemini-2.5-flash-image', JSON_TYPE, JSON.stringify(geminiAnswer(image, 'gemini-2.5-flash-image'))).cost).toBe(38_731);
  });

  it('applies the long-context tier above 200k prompt tokens', () => {
    const long = { promptTokenCount: 250_000, candidatesTokenCount: 600, thoughtsTokenCount: 400, totalTokenCount: 251_000 };
    // 250000 × 2.5 = 625000; (600 + 400) × 15 = 15000.
    expect(meterEveryWay(gemini, 'gemini-2.5-pro', SSE, sse(geminiStream([long], 'gemini-2.5-pro')), 5).cost).toBe(640_000);
  });

  it('is unreadable when cut before the chunk with the finishReason, though earlier chunks carried usage', () => {
    const events = geminiStream([first, last]);
    const cut = meterEveryWay(gemini, 'gemini-2.5-flash', SSE, sse(events.slice(0, 1)), 10, false);
    expect(cut.readable).toBe(false);
    expect(cut.usage?.output).toBe(403);
    expect(meterEveryWay(gemini, 'gemini-2.5-flash', SSE, sse(events.slice(0, 1))).readable).toBe(false);
  });

  it('bills a blocked prompt its prompt tokens', () => {
    const blocked = { promptFeedback: { blockReason: 'SAFETY' }, usageMetadata: { promptTokenCount: 1000, totalTokenCount: 1000 }, modelVersion: 'gemini-2.5-flash' };
    expect(meterEveryWay(gemini, 'gemini-2.5-flash', SSE, sse([[null, blocked]]))).toMatchObject({ cost: 300, readable: true });
  });
});

describe('OpenRouter', () => {
  const tokens = { prompt_tokens: 194, completion_tokens: 2, total_tokens: 196, prompt_tokens_details: { cached_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0 } };
  const stream = (usage: object) => {
    const events = chatStream(usage, 'anthropic/claude-sonnet-4.5');
    // OpenRouter keeps the connection alive with SSE comments.
    return `: OPENROUTER PROCESSING\n\n${sse(events.slice(0, 3))}: OPENROUTER PROCESSING\n\n${sse(events.slice(3))}`;
  };

  it('uses the cost it reports, in USD, rounded to the micro-dollar', () => {
    const r = meterEveryWay(openrouter, 'anthropic/claude-sonnet-4.5', SSE, stream({ ...tokens, cost: 0.00123456, is_byok: false, cost_details: { upstream_inference_cost: null } }));
    // 0.00123456 USD = 1234.56 µ$ → 1235.
    expect(r).toMatchObject({ cost: 1235, readable: true });
  });

  it('adds the upstream cost of a call on the operator\'s own provider key (BYOK) to OpenRouter\'s fee', () => {
    const r = meterEveryWay(openrouter, 'anthropic/claude-sonnet-4.5', JSON_TYPE, JSON.stringify(chatCompletion(
      { ...tokens, cost: 0.0005, is_byok: true, cost_details: { upstream_inference_cost: 0.01 } }, 'anthropic/claude-sonnet-4.5',
    )));
    // 0.0005 + 0.01 USD = 10500 µ$.
    expect(r.cost).toBe(10_500);
  });

  it('prices the tokens when no cost is reported', () => {
    // 194 × 3 = 582; 2 × 15 = 30.
    expect(meterEveryWay(openrouter, 'anthropic/claude-sonnet-4.5', SSE, stream(tokens))).toMatchObject({ cost: 612, readable: true });
  });

  it('is unreadable when cut before the usage chunk', () => {
    const events = chatStream({ ...tokens, cost: 0.001 }, 'anthropic/claude-sonnet-4.5');
    expect(meterEveryWay(openrouter, 'anthropic/claude-sonnet-4.5', SSE, sse(events.slice(0, -2)), 10, false).readable).toBe(false);
  });
});

describe('the meter on large answers', () => {
  it('stays linear on a multi-megabyte stream and on one multi-megabyte event', () => {
    const delta = { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'ü日🎉 lorem ipsum dolor sit amet '.repeat(4) } };
    const events = anthropicStream({ input_tokens: 10, output_tokens: 1 }, { output_tokens: 100_000 });
    const many: [string, unknown][] = [...events.slice(0, 3), ...Array.from({ length: 40_000 }, (): [string, unknown] => ['content_block_delta', delta]), ...events.slice(-3)];
    const body = Buffer.from(sse(many));
    expect(body.length).toBeGreaterThan(8_000_000);
    const big = Buffer.from(sse(responsesStream({ input_tokens: 10, output_tokens: 10 }).map(([name, data]) => name === 'response.completed'
      ? [name, { ...(data as object), padding: 'x'.repeat(8_000_000) }] : [name, data])));
    // 10 × 3 + 100000 × 15 = 1500030; 10 × 0.25 + 10 × 2 = 22.5, rounded half up once: 23.
    for (const [pricing, model, bytes, cost] of [[anthropic, 'claude-sonnet-4-5', body, 1_500_030], [responses, 'gpt-5-mini', big, 23]] as const) {
      const started = performance.now();
      const m = new TokenMeter(pricing, model, SSE);
      for (let i = 0; i < bytes.length; i += 16_384) m.push(bytes.subarray(i, i + 16_384));
      expect(m.finish(true)).toMatchObject({ cost, readable: true });
      expect(performance.now() - started).toBeLessThan(3000);
    }
  });
});
