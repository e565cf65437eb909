// The reservation of a model request bounds its cost: for every request shape a route admits and
// every usage the provider can bill for it (input no more than what was sent, or the context
// window where input lives on the provider's side; output no more than the request allows), the
// cost is at most the bound. What cannot be bounded is refused.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PROVIDER_OVERHEAD_TOKENS, requestBound, withOutputLimit } from '../../../daemon/pricing/bound.ts';
import { type TokenPrice, tokenCost } from '../../../daemon/pricing/prices.ts';

const SONNET: TokenPrice = { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75, cacheWrite1h: 6, tiers: [{ aboveInputTokens: 200_000, input: 6, output: 22.5, cacheRead: 0.6, cacheWrite: 7.5, cacheWrite1h: 12 }] };
const WINDOW = { contextWindow: 1_000_000 };
const bytes = (b: unknown) => Buffer.byteLength(JSON.stringify(b));

function bound(format: Parameters<typeof requestBound>[0], body: unknown, price = SONNET, info: { contextWindow?: number } | undefined = WINDOW) {
  return requestBound(format, body, bytes(body), price, info);
}

/** Splits `total` into n non-negative parts. */
const split = (total: number, n: number) => fc.array(fc.nat(), { minLength: n, maxLength: n }).map((w) => {
  const sum = w.reduce((a, b) => a + b, 0) || 1;
  const parts = w.map((x) => Math.floor((x / sum) * total));
  return parts;
});

