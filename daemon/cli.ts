// The `tollgate` command. The daemon runs here; every other command is a client of the
// control socket (the CLI never opens the database or the keychain itself).
import { Command } from 'commander';
import { registerCommands } from './cli/commands.ts';
import { VERSION } from './version.ts';

const program = new Command('tollgate')
  .version(VERSION)
  .description('A local gate between an AI assistant and the APIs it calls. Every command but "daemon", "start" and "socket" talks to the running daemon over its control socket.')
  // Usage errors look like every other error: one line, prefixed "tollgate:".
  .configureOutput({ outputError: (str, write) => write(`tollgate: ${str.replace(/^error: /, '')}`) });

program.command('daemon').description('run the daemon in the foreground').action(async () => (await import('./cli/run.ts')).runDaemon());

program.command('start').description('start the daemon in the background (unless one is running), then the tray app where Electron and a display exist')
  .action(async () => (await import('./cli/run.ts')).start());

program.command('mcp').description('serve the agent API to an MCP client over stdio (talks only to the agent socket)')
  .action(async () => (await import('./mcp/server.ts')).runMcp());

registerCommands(program, process.argv.slice(2)).then(() => program.parseAsync()).catch((e: unknown) => {
  // The message only, on one line: no stack trace (and never anything typed at a prompt).
  console.error(`tollgate: ${(e instanceof Error ? e.message : String(e)).replace(/\s*\n\s*/g, ' ')}`);
  process.exit(1);
});
