// The CLI's commands, by the module that adds them. A command line loads only the module of the
// command it names (every one for --help, `help` or an unknown name), so that `tollgate status`
// starts in the time its own imports take, not the whole CLI's (zod, the prompts, the sandbox).
// test/daemon/cli/commands.test.ts checks that each module adds exactly the commands listed here.
import type { Command } from 'commander';

type Register = (program: Command) => void;

export const COMMAND_MODULES: readonly { names: readonly string[]; load: () => Promise<Register> }[] = [
  { names: ['sandbox'], load: async () => (await import('./sandbox.ts')).sandboxCommand },
  { names: ['status'], load: async () => (await import('./status.ts')).statusCommand },
  { names: ['socket'], load: async () => (await import('./socket.ts')).socketCommand },
  { names: ['integrations', 'templates'], load: async () => (await import('./integrations.ts')).integrationCommands },
  { names: ['add', 'set-key'], load: async () => (await import('./add.ts')).addCommands },
  { names: ['cap', 'routes', 'models', 'credential-formats'], load: async () => (await import('./edit.ts')).editCommands },
  { names: ['suspend', 'resume', 'decommission', 'suspend-all'], load: async () => (await import('./lifecycle.ts')).lifecycleCommands },
  { names: ['audit'], load: async () => (await import('./audit.ts')).auditCommands },
  { names: ['alerts'], load: async () => (await import('./alerts.ts')).alertCommands },
  { names: ['proposals'], load: async () => (await import('./proposals.ts')).proposalCommands },
  { names: ['sessions'], load: async () => (await import('./sessions.ts')).sessionCommands },
  { names: ['settings'], load: async () => (await import('./settings.ts')).settingsCommands },
  { names: ['ledger'], load: async () => (await import('./ledger.ts')).ledgerCommands },
  { names: ['service'], load: async () => (await import('./service.ts')).serviceCommands },
];

/**
 * Adds the commands `args` (the command line after the program) needs: none when it names one
 * `program` has already, the named one's module, else all (for help and unknown names).
 */
export async function registerCommands(program: Command, args: readonly string[]): Promise<void> {
  const named = args.find((a) => !a.startsWith('-')); // the program's own options take no value
  if (named !== undefined && program.commands.some((c) => c.name() === named)) return;
  const one = COMMAND_MODULES.find((m) => named !== undefined && m.names.includes(named));
  const registers = await Promise.all((one ? [one] : COMMAND_MODULES).map((m) => m.load()));
  for (const register of registers) register(program);
}
