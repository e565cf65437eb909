// A model's price per million tokens, from the maintained dataset shipped with Tollgate
// (@pydantic/genai-prices, its bundled data only: Tollgate never calls its remote update, and the
// package touches no network unless that update is set up), and the exact cost of a call's tokens.
//
// Prices are USD per million tokens, as providers publish them and as the operator edits them
// (SPEC, "A model provider's pricing"). USD per million tokens is micro-dollars per token, so
// tokens × price is micro-dollars: the cost is computed exactly in integers (prices read as the
// decimals they were written as) and rounded once, half up, at the end of a call's sum.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { calcPrice, findProvider, type ModelInfo, type ModelPrice } from '@pydantic/genai-prices';
import type { Micros } from '../money.ts';
import { DATASET_PROVIDERS, type DatasetProvider } from './formats.ts';

/**
 * The rates of one token class each, USD per million tokens. Only `input` and `output` are
 * required; a missing rate falls back to the one that bills the same tokens without the
 * distinction (see `rate` below).
 */
export interface TokenRates {
  input: number;
  output: number;
  /** Input read from a prompt cache. Falls back to `input`. */
  cacheRead?: number;
  /** Input written to a prompt cache (Anthropic: the 5-minute cache). Falls back to `input`. */
  cacheWrite?: number;
  /** Input written to Anthropic's 1-hour cache (2× input, where 5-minute writes are 1.25×). Falls back to `cacheWrite`. */
  cacheWrite1h?: number;
  /** Uncached audio input (Gemini, OpenAI audio models). Falls back to `input`. */
  inputAudio?: number;
  /** Audio input read from a cache. Falls back to `cacheRead`. */
  cacheReadAudio?: number;
  /** Audio output. Falls back to `output`. */
  outputAudio?: number;
  /** Image output (Gemini image models). Falls back to `output`. */
  outputImage?: number;
}

/** Rates that replace the base rates, all of them, when a request's input exceeds a size. */
export interface TokenTier extends TokenRates {
  /**
   * The tier applies when the request's input tokens (uncached + cache reads + cache writes, and
   * Gemini's tool-use prompt) are MORE than this: Anthropic and Google bill a whole request above
   * 200k input tokens at the long-context rates, OpenAI above 272k. This is genai-prices'
   * `TieredPrices` semantics (`inputTokens > start`).
   */
  aboveInputTokens: number;
}

/** The SPEC's `{input, output, cacheRead?, cacheWrite?}`, plus rarer classes and long-context tiers. */
export interface TokenPrice extends TokenRates {
  /** Ascending by `aboveInputTokens`; the highest one the request exceeds applies. */
  tiers?: TokenTier[];
}

/** Token counts of one call, in disjoint classes, as the provider bills them (see usage.ts). */
export interface BilledTokens {
  /** Input neither read from nor written to a cache. */
  input: number;
  cacheRead: number;
  /** Cache writes at the standard duration (Anthropic: 5 minutes). */
  cacheWrite: number;
  cacheWrite1h: number;
  /** All output, reasoning/thinking included (providers bill it as output). */
  output: number;
  /** Of `input`, audio. */
  inputAudio: number;
  /** Of `cacheRead`, audio. */
  cacheReadAudio: number;
  /** Of `output`, audio. */
  outputAudio: number;
  /** Of `output`, images. */
  outputImage: number;
}

/** The dataset's ids of the providers Tollgate has templates for. */
export { DATASET_PROVIDERS, type DatasetProvider };

export interface PriceSource {
  name: '@pydantic/genai-prices';
  version: string;
  /** YYYY-MM-DD, or null for a version not in PUBLISHED below. */
  date: string | null;
}

export interface ModelInfoFacts {
  /** The dataset's id for the model (a listed id may be a dated alias of it). */
  datasetId: string;
  /** Tokens in and out together, where the dataset has it. (The dataset has no maximum output.) */
  contextWindow?: number;
  /** Prices the dataset has for the model that token metering does not cover (e.g. web_searches_kcount). */
  unmetered: string[];
}

export interface PriceList {
  models: Record<string, TokenPrice>;
  info: Record<string, ModelInfoFacts>;
  /** Asked-for models the dataset does not price per token. */
  missing: string[];
  source: PriceSource;
}

const PACKAGE = '@pydantic/genai-prices';

/**
 * The bundled data carries no date of its own (it has no update timestamp; `calcPrice` reports
 * `auto_update_timestamp: undefined` for it), and the installed package keeps none either (npm
 * sets no meaningful file times, the lockfile has no dates). So the date shown is the npm publish
 * date of the installed version, read from the registry (`npm view @pydantic/genai-prices time`)
 * when the dependency was updated and written here; test/daemon/pricing checks that the installed
 * version is listed, so an update without its date fails the tests.
 */
