// The CLI's one connection to the daemon: every command goes through the control socket, as the
// client named "cli" (recorded with what it approves). Nothing here opens the database or the keychain.
import { ControlClient } from '../client/control-client.ts';
import { resolvePaths } from '../paths.ts';

let client: ControlClient | undefined;

export function control(): ControlClient {
  client ??= new ControlClient(resolvePaths().controlSocket, 'cli');
  return client;
}
