// `tollgate sessions`: the assistants' runs, each on its own socket with a purpose, an optional
// budget and optionally some integrations only. Listing shows their spend as it is now. Starting
// one widens nothing (it reaches only what is approved, within the caps; a budget narrows that)
// and stopping one narrows: both ask, and run unattended with --yes.
import type { Command } from 'commander';
import { describeChange } from '../client/changes.ts';
import type { CreateSession, SessionView } from '../control-types.ts';
import { control } from './client.ts';
import { parseUsd } from './edit.ts';
import { jsonOption, printJson, table, time, usd } from './format.ts';
import { confirmChange, yesOption } from './prompt.ts';

interface StartOptions {
  purpose: string;
  budget?: number;
  allow: string[];
  yes?: boolean;
  json?: boolean;
}

export function sessionCommands(program: Command): void {
  const sessions = program.command('sessions').description("sessions: one run of an assistant on its own agent socket, with a purpose, an optional budget of its own and optionally some integrations only");

  sessions
    .command('list', { isDefault: true })
    .description('running sessions, then recent ones, with their spend as it is now')
    .option(...jsonOption)
    .action(async (opts: { json?: boolean }) => {
      const c = control();
      const [list, { timeZone }] = await Promise.all([c.sessions(), c.settings()]);
      if (opts.json) return printJson(list);
      if (!list.length) return console.log('No sessions yet: start one with "tollgate sessions start --purpose <text>".');
      console.log(table(
        ['ID', 'STATUS', 'PURPOSE', 'BUDGET', 'SPENT', 'CALLS', 'STARTED', 'ENDED'],
        list.map((s) => [
          s.id, s.status, s.purpose, s.budgetUsd === null ? '-' : usd(s.budgetUsd),
          s.reservedUsd > 0 ? `${usd(s.spentUsd)} (+${usd(s.reservedUsd)} in flight)` : usd(s.spentUsd),
          String(s.calls), time(s.startedAt, timeZone), s.endedAt === null ? '-' : time(s.endedAt, timeZone),
        ]),
        [3, 4, 5],
      ));
    });

  sessions
    .command('start')
    .description('start a session and print its id and socket (point the assistant at it: TOLLGATE_AGENT_SOCKET)')
    .requiredOption('--purpose <text>', 'what the session is for; it stands in for calls that give no purpose')
    .option('--budget <usd>', 'its own budget in USD over its whole life (the caps still hold)', parseUsd)
    .option('--allow <integration>', 'an integration it may reach (repeatable; default: every approved one)', (v: string, prev: string[]) => [...prev, v], [])
    .option(...yesOption)
    .option(...jsonOption)
    .action(async (opts: StartOptions) => {
      const body: CreateSession = { purpose: opts.purpose };
      if (opts.budget !== undefined) body.budgetUsd = opts.budget;
      if (opts.allow.length) body.integrations = opts.allow;
      await confirmChange(describeChange({ kind: 'start_session', session: body }), opts.yes);
      const s = await control().startSession(body);
      if (opts.json) return printJson(s);
      console.log(`started session ${s.id}`);
      console.log(`socket: ${s.socket}`);
      console.log(`the assistant calls through it: TOLLGATE_AGENT_SOCKET=${s.socket}`);
    });

  sessions
    .command('stop')
    .description('stop a running session: its socket takes no new calls; calls in flight finish or are settled')
    .argument('<id>', 'the session (its first characters are enough)')
    .option(...yesOption)
    .action(async (id: string, opts: { yes?: boolean }) => {
      const session = await running(id);
      await confirmChange(describeChange({ kind: 'stop_session', session }), opts.yes);
      const s = await control().stopSession(session.id);
      console.log(`stopped session ${s.id} (${s.purpose}): spent ${usd(s.spentUsd)} in ${s.calls} call(s)`);
    });
}

/** The one running session whose id starts with `prefix`. */
async function running(prefix: string): Promise<SessionView> {
  const found = (await control().sessions()).filter((s) => s.status === 'running' && s.id.startsWith(prefix.toLowerCase()));
  if (found.length === 1) return found[0]!;
  throw new Error(found.length ? `"${prefix}" matches ${found.length} running sessions: give more of the id` : `no running session ${prefix} ("tollgate sessions" lists them)`);
}