const PUBLISHED: Readonly<Record<string, string>> = {
  '0.1.8': '2026-09-23',
};

let source: PriceSource | undefined;

/** The dataset's name, installed version and date. */
export function priceSource(): PriceSource {
  if (!source) {
    // The package exports no package.json; its entry point sits in dist/, one level below it.
    const entry = createRequire(import.meta.url).resolve(PACKAGE);
    const pkg = JSON.parse(readFileSync(join(dirname(entry), '..', 'package.json'), 'utf8')) as { name?: string; version?: string };
    if (pkg.name !== PACKAGE || typeof pkg.version !== 'string') throw new Error(`${PACKAGE}: unexpected package.json`);
    source = { name: PACKAGE, version: pkg.version, date: PUBLISHED[pkg.version] ?? null };
  }
  return source;
}

// The dataset's per-million-token price keys that map onto a token class.
const PRICE_KEYS: Readonly<Record<string, keyof TokenRates>> = {
  input_mtok: 'input',
  output_mtok: 'output',
  cache_read_mtok: 'cacheRead',
  cache_write_mtok: 'cacheWrite',
  cache_write_1h_mtok: 'cacheWrite1h',
  input_audio_mtok: 'inputAudio',
  cache_audio_read_mtok: 'cacheReadAudio',
  output_audio_mtok: 'outputAudio',
  output_image_mtok: 'outputImage',
};

type DatasetValue = ModelPrice[string];

/**
 * Prices of a provider's models at `at` (default: now; the dataset holds historic and announced
 * prices). With `models`, those ids as a request names them (dated aliases resolve the way the
 * dataset matches them); without, every current model the dataset prices per token, by its id.
 */
export function pricesFor(provider: DatasetProvider, models?: readonly string[], options: { at?: Date } = {}): PriceList {
  const at = options.at ?? new Date();
  const list: PriceList = { models: {}, info: {}, missing: [], source: priceSource() };
  const add = (id: string, model: ModelInfo): boolean => {
    const converted = tokenPrice(model, at);
    if (!converted) return false;
    list.models[id] = converted.price;
    list.info[id] = {
      datasetId: model.id,
      ...(model.context_window !== undefined ? { contextWindow: model.context_window } : {}),
      unmetered: converted.unmetered,
    };
    return true;
  };
  if (models) {
    for (const id of models) {
      const model = datasetModel(provider, id);
      if (!model || isUnsafeKey(id) || !add(id, model)) list.missing.push(id);
    }
  } else {
    const all = findProvider({ providerId: provider });
    if (!all || all.id !== provider) throw new Error(`${PACKAGE} has no provider "${provider}"`);
    for (const model of all.models) {
      // Only ids a request can name: the dataset also keys some models by a prefix ("ft:gpt-3.5-turbo-").
      if (model.deprecated || isUnsafeKey(model.id) || datasetModel(provider, model.id) !== model) continue;
      add(model.id, model);
    }
  }
  return list;
}

function datasetModel(provider: DatasetProvider, id: string): ModelInfo | null {
  try {
    const found = calcPrice({}, id, { providerId: provider });
    return found && found.provider.id === provider ? found.model : null;
  } catch {
    return null;
  }
}

function isUnsafeKey(id: string): boolean {
  return id === '__proto__' || id === 'constructor' || id === 'prototype';
}

/** The dataset's price active at `at`, the way genai-prices picks it (latest start date not after `at`). */
function activePrice(model: ModelInfo, at: Date): ModelPrice | null {
  if (!Array.isArray(model.prices)) return model.prices;
  const prices = model.prices;
  // A price by time of day (off-peak discounts) cannot be written as one static price.
  if (prices.some((p) => p.constraint?.type === 'time_of_date')) return null;
  for (let i = prices.length - 1; i >= 0; i--) {
    const c = prices[i]!.constraint;
    if (c === undefined || (c.type === 'start_date' && at.getTime() >= new Date(c.start_date).getTime())) return prices[i]!.prices;
  }
  return prices[0]?.prices ?? null;
}

