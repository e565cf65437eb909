// Step "price the call": what a call reserves and how its answer is metered. A free route costs
// nothing; a model provider's call names a listed model and reserves the most its request can cost
// (daemon/pricing/bound.ts); any other call reserves its integration's maximum.
import { TollgateError } from '../errors.ts';
import type { Integration } from '../integrations/integration.ts';
import { type Micros, usdOfMicros, usdToMicros } from '../money.ts';
import { requestBound, withOutputLimit } from '../pricing/bound.ts';
import type { TokensPricingSpec } from '../integrations/schema.ts';
import { priceOf } from '../pricing/prices.ts';
import { TokenMeter } from '../pricing/token-meter.ts';
import { requestedModel, type TokenFormat } from '../pricing/usage.ts';
import { Meter, type MeterResult } from './meter.ts';
import type { CallRequest } from './types.ts';

export interface CostMeter {
  push(chunk: Buffer): void;
  /** The cost once the answer is complete, or cut (complete=false): never below what it may have cost. */
  finish(complete: boolean): MeterResult;
}

export interface CallPrice {
  /** What the call reserves against the caps before it leaves. */
  reserve: Micros;
  /** The cost before any answer, for the headers of an answer passed on as it streams (fixed prices). */
  fixed: Micros;
  /** The answer must be read to know the cost (a plain JSON answer is then held to its end). */
  readsResponse: boolean;
  /** The model a model provider's call names. */
  model: string | null;
  /** The body to send instead of the request's (with an output limit added). */
  body?: Buffer;
  /**
   * A cost above the reservation means the bound was wrong or the provider misreports: the call is
   * recorded at what was reported, the integration suspended (SPEC rule 5). Elsewhere the maximum
   * is the operator's estimate, and a cost above it only asks for a higher one.
   */
  bounded: boolean;
  meter(status: number, contentType: string | undefined): CostMeter;
}

const FREE: CallPrice = {
  reserve: 0, fixed: 0, readsResponse: false, model: null, bounded: false,
  meter: () => ({ push: () => {}, finish: () => ({ cost: 0, readable: true, overMax: false }) }),
};

export function priceCall(integration: Integration, route: string, req: CallRequest): CallPrice {
  const spec = integration.spec.routes.find((r) => r.method === req.method && r.path === route);
  if (spec?.free) return FREE;
  const own = spec?.pricing;
  const tokens = (own ?? integration.spec.pricing).tokens;
  if (tokens) return modelCall(integration, spec?.tokenFormat ?? tokens.format, tokens, own ? usdToMicros(own.maxPerRequestUsd) : integration.pricing.max, req);
  const pricing = integration.routePricing.get(`${req.method} ${route}`) ?? integration.pricing;
  return {
    reserve: pricing.max, fixed: pricing.perRequest, readsResponse: pricing.readsResponse, model: null, bounded: false,
    meter: (_status, contentType) => new Meter(pricing, contentType),
  };
}

function modelCall(integration: Integration, format: TokenFormat, { models, defaultOutputTokens: defaultOutput }: TokensPricingSpec, max: Micros, req: CallRequest): CallPrice {
  const listed = Object.keys(models);
  const asked = requestedModel(format, req.rawPath, req.body);
  if (asked === null) {
    throw new TollgateError('bad_request', `${integration.name} calls name their model (${format === 'gemini' ? 'in the path, models/<model>:<method>' : 'the body\'s "model"'}); this one names none Tollgate can read. Models: ${listed.join(', ')}.`);
  }
  const model = listedModel(models, asked);
  if (model === null) {
    throw new TollgateError('model_not_allowed', `${integration.name} does not allow the model "${asked.slice(0, 100)}". It allows: ${listed.join(', ')}. Use one of them, or ask the operator to add it.`);
  }
  const price = priceOf(models, model)!;
  let body: unknown;
  try {
    body = JSON.parse(req.body.toString('utf8'));
  } catch {
    body = format === 'gemini' && req.body.length === 0 ? {} : undefined;
  }
  // A request with no output limit of its own is sent with the integration's default: its cost is then bounded.
  const limited = defaultOutput === undefined ? null : withOutputLimit(format, body, defaultOutput);
  const sent = limited === null ? req.body : Buffer.from(JSON.stringify(limited));
  const window = contextWindow(format, req.headers, models[model]!.contextWindow);
  const bound = requestBound(format, limited ?? body, sent.length, price, { contextWindow: window });
  if (!bound.ok) {
    throw new TollgateError('bad_request', `Tollgate cannot bound what this request may cost, so it does not send it: ${bound.reason}.`);
  }
  if (bound.cost > max) {
    throw new TollgateError('budget_exhausted',
      `This request may cost up to ${usdOfMicros(bound.cost)} (${bound.inputTokens} input and ${bound.outputTokens} output tokens of ${model} at most), ` +
      `more than the ${usdOfMicros(max)} one call of ${integration.name} may cost. Send less or lower its output limit; the operator can raise maxPerRequestUsd.`);
  }
  const reserve = bound.cost;
  return {
    reserve, fixed: 0, readsResponse: true, model, bounded: true, ...(limited === null ? {} : { body: sent }),
    meter(status, contentType) {
      // Priced as the listed model the request names (a dated snapshot is priced as its model).
      const meter = new TokenMeter({ format, models }, model, contentType);
      return {
        push: (chunk) => meter.push(chunk),
        finish(complete) {
          const r = meter.finish(complete);
          if (r.readable) return { cost: r.cost, readable: true, overMax: r.cost > reserve };
          // Providers bill no refused request; an error answer read to its end without usage was one.
          if (complete && status >= 400) return { cost: 0, readable: false, overMax: false };
          return { cost: Math.max(r.cost, reserve), readable: false, overMax: r.cost > reserve };
        },
      };
    },
  };
}

// Anthropic opens a model's 1M-token context to a request that asks for it with this beta flag.
const LONG_CONTEXT_BETA = /\bcontext-1m-/;
const LONG_CONTEXT = 1_000_000;

/** The context window a request may use: the model's, or more where the request opens a longer one. */
function contextWindow(format: TokenFormat, headers: CallRequest['headers'], window: number | undefined): number | undefined {
  if (format !== 'anthropic' || window === undefined) return window;
  const beta = headers['anthropic-beta'];
  const flags = Array.isArray(beta) ? beta.join(',') : beta ?? '';
  return LONG_CONTEXT_BETA.test(flags) ? Math.max(window, LONG_CONTEXT) : window;
}

/** The listed model a request names: the same id, or a dated snapshot of it (claude-sonnet-4-5-20250929). */
export function listedModel(models: Readonly<Record<string, unknown>>, asked: string): string | null {
  if (Object.hasOwn(models, asked)) return asked;
  const snapshot = /^(.+?)-(?:\d{8}|\d{4}-\d{2}-\d{2})$/.exec(asked);
  return snapshot && Object.hasOwn(models, snapshot[1]!) ? snapshot[1]! : null;
}
