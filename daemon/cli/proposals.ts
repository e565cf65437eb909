// `tollgate proposals`: what the assistant asked for and why; approve (a terminal, always) or reject.
import { type Command, Option } from 'commander';
import { describeChange } from '../client/changes.ts';
import type { CreateIntegration, Proposal, Template } from '../control-types.ts';
import { askForKey, readDefinition, templateDefinition } from './add.ts';
import { control } from './client.ts';
import { parseUsd } from './edit.ts';
import { jsonOption, printJson, table, time, usd } from './format.ts';
import { confirmChange, yesOption } from './prompt.ts';

interface ApproveOptions {
  cap?: number;
  account?: string;
  file?: string;
}

export function proposalCommands(program: Command): void {
  const proposals = program.command('proposals').description("the assistant's requests for a new integration or a higher cap");

  proposals
    .command('list', { isDefault: true })
    .description('list proposals, newest first')
    .addOption(new Option('--status <status>', 'only those with this status').choices(['pending', 'approved', 'rejected']))
    .option(...jsonOption)
    .action(async (opts: { status?: Proposal['status']; json?: boolean }) => {
      const c = control();
      const [list, { timeZone }] = await Promise.all([c.proposals(opts.status), c.settings()]);
      if (opts.json) return printJson(list);
      if (!list.length) return console.log('No proposals.');
      console.log(table(
        ['ID', 'STATUS', 'ASKED', 'WHAT', 'WHY'],
        list.map((p) => [p.id, p.status, time(p.createdAt, timeZone), what(p), p.body.justification]),
      ));
    });

  proposals
    .command('approve')
    .description('approve a proposal (needs a terminal): a higher cap as asked or as --cap says; a new integration from its template with your --account, or from your own --file definition')
    .argument('<id>', 'the proposal (its first characters are enough)')
    .option('--cap <usd>', 'the monthly cap to set instead of the one asked for', parseUsd)
    .option('--account <label>', 'new integration from a template: the assistant-owned provider account its key belongs to')
    .option('--file <definition.json>', 'new integration: your whole definition instead')
    .action(async (id: string, opts: ApproveOptions) => {
      const proposal = await pending(id);
      const b = proposal.body;
      if (b.kind === 'raise_cap') {
        const monthlyCapUsd = opts.cap ?? b.monthlyCapUsd;
        await confirmChange(describeChange({ kind: 'approve_cap', proposal, before: await control().integration(b.integration), monthlyCapUsd }));
        await control().approveProposal(proposal.id, { monthlyCapUsd });
        return console.log(`approved: cap of ${b.integration} is ${usd(monthlyCapUsd)} a month`);
      }
      const { integration, template } = await definition(b, opts);
      await confirmChange(describeChange({ kind: 'approve', proposal, integration, template }));
      const r = await control().approveProposal(proposal.id, { integration });
      console.log(`approved: added ${r.integration.name} (${r.integration.spec.baseUrl}); it makes no calls until its key is set`);
      await askForKey(r.integration.name);
    });

  proposals
    .command('reject')
    .description('reject a proposal; nothing changes')
    .argument('<id>', 'the proposal (its first characters are enough)')
    .option('--reason <text>', 'why, for the assistant to read')
    .option(...yesOption)
    .action(async (id: string, opts: { reason?: string; yes?: boolean }) => {
      const proposal = await pending(id);
      await confirmChange(describeChange({ kind: 'reject', proposal, reason: opts.reason }), opts.yes);
      const p = await control().rejectProposal(proposal.id, opts.reason);
      console.log(`rejected: ${what(p)}`);
    });
}

/** The one pending proposal whose id starts with `prefix`. */
async function pending(prefix: string): Promise<Proposal> {
  const found = (await control().proposals('pending')).filter((p) => p.id.startsWith(prefix.toLowerCase()));
  if (found.length === 1) return found[0]!;
  throw new Error(found.length ? `"${prefix}" matches ${found.length} pending proposals: give more of the id` : `no pending proposal ${prefix} ("tollgate proposals" lists them)`);
}

/** The operator's definition of a proposed integration: the proposal only suggests one. */
async function definition(b: Extract<Proposal['body'], { kind: 'new_integration' }>, opts: ApproveOptions): Promise<{ integration: CreateIntegration; template?: Template }> {
  if (opts.file) return { integration: readDefinition(opts.file) };
  if (!b.template) throw new Error(`the proposal names no template: approve it with --file <definition.json>, your whole definition of ${b.name}`);
  // The purpose is the proposal's; the account is the operator's to name.
  if (!opts.account) throw new Error(`give --account <label of the provider account the key belongs to>, or --file <definition.json> with your whole definition of ${b.name}`);
  return templateDefinition({ template: b.template, name: b.name, purpose: b.purpose, account: opts.account, cap: opts.cap ?? b.monthlyCapUsd });
}

function what(p: Proposal): string {
  const b = p.body;
  return b.kind === 'raise_cap'
    ? `raise the cap of ${b.integration} to ${usd(b.monthlyCapUsd)}`
    : `new integration ${b.name}${b.template ? ` (template ${b.template})` : b.baseUrl ? ` (${b.baseUrl})` : ''}: ${b.purpose}`;
}
