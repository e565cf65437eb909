// `tollgate audit`: the audit log (list, verify the HMAC chain, export as JSONL).
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { type Command, Option } from 'commander';
import { control } from './client.ts';
import { confirmChange, yesOption } from './prompt.ts';
import { jsonOption, printJson, table, time, usd } from './format.ts';

interface ListOptions {
  integration?: string;
  outcome?: string;
  session?: string;
  limit: number;
  before?: number;
  json?: boolean;
}

export function auditCommands(program: Command): void {
  const audit = program.command('audit').description('the audit log: every call, refused or not, without query values, bodies or keys');

  audit
    .command('list', { isDefault: true })
    .description('list audit records, newest first')
    .option('--integration <name>', 'only this integration')
    .addOption(new Option('--outcome <outcome>', 'only this outcome').choices(['ok', 'refused', 'error', 'unknown']))
    .option('--session <id>', 'only the calls of this session')
    .option('--limit <n>', 'at most this many (up to 1000)', positiveInt, 50)
    .option('--before <id>', 'only records older than this id (the next page)', positiveInt)
    .option(...jsonOption)
    .action(async (opts: ListOptions) => {
      const c = control();
      const [records, { timeZone }] = await Promise.all([
        c.audit({ integration: opts.integration, outcome: opts.outcome, session: opts.session, limit: opts.limit, before: opts.before }), c.settings(),
      ]);
      if (opts.json) return printJson(records);
      if (!records.length) return console.log('No audit records match.');
      console.log(table(
        ['ID', 'TIME', 'INTEGRATION', 'CALL', 'OUTCOME', 'STATUS', 'COST', 'MS', 'PURPOSE'],
        records.map((r) => [
          String(r.id), time(r.at, timeZone), r.integration, `${r.method} ${r.host}${r.path}`, r.code ? `${r.outcome} (${r.code})` : r.outcome,
          r.status === null ? '-' : String(r.status), usd(r.costUsd), String(r.latencyMs), r.purpose,
        ]),
        [0, 5, 6, 7],
      ));
      console.log('\nRedacted: paths are shown without their query; query values, bodies, responses and keys are never recorded.');
      if (records.length === opts.limit) console.log(`Older records: tollgate audit list --before ${records.at(-1)!.id}`);
    });

  audit
    .command('verify')
    .description('check the audit chain; exit 1 at the first broken record')
    .action(async () => {
      const result = await control().verifyAudit();
      if (!result.ok) throw new Error(`audit chain broken at record ${result.firstBad} (${result.records} records before it verify)`);
      console.log(`audit chain intact: ${result.records} records`);
    });

  audit
    .command('accept-end')
    .description("accept a log whose last records were cut off (verify fails past its end): the keychain's anchor moves to the newest record")
    .option(...yesOption)
    .action(async (opts: { yes?: boolean }) => {
      await confirmChange({
        title: 'Accept the shortened audit log',
        widens: false,
        details: [
          'The records cut off the end stay gone, and verify stops reporting them.',
          'Save the evidence first (runbook, section 5: audit export and a copy of the database).',
          'A warning alert records that you did this.',
        ],
      }, opts.yes);
      const r = await control().acceptAuditEnd();
      console.log(`audit log accepted: ${r.records} records, ending at record ${r.to.id} (the anchor was at record ${r.from?.id ?? '?'})`);
    });

  audit
    .command('export')
    .description('write every audit record as JSONL (cost as integer costMicros, as the HMAC chain covers it), to stdout or a file')
    .option('--out <file>', 'write to this file (created readable by you only) instead of stdout')
    .action(async (opts: { out?: string }) => {
      let lines = 0;
      const count = async function* (chunks: AsyncIterable<Buffer>) {
        for await (const chunk of chunks) {
          for (const byte of chunk) if (byte === 0x0a) lines++;
          yield chunk;
        }
      };
      if (!opts.out) return pipeline(await control().exportAudit(), count, process.stdout);
      await writeWhole(opts.out, async (file) => pipeline(await control().exportAudit(), count, file));
      console.log(`wrote ${lines} audit records to ${opts.out}`);
    });
}

/**
 * Writes `out` whole or not at all: into a new file beside it (readable by you only), renamed over
 * `out` once complete, so a failure leaves no partial export and an older file as it was.
 */
async function writeWhole(out: string, write: (file: NodeJS.WritableStream) => Promise<void>): Promise<void> {
  const partial = join(dirname(out), `.${basename(out)}.${process.pid}.partial`);
  let handle;
  try {
    handle = await open(partial, 'wx', 0o600);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new Error(`cannot write ${out}: there is no folder ${dirname(out)}; create it first, or give another --out`);
    throw new Error(`cannot write ${out}: ${code === 'EACCES' || code === 'EPERM' ? `${dirname(out)} is not writable by you` : (e as Error).message}`);
  }
  try {
    await write(handle.createWriteStream());
    await rename(partial, out);
  } catch (e) {
    await rm(partial, { force: true });
    throw e;
  }
}

function positiveInt(s: string): number {
  if (!/^[1-9]\d*$/.test(s)) throw new Error(`"${s}" is not a whole number above 0`);
  return Number(s);
}
