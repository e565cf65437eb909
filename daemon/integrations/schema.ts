// The shape of an integration as the operator writes it (control API, templates, register).
// Validated once where it enters; inside the daemon the compiled form is trusted.
import { z } from 'zod';
import { DATASET_PROVIDERS, TOKEN_FORMATS } from '../pricing/formats.ts';

export const NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;
export const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

// Dollars at the edge; integer micro-dollars inside (see money.ts). A cent-level float is fine here.
const usd = z.number().finite().nonnegative().max(1_000_000);

// A JSON pointer (RFC 6901), e.g. "/costDollars/total".
const jsonPointer = z.string().regex(/^(\/([^~/]|~[01])*)+$/, 'must be a JSON pointer such as /usage/total_tokens');

const httpsBaseUrl = z
  .string()
  .max(2000)
  .refine((s) => {
    try {
      const u = new URL(s);
      return u.protocol === 'https:' && !u.username && !u.password && !u.search && !u.hash;
    } catch {
      return false;
    }
  }, 'must be an https:// URL without credentials, query or fragment');

// Path patterns: literal segments, `*` for exactly one segment, `*:action` for one segment ending
// in `:action` (Google's `models/<model>:generateContent`), a final `**` for any rest.
const routePath = z
  .string()
  .max(500)
  .regex(/^(\/([A-Za-z0-9._~!$&'()+,;=:@-]+|\*|\*:[A-Za-z]+|\*\*))+$|^\/$/, 'must be a path such as /v1/search, with * for one segment or a final **')
  .refine((p) => !p.split('/').some((s) => s === '.' || s === '..'), 'must not contain . or .. segments')
  .refine((p) => !p.includes('**') || p.endsWith('/**') && p.indexOf('**') === p.length - 2, '** may only end the path');

export const authSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('header'),
    name: z.string().regex(/^[A-Za-z0-9-]{1,100}$/, 'must be a header name'),
    prefix: z.string().max(50).regex(/^[\x21-\x7e ]*$/).optional(),
  }),
  z.strictObject({ type: z.literal('bearer') }),
  z.strictObject({
    type: z.literal('query'),
    name: z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/, 'must be a query parameter name'),
  }),
]);

// A model's price, USD per million tokens (daemon/pricing/prices.ts `TokenPrice`): the SPEC's
// input, output, cacheRead, cacheWrite, plus the classes some providers bill apart, and
// long-context tiers that replace all rates above an input size.
const usdPerMTok = z.number().finite().nonnegative().max(100_000);
const tokenRates = {
  input: usdPerMTok,
  output: usdPerMTok,
  cacheRead: usdPerMTok.optional(),
  cacheWrite: usdPerMTok.optional(),
  cacheWrite1h: usdPerMTok.optional(),
  inputAudio: usdPerMTok.optional(),
  cacheReadAudio: usdPerMTok.optional(),
  outputAudio: usdPerMTok.optional(),
  outputImage: usdPerMTok.optional(),
};
export const tokenPriceSchema = z.strictObject({
  ...tokenRates,
  /** Tokens in and out together: the bound of input that lives on the provider's side (daemon/pricing/bound.ts). */
  contextWindow: z.number().int().positive().max(100_000_000).optional(),
  tiers: z
    .array(z.strictObject({ aboveInputTokens: z.number().int().nonnegative().max(100_000_000), ...tokenRates }))
    .min(1)
    .max(10)
    .refine((ts) => ts.every((t, i) => i === 0 || t.aboveInputTokens > ts[i - 1]!.aboveInputTokens), 'tiers must ascend by aboveInputTokens')
    .optional(),
});
// Model ids as requests name them ("claude-sonnet-4-5", "anthropic/claude-sonnet-4.5", "~anthropic/claude-opus-latest").
const modelId = z
  .string()
  .regex(/^~?[A-Za-z0-9][A-Za-z0-9._:@/-]{0,199}$/, 'must be a model id such as claude-sonnet-4-5')
  .refine((id) => !['__proto__', 'constructor', 'prototype'].includes(id), 'not a model id');
export const tokensPricingSchema = z.strictObject({
  format: z.enum(TOKEN_FORMATS),
  /** Where the prices come from, e.g. "@pydantic/genai-prices 0.1.8 (2026-09-23)", shown wherever prices are. */
  source: z.string().max(200).optional(),
  /**
   * The output limit given to a request that sets none (Codex sends none): without one, only the
   * model's context window bounds its output, and one call could reserve a whole month's cap.
   */
  defaultOutputTokens: z.number().int().positive().max(10_000_000).optional(),
  models: z
    .record(modelId, tokenPriceSchema)
    .refine((m) => Object.keys(m).length > 0, 'list at least one model: only listed models may be used')
    .refine((m) => Object.keys(m).length <= 2000, 'at most 2000 models'),
});

export const pricingSchema = z
  .strictObject({
    perRequestUsd: usd.optional(),
    costPointer: jsonPointer.optional(),
    usage: z.array(z.strictObject({ pointer: jsonPointer, usdPerUnit: usd })).max(10).optional(),
    /** Model providers: per model and token class, read from the provider's own usage format. */
    tokens: tokensPricingSchema.optional(),
    maxPerRequestUsd: usd.refine((v) => v > 0, 'must be above 0: it is what a call reserves'),
  })
  .refine(
    (p) => p.perRequestUsd !== undefined || p.costPointer !== undefined || (p.usage?.length ?? 0) > 0 || p.tokens !== undefined,
    'give perRequestUsd, costPointer, usage or tokens',
  )
  .refine((p) => (p.perRequestUsd ?? 0) <= p.maxPerRequestUsd, 'perRequestUsd must not exceed maxPerRequestUsd');