function tokenPrice(model: ModelInfo, at: Date): { price: TokenPrice; unmetered: string[] } | null {
  const active = activePrice(model, at);
  if (!active || active.input_mtok === undefined || active.output_mtok === undefined) return null;
  const unmetered: string[] = [];
  const values: [keyof TokenRates, DatasetValue][] = [];
  for (const [key, value] of Object.entries(active)) {
    if (value === undefined) continue;
    const field = PRICE_KEYS[key];
    if (field) values.push([field, value]);
    else if (typeof value !== 'number' || value > 0) unmetered.push(key);
  }
  // The thresholds of every tiered rate: a rate without a tier at some threshold keeps its price there.
  const thresholds = [...new Set(values.flatMap(([, v]) => (typeof v === 'object' ? v.tiers.map((t) => t.start) : [])))].sort((a, b) => a - b);
  const ratesAbove = (inputTokens: number): TokenRates => {
    const rates: Partial<Record<keyof TokenRates, number>> = {};
    for (const [field, value] of values) rates[field] = datasetRate(value!, inputTokens);
    return rates as TokenRates;
  };
  const price: TokenPrice = ratesAbove(0);
  if (thresholds.length > 0) price.tiers = thresholds.map((t) => ({ aboveInputTokens: t, ...ratesAbove(t + 1) }));
  return { price, unmetered: unmetered.sort() };
}

function datasetRate(value: NonNullable<DatasetValue>, inputTokens: number): number {
  if (typeof value === 'number') return value;
  let price = value.base;
  for (const tier of value.tiers) if (inputTokens > tier.start) price = tier.price;
  return price;
}

/** A listed model's price, by an own key only (a model named "constructor" is not a price). */
export function priceOf(models: Readonly<Record<string, TokenPrice>>, model: string | null | undefined): TokenPrice | null {
  return typeof model === 'string' && Object.hasOwn(models, model) ? models[model]! : null;
}

/** Input tokens of a call, for choosing the tier: every input class. */
export function inputTokens(t: BilledTokens): number {
  return t.input + t.cacheRead + t.cacheWrite + t.cacheWrite1h;
}

/** The rates that apply to a request with this many input tokens. */
export function ratesAt(price: TokenPrice, input: number): TokenRates {
  let rates: TokenRates = price;
  let above = -1;
  for (const tier of price.tiers ?? []) {
    if (input > tier.aboveInputTokens && tier.aboveInputTokens > above) {
      rates = tier;
      above = tier.aboveInputTokens;
    }
  }
  return rates;
}

// Prices are held as integers of 10^-12 µ$ per token (USD per million tokens × 10^12): any price
// written with up to 12 decimals is exact.
const SCALE = 12;
const ONE = 10n ** BigInt(SCALE);

/** A non-negative price as the exact decimal it was written as, × 10^12. */
export function scaledPrice(usdPerMTok: number): bigint {
  if (!Number.isFinite(usdPerMTok) || usdPerMTok < 0) throw new RangeError(`not a price: ${usdPerMTok}`);
  // String() gives the shortest decimal that reads back as the same number: the price as written.
  const m = /^(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(usdPerMTok));
  if (!m) throw new RangeError(`not a price: ${usdPerMTok}`);
  const frac = m[2] ?? '';
  const digits = BigInt(m[1]! + frac);
  const exp = Number(m[3] ?? 0) - frac.length + SCALE;
  if (exp >= 0) return digits * 10n ** BigInt(exp);
  const div = 10n ** BigInt(-exp);
  return (digits + div / 2n) / div;
}

/**
 * The exact cost of a call's tokens in micro-dollars: Σ tokens × rate over the classes, at the
 * tier the call's input falls in, summed exactly and rounded once, half up. A subset counted
 * apart (audio, images) is priced at its own rate where the price has one, else as its class.
 */
export function tokenCost(tokens: BilledTokens, price: TokenPrice): Micros {
  const r = ratesAt(price, inputTokens(tokens));
  const cacheRead = r.cacheRead ?? r.input;
  const cacheWrite = r.cacheWrite ?? r.input;
  const inputAudio = Math.min(tokens.inputAudio, tokens.input);
  const cacheReadAudio = Math.min(tokens.cacheReadAudio, tokens.cacheRead);
  const outputAudio = Math.min(tokens.outputAudio, tokens.output);
  const outputImage = Math.min(tokens.outputImage, tokens.output - outputAudio);
  const terms: [number, number][] = [
    [tokens.input - inputAudio, r.input],
    [inputAudio, r.inputAudio ?? r.input],
    [tokens.cacheRead - cacheReadAudio, cacheRead],
    [cacheReadAudio, r.cacheReadAudio ?? cacheRead],
    [tokens.cacheWrite, cacheWrite],
    [tokens.cacheWrite1h, r.cacheWrite1h ?? cacheWrite],
    [tokens.output - outputAudio - outputImage, r.output],
    [outputAudio, r.outputAudio ?? r.output],
    [outputImage, r.outputImage ?? r.output],
  ];
  let sum = 0n;
  for (const [count, rate] of terms) {
    if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`not a token count: ${count}`);
    if (count > 0) sum += BigInt(count) * scaledPrice(rate);
  }
  return Number((sum + ONE / 2n) / ONE);
}
