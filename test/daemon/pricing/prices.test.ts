import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  DATASET_PROVIDERS, priceSource, pricesFor, ratesAt, scaledPrice, tokenCost, type BilledTokens, type TokenPrice,
} from '../../../daemon/pricing/prices.ts';
import { tokensPricingSchema } from '../../../daemon/integrations/schema.ts';

const installed = JSON.parse(readFileSync(new URL('../../../node_modules/@pydantic/genai-prices/package.json', import.meta.url), 'utf8')) as { version: string };

const tokens = (t: Partial<BilledTokens>): BilledTokens => ({
  input: 0, cacheRead: 0, cacheWrite: 0, cacheWrite1h: 0, output: 0, inputAudio: 0, cacheReadAudio: 0, outputAudio: 0, outputImage: 0, ...t,
});

describe('prices from the dataset', () => {
  it('names its source: the package, its installed version, and that version\'s publish date', () => {
    expect(priceSource()).toEqual({ name: '@pydantic/genai-prices', version: installed.version, date: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) });
    // Updating the package without recording its date (prices.ts PUBLISHED) fails here.
    expect(priceSource().date).not.toBeNull();
    expect(pricesFor('anthropic', ['claude-sonnet-4-5']).source).toEqual(priceSource());
  });

  it('prices well-known models as their providers list them', () => {
    const at = new Date('2026-10-01T00:00:00Z');
    const sonnet = pricesFor('anthropic', ['claude-sonnet-4-5', 'claude-sonnet-4-5-20250929'], { at });
    const expected: TokenPrice = {
      input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75, cacheWrite1h: 6,
      tiers: [{ aboveInputTokens: 200_000, input: 6, output: 22.5, cacheRead: 0.6, cacheWrite: 7.5, cacheWrite1h: 12 }],
    };
    expect(sonnet.models['claude-sonnet-4-5']).toEqual(expected);
    // A dated snapshot, as requests name it, resolves to the same model.
    expect(sonnet.models['claude-sonnet-4-5-20250929']).toEqual(expected);
    expect(sonnet.info['claude-sonnet-4-5-20250929']).toEqual({ datasetId: 'claude-sonnet-4-5', contextWindow: 200_000, unmetered: ['web_searches_kcount'] });

    const openai = pricesFor('openai', ['gpt-4o-mini', 'gpt-5.4'], { at });
    expect(openai.models['gpt-4o-mini']).toEqual({ input: 0.15, output: 0.6, cacheRead: 0.075 });
    expect(openai.models['gpt-5.4']).toEqual({ input: 2.5, output: 15, cacheRead: 0.25, tiers: [{ aboveInputTokens: 271_999, input: 5, output: 22.5, cacheRead: 0.5 }] });
    expect(openai.info['gpt-4o-mini']?.contextWindow).toBe(128_000);

    const google = pricesFor('google', ['gemini-2.5-flash', 'gemini-2.5-pro'], { at });
    expect(google.models['gemini-2.5-flash']).toEqual({ input: 0.3, output: 2.5, cacheRead: 0.03, inputAudio: 1, cacheReadAudio: 0.1 });
    expect(google.info['gemini-2.5-flash']?.contextWindow).toBe(1_048_576);
    expect(google.models['gemini-2.5-pro']?.tiers).toEqual([{ aboveInputTokens: 200_000, input: 2.5, output: 15, cacheRead: 0.25 }]);

    const openrouter = pricesFor('openrouter', ['anthropic/claude-sonnet-4.5', 'openai/gpt-4o-mini'], { at });
    expect(openrouter.models['openai/gpt-4o-mini']).toEqual({ input: 0.15, output: 0.6, cacheRead: 0.075 });
    expect(openrouter.models['anthropic/claude-sonnet-4.5']?.input).toBe(3);
  });

  it('keeps per-rate tiers apart: a rate without a tier keeps its price above the threshold', () => {
    // x-ai/grok-4-fast on OpenRouter: input and output double above 128k, cache reads do not.
    expect(pricesFor('openrouter', ['x-ai/grok-4-fast']).models['x-ai/grok-4-fast']).toEqual({
      input: 0.2, output: 0.5, cacheRead: 0.05, tiers: [{ aboveInputTokens: 128_000, input: 0.4, output: 1, cacheRead: 0.05 }],
    });
  });

  it('picks the price in force at a date: historic and announced prices', () => {
    // o3's price dropped on 2025-06-10.
    expect(pricesFor('openai', ['o3'], { at: new Date('2025-06-01') }).models.o3).toMatchObject({ input: 10, output: 40 });
    expect(pricesFor('openai', ['o3'], { at: new Date('2025-06-10') }).models.o3).toMatchObject({ input: 2, output: 8 });
  });

  it('reports asked-for models it cannot price per token, and never keys a price by an Object property', () => {
    const list = pricesFor('openai', ['gpt-4o-mini', 'no-such-model', 'text-embedding-3-small', 'constructor', '__proto__']);
    expect(Object.keys(list.models)).toEqual(['gpt-4o-mini']);
    expect(list.missing).toEqual(['no-such-model', 'text-embedding-3-small', 'constructor', '__proto__']);
  });

  it('lists every current model of each provider, each valid as an integration\'s token pricing', () => {
    for (const provider of DATASET_PROVIDERS) {
      const list = pricesFor(provider);
      expect(Object.keys(list.models).length).toBeGreaterThan(10);
      expect(tokensPricingSchema.safeParse({ format: 'anthropic', models: list.models }).success).toBe(true);
      for (const [id, price] of Object.entries(list.models)) {
        expect(list.info[id]?.datasetId).toBe(id);
        expect(price.input).toBeGreaterThanOrEqual(0);
      }
    }
    expect(Object.keys(pricesFor('anthropic').models)).toContain('claude-sonnet-4-5');
  });
});

