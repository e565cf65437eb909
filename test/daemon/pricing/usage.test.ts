import { describe, expect, it } from 'vitest';
import { requestedModel, usageReader } from '../../../daemon/pricing/usage.ts';
import { integrationSchema, pricingSchema, tokensPricingSchema } from '../../../daemon/integrations/schema.ts';
import { pricesFor } from '../../../daemon/pricing/prices.ts';
import type { TokenPricing } from '../../../daemon/pricing/token-meter.ts';

describe('the model a request names', () => {
  it('reads the JSON body\'s model for Anthropic, OpenAI and OpenRouter', () => {
    const body = JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 1024, messages: [{ role: 'user', content: 'Héllo, "model": x' }] });
    expect(requestedModel('anthropic', '/v1/messages', body)).toBe('claude-sonnet-4-5');
    expect(requestedModel('openai-chat', '/v1/chat/completions', Buffer.from(JSON.stringify({ messages: [], model: 'gpt-4o-mini', stream: true })))).toBe('gpt-4o-mini');
    expect(requestedModel('openai-responses', '/v1/responses', new TextEncoder().encode('{"model":"gpt-5-mini","input":"hi"}'))).toBe('gpt-5-mini');
    expect(requestedModel('openrouter', '/api/v1/chat/completions', '{"model":"anthropic/claude-sonnet-4.5","messages":[]}')).toBe('anthropic/claude-sonnet-4.5');
  });

  it('names none for a body without a model, not JSON, or naming it twice (parsers disagree on which wins)', () => {
    expect(requestedModel('anthropic', '/v1/messages', undefined)).toBeNull();
    expect(requestedModel('anthropic', '/v1/messages', 'model=claude')).toBeNull();
    expect(requestedModel('anthropic', '/v1/messages', '["claude"]')).toBeNull();
    expect(requestedModel('openai-chat', '/v1/chat/completions', '{"model":7}')).toBeNull();
    expect(requestedModel('openai-responses', '/v1/responses', '{"prompt":{"id":"pmpt_1"},"input":"hi"}')).toBeNull();
    expect(requestedModel('openai-chat', '/v1/chat/completions', '{"model":"gpt-4o-mini","model":"o1-pro"}')).toBeNull();
    // The same key spelled with an escape is the same key.
    expect(requestedModel('openai-chat', '/v1/chat/completions', '{"model":"gpt-4o-mini","mod\\u0065l":"o1-pro"}')).toBeNull();
    // A "model" deeper in the body, or in a string, is not the request's.
    expect(requestedModel('openai-chat', '/v1/chat/completions', '{"model":"gpt-4o-mini","metadata":{"model":"x"},"tools":[{"model":"y"}],"s":"\\"model\\":"}')).toBe('gpt-4o-mini');
    // A string ending in an escaped backslash ends there.
    expect(requestedModel('openai-chat', '/v1/chat/completions', '{"a":"x\\\\","model":"gpt-4o-mini"}')).toBe('gpt-4o-mini');
    expect(requestedModel('openai-chat', '/v1/chat/completions', '{"a":"x\\\\","model":"gpt-4o-mini","model":"o1-pro"}')).toBeNull();
  });

  it('reads Gemini\'s model from the path, for the Gemini API and Vertex AI', () => {
    expect(requestedModel('gemini', '/v1beta/models/gemini-2.5-flash:generateContent', undefined)).toBe('gemini-2.5-flash');
    expect(requestedModel('gemini', '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse', '{"model":"x"}')).toBe('gemini-2.5-flash');
    expect(requestedModel('gemini', '/v1/projects/p/locations/us-central1/publishers/google/models/gemini-2.5-pro:generateContent', undefined)).toBe('gemini-2.5-pro');
    // Percent-encoding is read as the provider reads it.
    expect(requestedModel('gemini', '/v1beta/models/gemini%2D2.5-flash:generateContent', undefined)).toBe('gemini-2.5-flash');
    for (const path of ['/v1beta/models', '/v1beta/tunedModels/mine:generateContent', '/v1beta/models/gemini%2F..%2Fx:generateContent', '/v1beta/models/%E0%A4%A:generateContent']) {
      expect(requestedModel('gemini', path, undefined)).toBeNull();
    }
  });
});

describe('usage readers', () => {
  it('say which model answered, read from the stream\'s first event that names it', () => {
    const r = usageReader('anthropic');
    r.event({ type: 'message_start', message: { model: 'claude-sonnet-4-5-20250929', usage: { input_tokens: 1, output_tokens: 1 } } });
    expect(r.state).toMatchObject({ model: 'claude-sonnet-4-5-20250929', final: false });
    r.event({ type: 'message_delta', delta: {}, usage: { output_tokens: 2 } });
    expect(r.state.final).toBe(true);
  });
});

describe('token pricing in an integration', () => {
  const base = {
    name: 'anthropic', purpose: 'Claude for the coding assistant', account: 'assistant@example.org', baseUrl: 'https://api.anthropic.com',
    auth: { type: 'header', name: 'x-api-key' }, routes: [{ method: 'POST', path: '/v1/messages' }], monthlyCapUsd: 20,
  };
  const tokens = { format: 'anthropic', models: { 'claude-sonnet-4-5': { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 } } };

  it('is readable pricing on its own (the SPEC\'s example)', () => {
    expect(integrationSchema.safeParse({ ...base, pricing: { tokens, maxPerRequestUsd: 2 } }).success).toBe(true);
    expect(pricingSchema.safeParse({ maxPerRequestUsd: 2 }).success).toBe(false);
  });

  it('takes the dataset\'s prices, tiers and all', () => {
    const { models } = pricesFor('anthropic', ['claude-sonnet-4-5', 'claude-opus-4-5']);
    const parsed = tokensPricingSchema.parse({ format: 'anthropic', models });
    expect(parsed).toEqual({ format: 'anthropic', models });
    // What the schema admits is what the meter takes (checked by the type checker).
    const pricing: TokenPricing = parsed;
    expect(pricing.models['claude-sonnet-4-5']?.tiers?.[0]?.aboveInputTokens).toBe(200_000);
  });

  it('refuses negative prices, no models, unknown formats, tiers out of order, and keys that are Object properties', () => {
    const bad = [
      { ...tokens, models: { m: { input: -1, output: 15 } } },
      { ...tokens, models: { m: { input: 3 } } },
      { ...tokens, models: {} },
      { ...tokens, format: 'cohere' },
      { ...tokens, models: { m: { input: 1, output: 1, tiers: [{ aboveInputTokens: 200, input: 2, output: 2 }, { aboveInputTokens: 100, input: 3, output: 3 }] } } },
      { ...tokens, models: { m: { input: 1, output: 1, tiers: [] } } },
      { ...tokens, models: { m: { input: 1, output: 1, cacheRaed: 0.1 } } },
      { ...tokens, models: JSON.parse('{"__proto__":{"input":1,"output":1}}') },
      { ...tokens, models: { 'has space': { input: 1, output: 1 } } },
    ];
    for (const t of bad) expect(tokensPricingSchema.safeParse(t).success, JSON.stringify(t)).toBe(false);
  });
});
