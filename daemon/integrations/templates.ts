// Provider templates: data files in ./templates/, read once when the daemon starts.
// A template never grants anything by itself: `instantiate` only drafts an integration
// spec that the operator still has to approve (SPEC rule 2).
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { PROJECT_ROOT } from '../install.ts';
import { type DatasetProvider, DATASET_PROVIDERS, pricesFor } from '../pricing/prices.ts';
import {
  integrationSchema,
  templateSchema,
  type IntegrationSpec,
  type PricingSpec,
  type RateLimitSpec,
  type RouteSpec,
  type Template,
} from './schema.ts';

export const TEMPLATES_DIR = join(PROJECT_ROOT, 'daemon', 'integrations', 'templates');

/** What the operator adds to a template; anything left out comes from the template. */
export interface TemplateInput {
  name: string;
  purpose: string;
  account: string;
  monthlyCapUsd?: number;
  routes?: RouteSpec[];
  rateLimit?: RateLimitSpec;
  pricing?: PricingSpec;
  baseUrl?: string;
  credentialFormats?: IntegrationSpec['credentialFormats'];
  sharedBudget?: string;
}

/**
 * Every `*.json` in `dir`, validated, keyed by template id.
 * Throws on the first bad file, naming it: a broken template must stop the daemon at start,
 * not surface later as an integration nobody can create.
 */
export function loadTemplates(dir: string = TEMPLATES_DIR): ReadonlyMap<string, Template> {
  const files = readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.json'))
    .map((e) => e.name)
    .sort();
  const templates = new Map<string, Template>();
  for (const file of files) {
    const template = parseTemplateFile(join(dir, file));
    if (templates.has(template.id)) throw new Error(`template ${file}: duplicate id "${template.id}"`);
    templates.set(template.id, template);
  }
  return templates;
}

function parseTemplateFile(path: string): Template {
  const file = basename(path);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`template ${file}: not readable JSON: ${(err as Error).message}`, { cause: err });
  }
  const parsed = templateSchema.safeParse(withDatasetPrices(file, raw));
  if (!parsed.success) throw new Error(`template ${file} is invalid:\n${z.prettifyError(parsed.error)}`);
  const template = parsed.data;
  // The file name is how operators and the register find a template: keep the two in step.
  if (`${template.id}.json` !== file) throw new Error(`template ${file}: id "${template.id}" does not match the file name`);
  const routes = new Set(template.routes.map((r) => `${r.method} ${r.path}`));
  const names = new Set<string>();
  for (const tool of template.tools) {
    if (names.has(tool.name)) throw new Error(`template ${file}: duplicate tool name "${tool.name}"`);
    names.add(tool.name);
    // A tool is a typed view of a route, never a way around the allowlist.
    if (!routes.has(`${tool.method} ${tool.path}`)) {
      throw new Error(`template ${file}: tool "${tool.name}" uses ${tool.method} ${tool.path}, which is not one of the template's routes`);
    }
  }
  return template;
}

/**
 * A model provider's template names its models (`prices`); their prices and context windows come
 * from the dataset shipped with Tollgate, with its name, version and date as the source.
 */
function withDatasetPrices(file: string, raw: unknown): unknown {
  const t = raw as { prices?: { dataset?: unknown; models?: unknown }; pricing?: { tokens?: { models?: unknown; source?: unknown } } } | null;
  const tokens = t?.pricing?.tokens;
  if (!t?.prices || !tokens || !Array.isArray(t.prices.models) || !DATASET_PROVIDERS.includes(t.prices.dataset as DatasetProvider)) return raw;
  const list = pricesFor(t.prices.dataset as DatasetProvider, t.prices.models as string[]);
  if (list.missing.length) throw new Error(`template ${file}: the price dataset has no per-token price for ${list.missing.join(', ')}`);
  const dataset = Object.entries(list.models).map(([id, price]) => [id, { ...price, ...(list.info[id]?.contextWindow ? { contextWindow: list.info[id].contextWindow } : {}) }]);
  // Models the dataset lacks may be priced in the template itself, and say so in its pricing note.
  const own = typeof tokens.models === 'object' && tokens.models !== null ? tokens.models : {};
  const { name, version, date } = list.source;
  return { ...t, pricing: { ...t.pricing, tokens: { ...tokens, models: { ...Object.fromEntries(dataset), ...own }, source: `${name} ${version} (${date})` } } };
}

/** A full integration spec from a template and the operator's fields. Throws a ZodError if the result is invalid. */
export function instantiate(template: Template, input: TemplateInput): IntegrationSpec {
  return integrationSchema.parse({
    name: input.name,
    purpose: input.purpose,
    account: input.account,
    baseUrl: input.baseUrl ?? template.baseUrl,
    auth: template.auth,
    routes: input.routes ?? template.routes.map(({ description: _, ...route }) => route),
    pricing: input.pricing ?? template.pricing,
    monthlyCapUsd: input.monthlyCapUsd ?? template.monthlyCapUsd,
    rateLimit: input.rateLimit ?? template.rateLimit,
    credentialFormats: input.credentialFormats,
    maxRequestBytes: template.maxRequestBytes,
    template: template.id,
    sharedBudget: input.sharedBudget,
  });
}
