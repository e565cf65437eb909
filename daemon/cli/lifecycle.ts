// An integration's life: suspend, resume, decommission, and the kill switch. Resuming widens
// authority (a terminal, always); the others narrow it and run unattended with --yes.
import type { Command } from 'commander';
import { describeChange } from '../client/changes.ts';
import { control } from './client.ts';
import { confirmChange, yesOption } from './prompt.ts';

export function lifecycleCommands(program: Command): void {
  program
    .command('suspend')
    .description('refuse all calls to an integration until it is resumed')
    .argument('<name>', 'the integration')
    .option('--reason <text>', 'why (shown with its state)')
    .option(...yesOption)
    .action(async (name: string, opts: { reason?: string; yes?: boolean }) => {
      const integration = await control().integration(name);
      await confirmChange(describeChange({ kind: 'suspend', integration }), opts.yes);
      const suspended = await control().suspend(name, opts.reason);
      console.log(`suspended ${name}: ${suspended.statusReason}`);
    });

  program
    .command('resume')
    .description('let a suspended integration make calls again (needs a terminal)')
    .argument('<name>', 'the integration')
    .action(async (name: string) => {
      const integration = await control().integration(name);
      await confirmChange(describeChange({ kind: 'resume', integration }));
      await control().resume(name);
      console.log(`resumed ${name}`);
    });

  program
    .command('decommission')
    .description('retire an integration for good: its key leaves the keychain, its audit records are archived (then revoke the key at the provider)')
    .argument('<name>', 'the integration')
    .option(...yesOption)
    .action(async (name: string, opts: { yes?: boolean }) => {
      const integration = await control().integration(name);
      await confirmChange(describeChange({ kind: 'decommission', integration }), opts.yes);
      const r = await control().decommission(name);
      console.log(`decommissioned ${name}; ${r.keyRemoved ? 'its key was deleted from the keychain' : 'it had no key in the keychain'}`);
      console.log(`audit archive: ${r.archive.file} (${r.archive.records} records)`);
      console.log(`checksum:      ${r.archive.checksumFile} (sha256 ${r.archive.sha256})`);
      console.log(r.reminder);
    });

  program
    .command('suspend-all')
    .description('kill switch: suspend every active integration (each must then be resumed on its own)')
    .option('--reason <text>', 'why (shown with each state)')
    .option(...yesOption)
    .action(async (opts: { reason?: string; yes?: boolean }) => {
      const names = (await control().integrations()).filter((i) => i.status === 'active').map((i) => i.name);
      await confirmChange(describeChange({ kind: 'suspend_all', names }), opts.yes);
      const suspended = await control().suspendAll(opts.reason);
      console.log(suspended.length ? `suspended ${suspended.join(', ')}` : 'nothing to suspend: no integration is active');
    });
}
