// Reading what exists: `tollgate integrations [name]` and `tollgate templates`.
import type { Command } from 'commander';
import type { IntegrationSpec, IntegrationView } from '../control-types.ts';
import { control } from './client.ts';
import { jsonOption, printJson, table, time, usd } from './format.ts';
import { describeTokenPrices } from '../client/prices-text.ts';

export function integrationCommands(program: Command): void {
  program
    .command('integrations')
    .description('list the integrations, or show one in full')
    .argument('[name]', 'show this one: purpose, account, host, routes, pricing, cap, key')
    .option(...jsonOption)
    .action(async (name: string | undefined, opts: { json?: boolean }) => {
      if (name) {
        const c = control();
        const [i, { timeZone }] = await Promise.all([c.integration(name), c.settings()]);
        if (opts.json) printJson(i);
        else console.log(detail(i, timeZone));
        return;
      }
      const all = await control().integrations();
      if (opts.json) return printJson(all);
      if (!all.length) return console.log('No integrations yet: see "tollgate templates" and "tollgate add --help".');
      console.log(table(
        ['NAME', 'STATE', 'KEY', 'CAP/MONTH', 'HOST', 'ROUTES', 'PURPOSE'],
        all.map((i) => [i.name, i.status, keyState(i), usd(i.spec.monthlyCapUsd), i.spec.baseUrl, String(i.spec.routes.length), i.spec.purpose]),
        [3, 5],
      ));
    });

  program
    .command('templates')
    .description('list the provider templates an integration can be added from')
    .option(...jsonOption)
    .action(async (opts: { json?: boolean }) => {
      const templates = await control().templates();
      if (opts.json) return printJson(templates);
      console.log(table(
        ['TEMPLATE', 'PROVIDER', 'HOST', 'ROUTES', 'MAX/CALL', 'DEFAULT CAP'],
        templates.map((t) => [t.id, t.displayName, t.baseUrl, String(t.routes.length), usd(t.pricing.maxPerRequestUsd), usd(t.monthlyCapUsd)]),
        [3, 4, 5],
      ));
      console.log('\nAdd one: tollgate add --template <TEMPLATE> --name <name> --purpose "<what for>" --account <provider account>');
      console.log('Their routes and pricing: tollgate templates --json');
    });
}

function detail(i: IntegrationView, timeZone: string): string {
  const s = i.spec;
  const auth = s.auth.type === 'bearer' ? 'Authorization: Bearer' : s.auth.type === 'header' ? `header ${s.auth.name}${s.auth.prefix ? ` (prefix "${s.auth.prefix}")` : ''}` : `query parameter ${s.auth.name}`;
  const rows: [string, string][] = [
    ['State', i.statusReason ? `${i.status}: ${i.statusReason}` : i.status],
    ['Purpose', s.purpose],
    ['Account', s.account],
    ['Host', s.baseUrl],
    ['Auth', auth],
    ['Routes', s.routes.map((r) => `${r.method} ${r.path}`).join('\n')],
    ['Pricing', pricing(s.pricing)],
    ['Cap', `${usd(s.monthlyCapUsd)} a month`],
    ['Rate limit', `${s.rateLimit.perMinute} a minute, ${s.rateLimit.concurrent} at once`],
    ['Key', i.status === 'decommissioned'
      ? 'deleted from the OS keychain when it was decommissioned; revoke it at the provider if not done yet'
      : i.keySetAt ? `set ${time(i.keySetAt, timeZone)} (in the OS keychain)` : `none yet: tollgate set-key ${i.name}`],
    ['Approved', `by ${i.approvedBy}${i.approvedAt ? ` at ${time(i.approvedAt, timeZone)}` : ''}`],
  ];
  const indent = ' '.repeat(Math.max(...rows.map(([k]) => k.length)) + 4);
  return [i.name, ...rows.map(([k, v]) => `  ${`${k}:`.padEnd(indent.length - 2)}${v.replaceAll('\n', `\n${indent}`)}`)].join('\n');
}

const keyState = (i: IntegrationView): string => (i.keySet ? 'set' : i.status === 'decommissioned' ? 'deleted' : 'none');

function pricing(p: IntegrationSpec['pricing']): string {
  if (p.tokens) return [...describeTokenPrices(p.tokens), `each call reserves the most its request can cost, at most ${usd(p.maxPerRequestUsd)}`].join('\n');
  const parts: string[] = [];
  if (p.perRequestUsd !== undefined) parts.push(`${usd(p.perRequestUsd)} a call`);
  if (p.costPointer) parts.push(`the cost the provider reports at ${p.costPointer}`);
  for (const u of p.usage ?? []) parts.push(`${usd(u.usdPerUnit)} per unit of ${u.pointer}`);
  return `${parts.join(' + ')}; reserves ${usd(p.maxPerRequestUsd)} a call`;
}
