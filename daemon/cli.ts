// The `tollgate` command. The daemon runs here; every other command is a client of the
// control socket (the CLI never opens the database or the keychain itself).
import { Command } from 'commander';
import { addCommands } from './cli/add.ts';
import { alertCommands } from './cli/alerts.ts';
import { auditCommands } from './cli/audit.ts';
import { editCommands } from './cli/edit.ts';
import { integrationCommands } from './cli/integrations.ts';
import { lifecycleCommands } from './cli/lifecycle.ts';
import { proposalCommands } from './cli/proposals.ts';
import { settingsCommands } from './cli/settings.ts';
import { statusCommand } from './cli/status.ts';
import { VERSION } from './version.ts';

const program = new Command('tollgate')
  .version(VERSION)
  .description('A local gate between an AI assistant and the APIs it calls. Every command but "daemon" and "start" talks to the running daemon over its control socket.')
  // Usage errors look like every other error: one line, prefixed "tollgate:".
  .configureOutput({ outputError: (str, write) => write(`tollgate: ${str.replace(/^error: /, '')}`) });

program.command('daemon').description('run the daemon in the foreground').action(async () => (await import('./cli/run.ts')).runDaemon());

program.command('start').description('start the daemon in the background (unless one is running), then the tray app where Electron and a display exist')
  .action(async () => (await import('./cli/run.ts')).start());

statusCommand(program);
integrationCommands(program);
addCommands(program);
editCommands(program);
lifecycleCommands(program);
auditCommands(program);
alertCommands(program);
proposalCommands(program);
settingsCommands(program);

program.parseAsync().catch((e: unknown) => {
  // The message only, on one line: no stack trace (and never anything typed at a prompt).
  console.error(`tollgate: ${(e instanceof Error ? e.message : String(e)).replace(/\s*\n\s*/g, ' ')}`);
  process.exit(1);
});
