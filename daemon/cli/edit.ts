// Changing an integration: `tollgate cap`, `tollgate routes`, `tollgate models` and
// `tollgate credential-formats`. Raising a cap, adding a route or a model, or recording credential
// formats instead of blocking them widens authority and needs a person at a terminal; the rest may
// run with --yes.
import type { Command } from 'commander';
import { describeChange } from '../client/changes.ts';
import type { IntegrationChange, IntegrationView, RouteSpec } from '../control-types.ts';
import { describeTokenPrices } from '../client/prices-text.ts';
import { METHODS } from '../integrations/schema.ts';
import { DATASET_OF, type TokenFormat } from '../pricing/formats.ts';
import type { TokenPrice } from '../pricing/prices.ts';
import { control } from './client.ts';
import { usd } from './format.ts';
import { confirmChange, yesOption } from './prompt.ts';

export function editCommands(program: Command): void {
  program
    .command('cap')
    .description("set an integration's monthly cap in USD (raising it needs a terminal)")
    .argument('<name>', 'the integration')
    .argument('<usd>', 'the new monthly cap, e.g. 20 or 7.50', parseUsd)
    .option(...yesOption)
    .action(async (name: string, monthlyCapUsd: number, opts: { yes?: boolean }) => {
      const i = await change(await control().integration(name), { monthlyCapUsd }, opts.yes);
      console.log(`cap of ${i.name}: ${usd(i.spec.monthlyCapUsd)} a month`);
    });

  program
    .command('routes')
    .description("list an integration's routes, or add and remove some (adding needs a terminal)")
    .argument('<name>', 'the integration')
    .option('--add <route>', "allow a route, e.g. 'GET /res/v1/news/search' (* is one path segment, a final /** any rest); repeatable", collect, [])
    .option('--remove <route>', "stop allowing a route, as listed; repeatable", collect, [])
    .option(...yesOption)
    .action(async (name: string, opts: { add: string[]; remove: string[]; yes?: boolean }) => {
      let i = await control().integration(name);
      if (opts.add.length || opts.remove.length) {
        const routes = new Map(i.spec.routes.map((r) => [show(r), r]));
        for (const r of opts.remove.map(parseRoute)) if (!routes.delete(show(r))) throw new Error(`${name} has no route ${show(r)}`);
        for (const r of opts.add.map(parseRoute)) routes.set(show(r), r);
        i = await change(i, { routes: [...routes.values()] }, opts.yes);
      }
      console.log(i.spec.routes.map(show).join('\n'));
    });

  program
    .command('models')
    .description("list a model provider's models and prices, or add (priced from the dataset; needs a terminal) and remove some")
    .argument('<name>', 'the integration')
    .option('--add <model>', 'allow a model, priced from the price dataset shipped with Tollgate; repeatable', collect, [])
    .option('--remove <model>', 'stop allowing a model; repeatable', collect, [])
    .option(...yesOption)
    .action(async (name: string, opts: { add: string[]; remove: string[]; yes?: boolean }) => {
      let i = await control().integration(name);
      const tokens = i.spec.pricing.tokens;
      if (!tokens) throw new Error(`${name} is not a model provider: it has no models`);
      if (opts.add.length || opts.remove.length) {
        const models = { ...tokens.models };
        for (const m of opts.remove) {
          if (!Object.hasOwn(models, m)) throw new Error(`${name} has no model ${m}`);
          delete models[m];
        }
        if (opts.add.length) Object.assign(models, await datasetPrices(tokens.format, opts.add));
        i = await change(i, { pricing: { ...i.spec.pricing, tokens: { ...tokens, models } } }, opts.yes);
      }
      console.log(describeTokenPrices(i.spec.pricing.tokens!).join('\n'));
    });

  program
    .command('credential-formats')
    .description('show or set what a well-known credential format (an API key, a token, a private key) in a request does: block (the default) or record (sent, audited, warned about; needs a terminal)')
    .argument('<name>', 'the integration')
    .argument('[policy]', 'block or record')
    .option(...yesOption)
    .action(async (name: string, policy: string | undefined, opts: { yes?: boolean }) => {
      let i = await control().integration(name);
      if (policy !== undefined) {
        if (policy !== 'block' && policy !== 'record') throw new Error(`"${policy}" is not a policy: write block or record`);
        i = await change(i, { credentialFormats: policy }, opts.yes);
      }
      console.log(i.spec.credentialFormats === 'record'
        ? `${i.name}: well-known credential formats are sent and recorded (the keys Tollgate holds are still blocked)`
        : `${i.name}: well-known credential formats are blocked`);
    });
}

/** Describes the change to the operator, asks, then makes it. */
async function change(before: IntegrationView, patch: IntegrationChange, yes: boolean | undefined): Promise<IntegrationView> {
  await confirmChange(describeChange({ kind: 'update', before, change: patch }), yes);
  return control().updateIntegration(before.name, patch);
}

/** Prices and context windows of models from the dataset, for the provider whose format an integration reads. */
async function datasetPrices(format: TokenFormat, ids: string[]): Promise<Record<string, TokenPrice & { contextWindow?: number }>> {
  // Loaded here only: the dataset is megabytes every other command can do without.
  const { pricesFor } = await import('../pricing/prices.ts');
  const list = pricesFor(DATASET_OF[format], ids);
  if (list.missing.length) throw new Error(`the price dataset has no per-token price for ${list.missing.join(', ')}; give its price in a PATCH of the integration's pricing instead`);
  return Object.fromEntries(Object.entries(list.models).map(([id, p]) => [id, { ...p, ...(list.info[id]?.contextWindow ? { contextWindow: list.info[id].contextWindow } : {}) }]));
}

/** A positive amount of US dollars from the command line. */
export function parseUsd(s: string): number {
  if (!/^\d+(\.\d+)?$/.test(s.trim()) || !(Number(s) > 0)) throw new Error(`"${s}" is not an amount in USD above 0 (e.g. 20 or 7.50)`);
  return Number(s);
}

function parseRoute(s: string): RouteSpec {
  const [, word = '', path = ''] = /^\s*([A-Za-z]+)\s+(\/\S*)\s*$/.exec(s) ?? [];
  const method = word.toUpperCase() as RouteSpec['method'];
  if (!METHODS.includes(method)) throw new Error(`"${s}" is not a route: write a method and a path, e.g. 'GET /v1/search' (methods: ${METHODS.join(', ')})`);
  return { method, path };
}

const show = (r: RouteSpec): string => `${r.method} ${r.path}`;
const collect = (value: string, previous: string[]): string[] => [...previous, value];
