// `tollgate socket`: where an assistant's agent socket is, found as the client library finds it,
// for programs in other languages (e.g. curl --unix-socket "$(tollgate socket)").
import type { Command } from 'commander';
import { agentSocketPath } from '../paths.ts';

export function socketCommand(program: Command): void {
  program
    .command('socket')
    .description("print the agent socket's path: TOLLGATE_AGENT_SOCKET when set, else the daemon's (TOLLGATE_HOME respected)")
    .action(() => console.log(agentSocketPath()));
}
