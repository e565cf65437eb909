// `tollgate sandbox`: its options; the run itself (daemon/sandbox/run.ts) loads only when it runs.
import type { Command } from 'commander';
import type { SandboxOptions } from '../sandbox/run.ts';
import { parseUsd } from './edit.ts';

const repeat = (value: string, previous: string[]): string[] => [...previous, value];

function parsePort(s: string): number {
  const n = Number(s);
  if (!/^\d+$/.test(s) || n < 1024 || n > 65535) throw new Error(`--agent-port ${s}: a port from 1024 to 65535`);
  return n;
}

export function sandboxCommand(program: Command): void {
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
    .action(async (command: string, args: string[], opts: SandboxOptions) => (await import('../sandbox/run.ts')).runSandbox(command, args, opts));
}
