// New authority: `tollgate add` and `tollgate set-key`. Both need a person at a terminal, who
// confirms exactly what describeChange() says and types the key where it is not echoed.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { describeChange } from '../client/changes.ts';
import { ControlRequestError } from '../client/control-client.ts';
import type { CreateIntegration, IntegrationSpec, IntegrationView, Template } from '../control-types.ts';
import { integrationSchema } from '../integrations/schema.ts';
import { control } from './client.ts';
import { parseUsd } from './edit.ts';
import { confirmChange, promptSecret } from './prompt.ts';

interface AddOptions {
  template?: string;
  name?: string;
  purpose?: string;
  account?: string;
  cap?: number;
  baseUrl?: string;
  file?: string;
}

export function addCommands(program: Command): void {
  program
    .command('add')
    .description('add an integration from a provider template, or from a whole definition in a JSON file; needs a terminal: you confirm it, then may type its key')
    .option('--template <id>', 'a provider template (see "tollgate templates")')
    .option('--name <name>', "its name: lower-case letters, digits, dashes (default: the template's id)")
    .option('--purpose <text>', 'what the assistant uses it for')
    .option('--account <label>', 'the assistant-owned provider account its key belongs to')
    .option('--cap <usd>', "monthly cap in USD (default: the template's)", parseUsd)
    .option('--base-url <url>', "the provider's address instead of the template's (a regional endpoint, your company's gateway)")
    .option('--file <definition.json>', 'the whole definition instead (see the README)')
    .action(async (opts: AddOptions) => {
      const { integration, template } = opts.file ? { integration: fromFile(opts), template: undefined } : await templateDefinition(opts);
      await confirmChange(describeChange({ kind: 'create', integration, template }));
      const created = await control().createIntegration(integration);
      console.log(`added ${created.name} (${created.spec.baseUrl}); it makes no calls until its key is set`);
      await askForKey(created.name);
    });

  program
    .command('set-key')
    .description("set or rotate an integration's key: typed at the terminal without echo, stored in the OS keychain (never taken from arguments or the environment)")
    .argument('<name>', 'the integration')
    .action(async (name: string) => {
      const integration = await control().integration(name);
      await confirmChange(describeChange({ kind: 'set_key', integration }));
      const key = await readKey(name);
      if (!key) throw new Error('no key given; nothing changed');
      const stored = await storeKey(name, key);
      if (integration.status === 'suspended') console.log(afterSuspension(integration, stored));
    });
}

/** An integration from a provider template, with the operator's part; the template too, for the confirmation. */
export async function templateDefinition(opts: Omit<AddOptions, 'file'>): Promise<{ integration: CreateIntegration; template: Template }> {
  if (!opts.template) throw new Error('give --template <id> (see "tollgate templates") or --file <definition.json>');
  if (!opts.purpose || !opts.account) throw new Error('give --purpose "<what for>" and --account <label of the provider account the key belongs to>');
  const templates = await control().templates();
  const template = templates.find((t) => t.id === opts.template);
  if (!template) throw new Error(`no template named ${opts.template}; there are ${templates.map((t) => t.id).join(', ')}`);
  // The template's cap is written out, so the confirmation names the cap that will apply.
  const integration = {
    template: template.id, name: opts.name ?? template.id, purpose: opts.purpose, account: opts.account, monthlyCapUsd: opts.cap ?? template.monthlyCapUsd,
    ...(opts.baseUrl ? { baseUrl: opts.baseUrl } : {}),
  };
  return { integration, template };
}

function fromFile(opts: AddOptions): IntegrationSpec {
  if (opts.template || opts.name || opts.purpose || opts.account || opts.cap !== undefined || opts.baseUrl) {
    throw new Error('--file holds the whole definition: give no --template, --name, --purpose, --account, --cap or --base-url with it');
  }
  return readDefinition(opts.file!);
}

/** A whole integration definition from a JSON file, checked before it is described and confirmed. */
export function readDefinition(file: string): IntegrationSpec {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const parsed = integrationSchema.safeParse(json);
  if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'definition'}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

/** Right after an integration was approved: its key now, or later with set-key. */
export async function askForKey(name: string): Promise<void> {
  const key = await readKey(name, ' (Enter to set it later)');
  if (!key) return console.log(`no key set yet; set it with "tollgate set-key ${name}"`);
  try {
    await storeKey(name, key);
  } catch (e) {
    if (!(e instanceof ControlRequestError)) throw e;
    throw new Error(`${e.message} ${name} has no key yet: set it with "tollgate set-key ${name}".`);
  }
}

async function readKey(name: string, hint = ''): Promise<string> {
  return (await promptSecret(`Key for ${name}, not shown as you type${hint}: `)).trim();
}

async function storeKey(name: string, key: string): Promise<IntegrationView> {
  const stored = await control().setKey(name, key);
  console.log(`key of ${name} stored in the OS keychain; Tollgate keeps only its fingerprint`);
  return stored;
}

/** What the new key did to a suspension, as the daemon reports it. */
function afterSuspension(before: IntegrationView, after: IntegrationView): string {
  return after.status === 'suspended'
    ? `${after.name} is still suspended (${after.statusReason ?? 'by the operator'}): resume it with "tollgate resume ${after.name}"`
    : `${after.name} is active again: the new key lifted the suspension (${before.statusReason})`;
}
