// `tollgate ledger`: the shared ledger (PostgreSQL) that lets several machines enforce one budget.
// Shows the connection, the shared budgets and their spend per machine; connects (the URL is
// typed at a hidden prompt, never on the command line where `ps` and the shell history keep it);
// creates a budget or sets its cap (raising it needs a terminal); puts an integration on a shared
// budget or takes it off (leaving needs a terminal); settles the reservations a dead machine left
// open, once confirmed.
import type { Command } from 'commander';
import { type ChangeDescription, describeChange } from '../client/changes.ts';
import type { LedgerView } from '../control-types.ts';
import { control } from './client.ts';
import { parseUsd } from './edit.ts';
import { jsonOption, printJson, table, time, usd } from './format.ts';
import { confirmChange, interactive, promptSecret, yesOption } from './prompt.ts';

export function ledgerCommands(program: Command): void {
  const ledger = program.command('ledger').description('the shared ledger (PostgreSQL): one budget enforced by several machines');

  ledger
    .command('show', { isDefault: true })
    .description('the connection, each shared budget with its spend per machine, and reservations left open')
    .option(...jsonOption)
    .action(async (opts: { json?: boolean }) => {
      const [view, { timeZone }] = await Promise.all([control().ledger(), control().settings()]);
      if (opts.json) return printJson(view);
      console.log(describe(view, timeZone));
    });

  ledger
    .command('connect')
    .description('point this machine at a shared ledger: the postgresql:// URL is asked for at a hidden prompt and kept in the OS keychain')
    .action(async () => {
      if (!interactive()) throw new Error('the ledger URL holds a password: type it at an interactive terminal, not on the command line or from a pipe');
      const url = (await promptSecret('PostgreSQL URL (postgresql://user:password@host:5432/database): ')).trim();
      await confirmChange({ title: 'Connect this machine to the shared ledger', widens: true, details: [
        'Integrations with a sharedBudget will reserve and settle against the budgets in that database.',
        'The URL is kept in the OS keychain only.',
      ] });
      const view = await control().call<LedgerView>('PUT', '/v1/ledger', { url });
      console.log(`connected: ${view.where} (this machine is "${view.machine}")`);
    });

  ledger
    .command('disconnect')
    .description('forget the shared ledger: calls on shared budgets are refused until one is connected again')
    .option(...yesOption)
    .action(async (opts: { yes?: boolean }) => {
      await confirmChange({ title: 'Disconnect from the shared ledger', widens: false, details: [
        'Calls on integrations with a sharedBudget will be refused (ledger_unavailable).',
        'The URL is removed from the OS keychain.',
      ] }, opts.yes);
      await control().call<LedgerView>('DELETE', '/v1/ledger');
      console.log('disconnected');
    });

  ledger
    .command('budget')
    .description('create a shared budget or set its monthly cap in USD (creating or raising one needs a terminal)')
    .argument('<name>', 'the budget, as integrations name it in "sharedBudget"')
    .argument('<usd>', 'the monthly cap over every machine, e.g. 50', parseUsd)
    .option('--time-zone <zone>', "the time zone its month is counted in (default, for a new budget: this machine's)")
    .option('--reset-day <day>', 'the day of the month it resets on, 1 to 28 (default, for a new budget: this machine\'s)', Number)
    .option(...yesOption)
    .action(async (name: string, monthlyCapUsd: number, opts: { timeZone?: string; resetDay?: number; yes?: boolean }) => {
      const current = (await control().ledger()).budgets.find((b) => b.name === name);
      await confirmChange(budgetChange(name, current?.monthlyCapUsd ?? null, monthlyCapUsd), opts.yes);
      const body = { monthlyCapUsd, ...(opts.timeZone ? { timeZone: opts.timeZone } : {}), ...(opts.resetDay ? { resetDay: opts.resetDay } : {}) };
      const view = await control().call<LedgerView>('PUT', `/v1/ledger/budgets/${encodeURIComponent(name)}`, body);
      const b = view.budgets.find((x) => x.name === name)!;
      console.log(`shared budget ${name}: ${usd(b.monthlyCapUsd)} a month, resets on day ${b.resetDay} (${b.timeZone})`);
    });

  ledger
    .command('use')
    .description('draw an integration on a shared budget as well as its own cap (moving it from another one needs a terminal)')
    .argument('<integration>', 'the integration, on this machine')
    .argument('<budget>', 'the shared budget')
    .option(...yesOption)
    .action((name: string, budget: string, opts: { yes?: boolean }) => setSharedBudget(name, budget, opts.yes));

  ledger
    .command('leave')
    .description('take an integration off its shared budget: only its own cap and the global cap hold then (needs a terminal)')
    .argument('<integration>', 'the integration, on this machine')
    .option(...yesOption)
    .action((name: string, opts: { yes?: boolean }) => setSharedBudget(name, null, opts.yes));

  ledger
    .command('settle')
    .description('settle, at their reserved amounts, the reservations a machine left open (one that died and will not come back)')
    .argument('<machine>', 'the machine, as "tollgate ledger" lists it')
    .option(...yesOption)
    .action(async (machine: string, opts: { yes?: boolean }) => {
      const open = (await control().ledger()).budgets.flatMap((b) => b.open.filter((o) => o.machine === machine).map((o) => ({ budget: b.name, ...o })));
      if (!open.length) return console.log(`${machine} has no open reservations.`);
      await confirmChange({
        title: `Settle ${machine}'s open reservations at their full amounts`,
        widens: false,
        details: [
          ...open.map((o) => `${o.count} on ${o.budget}: ${usd(o.amountUsd)}, the oldest from ${o.oldest}`),
          'Each counts as spent at what it reserved. Do this only for a machine that is gone: a live one settles its own.',
        ],
      }, opts.yes);
      const r = await control().call<{ count: number; amountUsd: number }>('POST', `/v1/ledger/machines/${encodeURIComponent(machine)}/settle`);
      console.log(`settled ${r.count} reservation(s) of ${machine}: ${usd(r.amountUsd)}`);
    });
}