describe('exact costs', () => {
  it('reads a price as the decimal it was written as', () => {
    expect(scaledPrice(0.3)).toBe(300_000_000_000n);
    expect(scaledPrice(0.01875)).toBe(18_750_000_000n);
    expect(scaledPrice(3.75)).toBe(3_750_000_000_000n);
    expect(scaledPrice(1e-7)).toBe(100_000n);
    expect(scaledPrice(270)).toBe(270_000_000_000_000n);
    expect(() => scaledPrice(-1)).toThrow(RangeError);
  });

  it('sums exactly and rounds once, half up, where floats would drift', () => {
    const price: TokenPrice = { input: 0.1, output: 0.2, cacheRead: 0.01875 };
    // 3 × 0.1 + 3 × 0.2 = 0.9 µ$ exactly (0.1 × 3 + 0.2 × 3 is 0.9000000000000001 in floats) → 1.
    expect(tokenCost(tokens({ input: 3, output: 3 }), price)).toBe(1);
    // 20 × 0.01875 = 0.375 → 0; 40 × 0.01875 = 0.75 → 1.
    expect(tokenCost(tokens({ cacheRead: 20 }), price)).toBe(0);
    expect(tokenCost(tokens({ cacheRead: 40 }), price)).toBe(1);
    // 5 × 0.1 + 5 × 0.2 = 1.5 → 2.
    expect(tokenCost(tokens({ input: 5, output: 5 }), price)).toBe(2);
    // 4 × 0.1 = 0.4 and 1 × 0.2 = 0.2: rounding each would give 0; the sum 0.6 rounds to 1.
    expect(tokenCost(tokens({ input: 4, output: 1 }), price)).toBe(1);
    // A large call stays exact: 987654321 × 0.3 = 296296296.3 µ$.
    expect(tokenCost(tokens({ input: 987_654_321 }), { input: 0.3, output: 0 })).toBe(296_296_296);
  });

  it('falls back, for a rate the price leaves out, to the rate that bills the same tokens without it', () => {
    const price: TokenPrice = { input: 2, output: 8 };
    // Cache reads and writes at input, 1-hour writes at the 5-minute rate, audio and images as text.
    expect(tokenCost(tokens({ input: 10, cacheRead: 10, cacheWrite: 10, cacheWrite1h: 10, output: 10, inputAudio: 5, outputImage: 5 }), price)).toBe(40 * 2 + 10 * 8);
    expect(tokenCost(tokens({ cacheWrite1h: 100 }), { input: 2, output: 8, cacheWrite: 2.5 })).toBe(250);
  });

  it('chooses the highest tier the request\'s input exceeds, whatever the order written', () => {
    const price: TokenPrice = {
      input: 1, output: 1,
      tiers: [{ aboveInputTokens: 500, input: 3, output: 3 }, { aboveInputTokens: 100, input: 2, output: 2 }],
    };
    expect(ratesAt(price, 100).input).toBe(1);
    expect(ratesAt(price, 101).input).toBe(2);
    expect(ratesAt(price, 501).input).toBe(3);
    // Cache reads and writes count toward the threshold: 50 + 30 + 30 = 110 > 100.
    expect(tokenCost(tokens({ input: 50, cacheRead: 30, cacheWrite: 30 }), price)).toBe(110 * 2);
  });
});