describe('requestBound', () => {
  it('property: no usage the provider can bill for a request costs more than its bound, at any tier and token class', () => {
    const price = fc.record({
      input: fc.double({ min: 0, max: 50, noNaN: true }), output: fc.double({ min: 0, max: 200, noNaN: true }),
      cacheRead: fc.double({ min: 0, max: 50, noNaN: true }), cacheWrite: fc.double({ min: 0, max: 100, noNaN: true }),
      cacheWrite1h: fc.double({ min: 0, max: 100, noNaN: true }),
    });
    fc.assert(fc.property(
      price, fc.option(price, { nil: undefined }), fc.integer({ min: 1, max: 400_000 }),
      fc.string({ maxLength: 3000 }), fc.integer({ min: 1, max: 64_000 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }),
      (base, tier, threshold, text, maxTokens, inShare, outShare) => {
        const p: TokenPrice = tier ? { ...base, tiers: [{ aboveInputTokens: threshold, ...tier }] } : base;
        // Marked for an hour's caching: every input class is possible.
        const body = { model: 'm', max_tokens: maxTokens, messages: [{ role: 'user', content: [{ type: 'text', text, cache_control: { type: 'ephemeral', ttl: '1h' } }] }] };
        const b = bound('anthropic', body, p);
        expect(b.ok).toBe(true);
        if (!b.ok) return;
        expect(b.inputTokens).toBe(Math.min(bytes(body) + PROVIDER_OVERHEAD_TOKENS, WINDOW.contextWindow));
        expect(b.outputTokens).toBe(maxTokens);
        const input = Math.floor(b.inputTokens * inShare);
        fc.assert(fc.property(split(input, 4), (parts) => {
          const [i, r, w, w1] = parts as [number, number, number, number];
          const usage = { input: i, cacheRead: r, cacheWrite: w, cacheWrite1h: w1, output: Math.floor(b.outputTokens * outShare), inputAudio: 0, cacheReadAudio: 0, outputAudio: 0, outputImage: 0 };
          expect(tokenCost(usage, p)).toBeLessThanOrEqual(b.cost);
        }), { numRuns: 5 });
      },
    ), { numRuns: 300 });
  });

  it('bounds each format by the limit it sets, times its choices', () => {
    const msgs = [{ role: 'user', content: 'hi' }];
    expect(bound('openai-chat', { model: 'm', messages: msgs, max_completion_tokens: 100, n: 3 })).toMatchObject({ ok: true, outputTokens: 300 });
    expect(bound('openai-chat', { model: 'm', messages: msgs, max_tokens: 50 })).toMatchObject({ ok: true, outputTokens: 50 });
    expect(bound('openrouter', { model: 'a/b', messages: msgs, max_tokens: 70 })).toMatchObject({ ok: true, outputTokens: 70 });
    expect(bound('openai-responses', { model: 'm', input: 'hi', max_output_tokens: 900 })).toMatchObject({ ok: true, outputTokens: 900 });
    expect(bound('gemini', { contents: [{ parts: [{ text: 'hi' }] }], generationConfig: { maxOutputTokens: 200, candidateCount: 2 } })).toMatchObject({ ok: true, outputTokens: 400 });
    // No limit: the context window bounds the output too.
    expect(bound('openai-responses', { model: 'm', input: 'hi' })).toMatchObject({ ok: true, outputTokens: WINDOW.contextWindow });
  });

  it('takes the context window, not the bytes, where input lives on the provider\'s side', () => {
    const window = 128_000;
    const cases: [Parameters<typeof requestBound>[0], unknown][] = [
      ['openai-responses', { model: 'm', input: 'and then?', previous_response_id: 'resp_1', max_output_tokens: 10 }],
      ['openai-responses', { model: 'm', input: [{ role: 'user', content: [{ type: 'input_file', file_id: 'file-1' }] }], max_output_tokens: 10 }],
      ['anthropic', { model: 'm', max_tokens: 10, messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0=' } }] }] }],
      ['anthropic', { model: 'm', max_tokens: 10, messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'url', url: 'https://example.org/a.png' } }] }] }],
      ['openai-chat', { model: 'm', max_tokens: 10, messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.org/a.png' } }] }] }],
      ['gemini', { cachedContent: 'cachedContents/1', contents: [], generationConfig: { maxOutputTokens: 10 } }],
      ['gemini', { contents: [{ parts: [{ fileData: { fileUri: 'https://x/files/1' } }] }], generationConfig: { maxOutputTokens: 10 } }],
    ];
    for (const [format, body] of cases) {
      expect(bound(format, body, SONNET, { contextWindow: window }), JSON.stringify(body)).toMatchObject({ ok: true, inputTokens: window });
      expect(bound(format, body, SONNET, {}), JSON.stringify(body)).toMatchObject({ ok: false, reason: expect.stringContaining('context window') });
    }
  });

  it('multiplies by the turns server-side tools may take, and refuses tools it cannot bound', () => {
    const search = { model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'news?' }], tools: [{ type: 'web_search_20250305', name: 'web_search', max_uses: 3 }] };
    const b = bound('anthropic', search, SONNET, { contextWindow: 200_000 });
    expect(b).toMatchObject({ ok: true, inputTokens: Math.min(bytes(search) + PROVIDER_OVERHEAD_TOKENS, 200_000) * 4 });
    const { max_uses: _, ...unbounded } = search.tools[0]!;
    expect(bound('anthropic', { ...search, tools: [unbounded] })).toMatchObject({ ok: false, reason: expect.stringContaining('max_uses') });
    // The assistant's own tools end the turn: nothing to multiply.
    expect(bound('anthropic', { ...search, tools: [{ name: 'read_file', input_schema: { type: 'object' } }] })).toMatchObject({ ok: true });
    expect(bound('openai-responses', { model: 'm', input: 'x', max_output_tokens: 5, tools: [{ type: 'web_search' }] })).toMatchObject({ ok: false });
    expect(bound('openai-responses', { model: 'm', input: 'x', max_output_tokens: 5, tools: [{ type: 'web_search' }], max_tool_calls: 2 })).toMatchObject({ ok: true });
    expect(bound('gemini', { contents: [], tools: [{ googleSearch: {} }], generationConfig: { maxOutputTokens: 5 } })).toMatchObject({ ok: false });
    expect(bound('gemini', { contents: [], tools: [{ functionDeclarations: [] }], generationConfig: { maxOutputTokens: 5 } })).toMatchObject({ ok: true });
  });

  it('refuses what it cannot read', () => {
    expect(bound('anthropic', { model: 'm', messages: [] })).toMatchObject({ ok: false, reason: expect.stringContaining('max_tokens') });
    expect(bound('anthropic', { model: 'm', max_tokens: -1, messages: [] })).toMatchObject({ ok: false });
    expect(bound('openai-chat', { model: 'm', messages: [], n: 0, max_tokens: 5 })).toMatchObject({ ok: false });
    expect(bound('openai-chat', { model: 'm', messages: [], max_tokens: 1.5 })).toMatchObject({ ok: false });
    expect(bound('openai-chat', 'not an object')).toMatchObject({ ok: false });
    expect(bound('openai-chat', { model: 'm', messages: [] }, SONNET, {})).toMatchObject({ ok: false, reason: expect.stringContaining('output limit') });
  });

  it('counts Anthropic cache writes only where the request marks cache_control, 1-hour ones only where it asks', () => {
    const text = (cache?: object) => ({ max_tokens: 0, messages: [{ role: 'user', content: [{ type: 'text', text: 'x', ...(cache ? { cache_control: cache } : {}) }] }] });
    const price: TokenPrice = { input: 1, output: 1, cacheWrite: 2, cacheWrite1h: 4 };
    const cost = (body: object) => {
      const b = requestBound('anthropic', body, 0, price, {});
      return b.ok ? b.cost : null;
    };
    expect(cost(text())).toBe(PROVIDER_OVERHEAD_TOKENS * 1);
    expect(cost(text({ type: 'ephemeral' }))).toBe(PROVIDER_OVERHEAD_TOKENS * 2);
    expect(cost(text({ type: 'ephemeral', ttl: '5m' }))).toBe(PROVIDER_OVERHEAD_TOKENS * 2);
    expect(cost(text({ type: 'ephemeral', ttl: '1h' }))).toBe(PROVIDER_OVERHEAD_TOKENS * 4);
    expect(cost({ ...text(), system: [{ type: 'text', text: 's', cache_control: { type: 'ephemeral', ttl: '1h' } }] })).toBe(PROVIDER_OVERHEAD_TOKENS * 4);
  });

  it('gives a request without an output limit the default one, in its format\'s own field, and leaves others alone', () => {
    expect(withOutputLimit('openai-responses', { model: 'm', input: 'x' }, 100)).toEqual({ model: 'm', input: 'x', max_output_tokens: 100 });
    expect(withOutputLimit('openai-chat', { model: 'm', messages: [] }, 100)).toEqual({ model: 'm', messages: [], max_completion_tokens: 100 });
    expect(withOutputLimit('openrouter', { model: 'm', messages: [] }, 100)).toEqual({ model: 'm', messages: [], max_tokens: 100 });
    expect(withOutputLimit('gemini', { contents: [], generationConfig: { temperature: 0 } }, 100)).toEqual({ contents: [], generationConfig: { temperature: 0, maxOutputTokens: 100 } });
    expect(withOutputLimit('openai-responses', { model: 'm', input: 'x', max_output_tokens: 5 }, 100)).toBeNull();
    expect(withOutputLimit('openai-chat', { model: 'm', messages: [], max_tokens: 5 }, 100)).toBeNull();
    expect(withOutputLimit('anthropic', { model: 'm', messages: [] }, 100)).toBeNull();
    expect(withOutputLimit('openai-chat', [1], 100)).toBeNull();
  });

  it('rounds up, never below the cost', () => {
    const b = requestBound('anthropic', { max_tokens: 1, messages: [] }, 0, { input: 0.1, output: 0.1 }, {});
    // 4096 + 1 tokens at $0.1 per million = 409.7 µ$ → 410.
    expect(b).toEqual({ ok: true, inputTokens: PROVIDER_OVERHEAD_TOKENS, outputTokens: 1, cost: 410 });
  });
});
