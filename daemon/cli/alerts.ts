// `tollgate alerts`: list them by tier, acknowledge one.
import { type Command, Option } from 'commander';
import type { Alert, Tier } from '../control-types.ts';
import { control } from './client.ts';
import { jsonOption, printJson, time } from './format.ts';

export function alertCommands(program: Command): void {
  const alerts = program.command('alerts').description('alerts: info (listed only), warning, critical (stays until acknowledged)');

  alerts
    .command('list', { isDefault: true })
    .description('list alerts, newest first')
    .addOption(new Option('--tier <tier>', 'only this tier').choices(['info', 'warning', 'critical']))
    .option('--open', 'only those not acknowledged yet')
    .option(...jsonOption)
    .action(async (opts: { tier?: Tier; open?: boolean; json?: boolean }) => {
      const list = await control().alerts({ tier: opts.tier, open: opts.open });
      if (opts.json) return printJson(list);
      if (!list.length) return console.log(opts.open ? 'No open alerts.' : 'No alerts.');
      console.log(list.map(show).join('\n\n'));
    });

  alerts
    .command('ack')
    .description('acknowledge an alert (a critical one keeps the tray red until then)')
    .argument('<id>', 'the alert, as listed')
    .action(async (id: string) => {
      if (!/^\d+$/.test(id)) throw new Error(`"${id}" is not an alert id (a number, as "tollgate alerts" lists them)`);
      const a = await control().ackAlert(Number(id));
      console.log(`acknowledged alert ${a.id}: ${a.title}`);
    });
}

function show(a: Alert): string {
  const seen = a.count > 1 ? `${a.count} times, last ${time(a.lastAt)}` : time(a.lastAt);
  const state = a.ackedAt === null ? 'open' : `acknowledged ${time(a.ackedAt)}`;
  return `#${a.id} ${a.tier.toUpperCase()} ${a.title}${a.integration ? ` [${a.integration}]` : ''}\n  ${a.message}\n  ${seen}; ${state}`;
}
