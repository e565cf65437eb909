// The `tollgate` command. The daemon runs here; every other command is a client of the
// control socket (the CLI never opens the database or the keychain itself).
import { Command } from 'commander';
import { addCommands } from './cli/add.ts';
import { alertCommands } from './cli/alerts.ts';
import { auditCommands } from './cli/audit.ts';
import { editCommands, parseUsd } from './cli/edit.ts';
import { integrationCommands } from './cli/integrations.ts';
import { lifecycleCommands } from './cli/lifecycle.ts';
import { proposalCommands } from './cli/proposals.ts';
import { sessionCommands } from './cli/sessions.ts';
import { settingsCommands } from './cli/settings.ts';
import { statusCommand } from './cli/status.ts';
import type { SandboxOptions } from './sandbox/run.ts';
import { VERSION } from './version.ts';

const program = new Command('tollgate')
  .version(VERSION)
  .description('A local gate between an AI assistant and the APIs it calls. Every command but "daemon" and "start" talks to the running daemon over its control socket.')
  // Usage errors look like every other error: one line, prefixed "tollgate:".
  .configureOutput({ outputError: (str, write) => write(`tollgate: ${str.replace(/^error: /, '')}`) });

program.command('daemon').description('run the daemon in the foreground').action(async () => (await import('./cli/run.ts')).runDaemon());

program.command('start').description('start the daemon in the background (unless one is running), then the tray app where Electron and a display exist')
  .action(async () => (await import('./cli/run.ts')).start());

program.command('mcp').description('serve the agent API to an MCP client over stdio (talks only to the agent socket)')
  .action(async () => (await import('./mcp/server.ts')).runMcp());

const repeat = (value: string, previous: string[]): string[] => [...previous, value];
function parsePort(s: string): number {
  const n = Number(s);
  if (!/^\d+$/.test(s) || n < 1024 || n > 65535) throw new Error(`--agent-port ${s}: a port from 1024 to 65535`);
  return n;
}
program.command('sandbox').description("run a command (the assistant) as a session whose only way out is Tollgate: no network but the agent API (its socket, and plain HTTP on the sandbox's own loopback), Tollgate's data and the keychain out of reach, the file system read-only but for --work folders; an assistant profile points the assistant's own model at its governed integration")
  .usage('[options] -- <command> [args...]')
  .option('--work <dir>', 'a folder the command may write to (repeatable)', repeat, [])
  .option('--ro <dir>', 'a folder the command may read even where the sandbox hides it by default, e.g. under /tmp or ~/.ssh (repeatable)', repeat, [])
  .option('--purpose <text>', "the session's purpose, recorded with each call (default: the command line)")
  .option('--budget <usd>', "the session's own budget in USD (the caps still hold)", (v: string) => parseUsd(v))
  .option('--allow <integration>', 'an integration the session may reach (repeatable; default: every approved one)', repeat, [])
  .option('--assistant <profile>', 'the assistant profile: claude-code, codex, openai-sdk, anthropic-sdk (default: chosen from the command\'s name, e.g. claude, codex)')
  .option('--integration <name>', "the integration that carries the assistant's model (default: the approved one of its profile's template)")
  .option('--agent-port <port>', "the port of TOLLGATE_AGENT_URL on the sandbox's own loopback (default: 8787; on macOS a free one)", parsePort)
  .argument('<command>').argument('[args...]')
  .action(async (command: string, args: string[], opts: SandboxOptions) => (await import('./sandbox/run.ts')).runSandbox(command, args, opts));

statusCommand(program);
integrationCommands(program);
addCommands(program);
editCommands(program);
lifecycleCommands(program);
auditCommands(program);
alertCommands(program);
proposalCommands(program);
sessionCommands(program);
settingsCommands(program);

program.parseAsync().catch((e: unknown) => {
  // The message only, on one line: no stack trace (and never anything typed at a prompt).
  console.error(`tollgate: ${(e instanceof Error ? e.message : String(e)).replace(/\s*\n\s*/g, ' ')}`);
  process.exit(1);
});
