// What a service manager runs to start the daemon: this checkout's Node, its entry point, and the
// variables that decide where the daemon keeps its data and keys (a login session's manager does
// not have the terminal's environment).
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export interface DaemonCommand {
  /** The project folder, the daemon's working directory. */
  root: string;
  /** Node, then daemon/bin.mjs and "daemon". */
  argv: string[];
  /** Only the variables that are set here. */
  env: Record<string, string>;
}

/** Carried into the service where they are set: they move the data folder or the keychain entries. */
const CARRIED = ['TOLLGATE_HOME', 'TOLLGATE_KEYCHAIN_SERVICE', 'XDG_DATA_HOME'] as const;

/**
 * The Node resources/with-node chooses: the one resources/setup.sh installed into <project>/.node/
 * when the machine's was too old, else the one running now (bin.mjs has checked it is >= 22.12).
 */
export function projectNode(root: string, current: string, arch: string = process.arch): string {
  const local = join(root, '.node', 'node_modules', `node-linux-${arch === 'arm64' ? 'arm64' : 'x64'}`, 'bin', 'node');
  return existsSync(local) ? local : current;
}

/** The variables of `env` a process started at login needs to find this daemon's data and keys. */
export function carriedEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const carried: Record<string, string> = {};
  for (const name of CARRIED) if (env[name]) carried[name] = env[name];
  return carried;
}

export function daemonCommand(root: string, node: string, env: NodeJS.ProcessEnv): DaemonCommand {
  return { root, argv: [node, join(root, 'daemon', 'bin.mjs'), 'daemon'], env: carriedEnv(env) };
}