export const routeSchema = z.strictObject({
  method: z.enum(METHODS),
  path: routePath,
  /** Costs nothing (e.g. listing models, counting tokens): nothing is reserved or metered. */
  free: z.literal(true).optional(),
  /** A model provider's route whose usage comes in another format than the integration's (OpenAI's chat route beside its Responses API). */
  tokenFormat: z.enum(TOKEN_FORMATS).optional(),
  /** A price of its own, instead of the integration's (another fixed price, other models). */
  pricing: pricingSchema.optional(),
});

export const rateLimitSchema = z.strictObject({
  perMinute: z.number().int().min(1).max(100_000),
  concurrent: z.number().int().min(1).max(1_000),
});

export const DEFAULT_RATE_LIMIT = { perMinute: 30, concurrent: 4 } as const;

export const integrationSchema = z.strictObject({
  name: z.string().regex(NAME_PATTERN, 'must be lower-case letters, digits and dashes, up to 63 characters'),
  purpose: z.string().trim().min(1).max(500),
  account: z.string().trim().min(1).max(200),
  baseUrl: httpsBaseUrl,
  auth: authSchema,
  routes: z.array(routeSchema).min(1).max(100),
  pricing: pricingSchema,
  monthlyCapUsd: usd.refine((v) => v > 0, 'must be above 0'),
  rateLimit: rateLimitSchema.default(DEFAULT_RATE_LIMIT),
  /**
   * What a well-known credential format in a request does: `block` it (exfiltration_blocked), or
   * `record` it (sent, audited as a finding, warned about), for traffic that legitimately carries
   * such text, e.g. a coding assistant's model requests with the test fixtures it read. The keys
   * Tollgate holds are blocked either way.
   */
  credentialFormats: z.enum(['block', 'record']).default('block'),
  /** The largest request body this integration forwards; default: the maxRequestBytes setting. Model providers take megabytes. */
  maxRequestBytes: z.number().int().min(1024).max(64 * 1024 * 1024).optional(),
  template: z.string().max(100).optional(),
  /** A budget in the shared ledger (PostgreSQL) this integration also reserves against, with other machines. */
  sharedBudget: z.string().regex(NAME_PATTERN, 'must name a shared budget: lower-case letters, digits and dashes').optional(),
});

export type IntegrationSpec = z.infer<typeof integrationSchema>;
export type RouteSpec = z.infer<typeof routeSchema>;
export type AuthSpec = z.infer<typeof authSchema>;
export type PricingSpec = z.infer<typeof pricingSchema>;
export type TokensPricingSpec = z.infer<typeof tokensPricingSchema>;
export type RateLimitSpec = z.infer<typeof rateLimitSchema>;

/** What the operator may change after creation (PATCH). Name, base URL and auth are fixed: a new host is a new integration. */
export const integrationPatchSchema = z
  .strictObject({
    purpose: integrationSchema.shape.purpose.optional(),
    account: integrationSchema.shape.account.optional(),
    routes: integrationSchema.shape.routes.optional(),
    pricing: pricingSchema.optional(),
    monthlyCapUsd: integrationSchema.shape.monthlyCapUsd.optional(),
    rateLimit: rateLimitSchema.optional(),
    credentialFormats: integrationSchema.shape.credentialFormats.unwrap().optional(),
    maxRequestBytes: integrationSchema.shape.maxRequestBytes,
    /** null: no longer drawn on a shared budget. */
    sharedBudget: integrationSchema.shape.sharedBudget.unwrap().nullable().optional(),
  })
  .refine((p) => Object.keys(p).length > 0, 'nothing to change');

export type IntegrationPatch = z.infer<typeof integrationPatchSchema>;

/**
 * A provider template: everything about a provider that does not depend on the operator.
 * The operator adds name, purpose, account and cap (and may override the rest).
 */
export const templateSchema = z.strictObject({
  id: z.string().regex(NAME_PATTERN),
  displayName: z.string().min(1).max(100),
  docsUrl: z.string().url(),
  keyUrl: z.string().url(),
  baseUrl: httpsBaseUrl,
  auth: authSchema,
  routes: z.array(routeSchema.extend({ description: z.string().max(300) })).min(1),
  pricing: pricingSchema,
  /** Model providers: the models to list, priced from the dataset shipped with Tollgate when the template loads. */
  prices: z.strictObject({ dataset: z.enum(DATASET_PROVIDERS), models: z.array(z.string()).min(1) }).optional(),
  pricingNote: z.string().max(500),
  rateLimit: rateLimitSchema,
  monthlyCapUsd: usd,
  maxRequestBytes: integrationSchema.shape.maxRequestBytes,
  /** Typed tools for MCP clients (issue 4): one per route worth exposing. */
  tools: z
    .array(
      z.strictObject({
        // Short, so that an integration's name still fits after it (MAX_TOOL_NAME); tollgate_ is Tollgate's own.
        name: z.string().regex(/^(?!tollgate_)[a-z0-9_]{1,32}$/),
        description: z.string().max(500),
        method: z.enum(METHODS),
        path: routePath,
        /** Where arguments go: `query` parameters or a JSON `body`. */
        argumentsIn: z.enum(['query', 'body']),
        arguments: z.record(
          z.string(),
          z.strictObject({
            type: z.enum(['string', 'integer', 'number', 'boolean']),
            description: z.string().max(300),
            required: z.boolean().default(false),
          }),
        ),
        /** Fixed values merged into every call of this tool (e.g. a model name). */
        fixed: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
      }),
    )
    .default([]),
});

export type Template = z.infer<typeof templateSchema>;