/** Confirmed as any change of an integration: leaving a shared budget or moving to another widens. */
async function setSharedBudget(name: string, sharedBudget: string | null, yes: boolean | undefined): Promise<void> {
  const before = await control().integration(name);
  await confirmChange(describeChange({ kind: 'update', before, change: { sharedBudget } }), yes);
  const after = await control().updateIntegration(name, { sharedBudget });
  console.log(after.spec.sharedBudget ? `${name} draws on the shared budget ${after.spec.sharedBudget}` : `${name} draws on no shared budget`);
}

export function budgetChange(name: string, before: number | null, after: number): ChangeDescription {
  if (before === null) return { title: `Create the shared budget ${name}`, widens: true, details: [`monthly cap ${usd(after)}, over every machine that draws on it`] };
  return { title: `Set the cap of the shared budget ${name}`, widens: after > before, details: [`monthly cap ${usd(before)} → ${usd(after)}, over every machine`] };
}

/** The ledger as a person reads it. */
export function describe(view: LedgerView, timeZone: string): string {
  if (!view.configured) return `No shared ledger on this machine ("${view.machine}"). Set one up with "tollgate ledger connect".`;
  const lines = [`shared ledger: ${view.where}; this machine: ${view.machine}`];
  if (view.pendingSettles > 0) lines.push(`${view.pendingSettles} settle(s) of this machine not written yet: retried every 2 s; their reservations stay counted in full meanwhile`);
  if (!view.reachable) return [...lines, `unreachable: ${view.error}. Calls on shared budgets are refused until it answers.`].join('\n');
  if (!view.budgets.length) return [...lines, 'No shared budgets yet: create one with "tollgate ledger budget <name> <usd>".'].join('\n');
  for (const b of view.budgets) {
    lines.push('', `${b.name}: ${usd(b.spentUsd)} of ${usd(b.monthlyCapUsd)} spent${b.reservedUsd > 0 ? ` (+${usd(b.reservedUsd)} in flight)` : ''}, ` +
      `${usd(b.remainingUsd)} left; resets ${time(b.resetsAt, timeZone)}`);
    if (b.machines.length) {
      lines.push(table(['MACHINE', 'SPENT', 'CALLS'], b.machines.map((m) => [m.machine, usd(m.spentUsd), String(m.calls)]), [1, 2]));
    }
    for (const o of b.open) {
      lines.push(`open: ${o.count} reservation(s) of ${o.machine}, ${usd(o.amountUsd)}, the oldest from ${time(o.oldest, timeZone)}` +
        (o.machine === view.machine ? '' : ` (if that machine is gone for good: "tollgate ledger settle ${o.machine}")`));
    }
  }
  return lines.join('\n');
}
