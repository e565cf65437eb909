// Integration definitions and proposals in words, for read-only summaries.
import type { IntegrationSpec, Proposal } from '../daemon/control-types.ts';
import { usd, usdPerUnit } from './format.ts';
import { describeTokenPrices } from '../daemon/client/prices-text.ts';

export function describeAuth(a: IntegrationSpec['auth']): string {
  switch (a.type) {
    case 'header':
      return `Header ${a.name}${a.prefix ? `, prefixed “${a.prefix}”` : ''}`;
    case 'bearer':
      return 'Bearer token in the Authorization header';
    case 'query':
      return `Query parameter ${a.name}`;
  }
}

export function describePricing(p: IntegrationSpec['pricing']): string {
  if (p.tokens) return [...describeTokenPrices(p.tokens), `each call reserves the most its request can cost, at most ${usd(p.maxPerRequestUsd)}`].join('\n');
  const parts = [
    ...(p.perRequestUsd !== undefined ? [`${usd(p.perRequestUsd)} per request`] : []),
    ...(p.costPointer ? [`the cost the provider reports at ${p.costPointer}`] : []),
    ...(p.usage ?? []).map((u) => `${u.pointer} × ${usdPerUnit(u.usdPerUnit)}`),
  ];
  return `${parts.join(' + ')}; each call reserves at most ${usd(p.maxPerRequestUsd)}`;
}

export const describeRateLimit = (r: IntegrationSpec['rateLimit']): string => `${r.perMinute} a minute, ${r.concurrent} at once`;

// Loose on purpose: a proposal's routes are the assistant's free text.
export const describeRoute = (r: { method: string; path: string }): string => `${r.method} ${r.path}`;

export function describeProposal(p: Proposal): string {
  const b = p.body;
  return b.kind === 'raise_cap' ? `Raise the cap of ${b.integration} to ${usd(b.monthlyCapUsd)}` : `New integration: ${b.name}`;
}
