// `tollgate status`: the operator's glance — spend against each cap, states, open alerts, pending proposals.
import type { Command } from 'commander';
import type { Tier } from '../control-types.ts';
import { control } from './client.ts';
import { jsonOption, printJson, table, time, usd } from './format.ts';

const TIERS: Tier[] = ['critical', 'warning', 'info'];

export function statusCommand(program: Command): void {
  program
    .command('status')
    .description("show this period's spend against each cap, each integration's state, open alerts and pending proposals")
    .option(...jsonOption)
    .action(async (opts: { json?: boolean }) => {
      const c = control();
      const [spend, integrations, alerts, proposals] = await Promise.all([
        c.spend(), c.integrations(), c.alerts({ open: true, limit: 1000 }), c.proposals('pending'),
      ]);
      const byName = new Map(integrations.map((i) => [i.name, i]));
      const rows = spend.integrations.map((s) => ({ ...s, statusReason: byName.get(s.name)?.statusReason ?? null, keySet: byName.get(s.name)?.keySet ?? false }));
      const openAlerts = Object.fromEntries(TIERS.map((t) => [t, alerts.filter((a) => a.tier === t).length])) as Record<Tier, number>;
      if (opts.json) {
        printJson({ period: spend.period, totalSpentUsd: spend.totalSpentUsd, globalCapUsd: spend.globalCapUsd, integrations: rows, openAlerts, pendingProposals: proposals.length });
        return;
      }
      const live = rows.filter((r) => r.status !== 'decommissioned');
      console.log(`Period from ${spend.period.id}; caps reset ${time(spend.period.resetsAt, spend.period.timeZone)}`);
      console.log('');
      if (live.length) {
        console.log(table(
          ['INTEGRATION', 'SPENT', 'CAP', 'REMAINING', 'STATE'],
          live.map((r) => [r.name, usd(r.spentUsd), usd(r.capUsd), usd(r.remainingUsd), state(r)]),
          [1, 2, 3],
        ));
      } else {
        console.log('No integrations yet: see "tollgate templates" and "tollgate add --help".');
      }
      console.log('');
      console.log(`Total spent: ${usd(spend.totalSpentUsd)}${spend.globalCapUsd === null ? ' (no global cap)' : ` of a global cap of ${usd(spend.globalCapUsd)}`}`);
      const open = TIERS.filter((t) => openAlerts[t] > 0).map((t) => `${openAlerts[t]} ${t}`);
      console.log(`Open alerts: ${open.length ? `${open.join(', ')} ("tollgate alerts --open")` : 'none'}`);
      console.log(`Pending proposals: ${proposals.length}${proposals.length ? ' ("tollgate proposals")' : ''}`);
    });
}

function state(r: { status: string; statusReason: string | null; keySet: boolean }): string {
  if (r.status === 'active' && !r.keySet) return 'active, no key yet';
  return r.statusReason && r.status === 'suspended' ? `suspended: ${r.statusReason}` : r.status;
}
