// `tollgate alerts`: list them by tier; acknowledge one, several, or all at once.
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
      const c = control();
      const [list, { timeZone }] = await Promise.all([c.alerts({ tier: opts.tier, open: opts.open }), c.settings()]);
      if (opts.json) return printJson(list);
      if (!list.length) return console.log(opts.open ? 'No open alerts.' : 'No alerts.');
      console.log(list.map((a) => show(a, timeZone)).join('\n\n'));
    });

  alerts
    .command('ack')
    .description('acknowledge alerts: by id, all open ones, or those of a tier (a critical one keeps the tray red until then)')
    .argument('[ids...]', 'the alerts, as listed: 4 or "#4" (quoted: the shell takes an unquoted # for a comment)')
    .option('--all', 'every open alert')
    .addOption(new Option('--tier <tier>', 'every open alert of this tier').choices(['info', 'warning', 'critical']))
    .action(async (args: string[], opts: { all?: boolean; tier?: Tier }) => {
      const ids = [...new Set(args.map(alertId))];
      if ([ids.length > 0, opts.all === true, opts.tier !== undefined].filter(Boolean).length !== 1) {
        throw new Error('say which alerts to acknowledge: their ids as listed (4 or "#4"), --all, or --tier <tier>');
      }
      if (ids.length === 1) {
        const a = await control().ackAlert(ids[0]!);
        return console.log(`acknowledged alert ${a.id}: ${a.title}`);
      }
      if (ids.length > 1) {
        const n = await control().ackAlerts({ ids });
        const already = ids.length - n;
        return console.log(`acknowledged ${n} of ${ids.length} alerts${already ? ` (${already} already acknowledged)` : ''}`);
      }
      const n = await control().ackAlerts(opts.tier ? { tier: opts.tier } : { all: true });
      const which = opts.tier ? `open ${opts.tier} alert` : 'open alert';
      console.log(n === 0 ? `No ${which}s to acknowledge.` : `acknowledged ${n} ${which}${n === 1 ? '' : 's'}`);
    });
}

/** An id as "tollgate alerts" prints it (#4), or bare (4). */
function alertId(arg: string): number {
  const m = /^#?(\d{1,15})$/.exec(arg.trim());
  if (!m || Number(m[1]) === 0) throw new Error(`"${arg}" is not an alert id (a number such as 4 or #4, as "tollgate alerts" lists them)`);
  return Number(m[1]);
}

function show(a: Alert, timeZone: string): string {
  const seen = a.count > 1 ? `${a.count} times, last ${time(a.lastAt, timeZone)}` : time(a.lastAt, timeZone);
  const state = a.ackedAt === null ? 'open' : `acknowledged ${time(a.ackedAt, timeZone)}`;
  return `#${a.id} ${a.tier.toUpperCase()} ${a.title}${a.integration ? ` [${a.integration}]` : ''}\n  ${a.message}\n  ${seen}; ${state}`;
}
