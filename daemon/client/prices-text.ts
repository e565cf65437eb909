// A model provider's prices as the operator reads them, the same in the CLI and in the window:
// one line per model, then where the prices come from.
import type { TokensPricingSpec } from '../integrations/schema.ts';
import { usd } from '../money.ts';

export function describeTokenPrices(t: TokensPricingSpec): string[] {
  const lines = Object.entries(t.models).map(([id, p]) => {
    const classes = [`${usd(p.input)} input`, `${usd(p.output)} output`];
    if (p.cacheRead !== undefined) classes.push(`${usd(p.cacheRead)} cache read`);
    if (p.cacheWrite !== undefined) classes.push(`${usd(p.cacheWrite)} cache write`);
    const tier = p.tiers?.[0];
    const above = tier ? `; above ${tier.aboveInputTokens.toLocaleString('en')} input tokens ${usd(tier.input)} input, ${usd(tier.output)} output` : '';
    return `${id}: ${classes.join(', ')}${above}`;
  });
  return [`per million tokens (${t.format} usage):`, ...lines, `prices: ${t.source ?? 'set by the operator'}`];
}
