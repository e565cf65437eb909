import { describe, expect, it } from 'vitest';
import { describeTokenPrices } from '../../../daemon/client/prices-text.ts';
import { loadTemplates } from '../../../daemon/integrations/templates.ts';

describe('describeTokenPrices', () => {
  it('names each model with its prices per million tokens, its long-context rates and the prices\' source', () => {
    const tokens = loadTemplates().get('anthropic')!.pricing.tokens!;
    const lines = describeTokenPrices(tokens);
    expect(lines[0]).toBe('per million tokens (anthropic usage):');
    expect(lines).toContain('claude-sonnet-4-5: $3.00 input, $15.00 output, $0.30 cache read, $3.75 cache write; above 200,000 input tokens $6.00 input, $22.50 output');
    expect(lines.at(-1)).toMatch(/^prices: @pydantic\/genai-prices \d+\.\d+\.\d+ \(\d{4}-\d{2}-\d{2}\)$/);
    expect(describeTokenPrices({ format: 'openai-chat', models: { m: { input: 1, output: 2 } } })).toEqual(['per million tokens (openai-chat usage):', 'm: $1.00 input, $2.00 output', 'prices: set by the operator']);
  });
});
