// Where Tollgate keeps its data and sockets. TOLLGATE_HOME moves everything; otherwise
// the platform's conventional places.
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';

export interface Paths {
  /** Database, archives and the integrations register. */
  dataDir: string;
  /** Folder holding the sockets and the pid file (mode 0700). */
  runDir: string;
  agentSocket: string;
  controlSocket: string;
  /** Folder of the sessions' own agent sockets, `<id>.sock` (inside runDir). */
  sessionsDir: string;
  pidFile: string;
  database: string;
  archiveDir: string;
  register: string;
}

export function resolvePaths(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): Paths {
  const { dataDir, runDir } = folders(env, platform);
  const pipe = (kind: string): string => `\\\\.\\pipe\\tollgate-${userInfo().username}-${kind}`;
  return {
    dataDir,
    runDir,
    agentSocket: platform === 'win32' && !env.TOLLGATE_HOME ? pipe('agent') : join(runDir, 'agent.sock'),
    controlSocket: platform === 'win32' && !env.TOLLGATE_HOME ? pipe('control') : join(runDir, 'control.sock'),
    sessionsDir: join(runDir, 'sessions'),
    pidFile: join(runDir, 'daemon.pid'),
    database: join(dataDir, 'tollgate.db'),
    archiveDir: join(dataDir, 'archive'),
    register: join(dataDir, 'INTEGRATIONS.md'),
  };
}

/**
 * The agent socket an assistant uses: TOLLGATE_AGENT_SOCKET (a session's, inside a sandbox) when
 * set, else the daemon's (TOLLGATE_HOME respected). The client library and `tollgate socket` both ask here.
 */
export function agentSocketPath(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  return env.TOLLGATE_AGENT_SOCKET || resolvePaths(env, platform).agentSocket;
}

/** A session's agent socket: `run/sessions/<id>.sock`, or a named pipe where the agent socket is one. */
export function sessionSocket(paths: Paths, id: string): string {
  return paths.agentSocket.startsWith('\\\\.\\pipe\\') ? paths.agentSocket.replace(/-agent$/, `-session-${id}`) : join(paths.sessionsDir, `${id}.sock`);
}

function folders(env: NodeJS.ProcessEnv, platform: NodeJS.Platform): { dataDir: string; runDir: string } {
  if (env.TOLLGATE_HOME) return { dataDir: env.TOLLGATE_HOME, runDir: join(env.TOLLGATE_HOME, 'run') };
  if (platform === 'darwin') {
    const dataDir = join(homedir(), 'Library', 'Application Support', 'Tollgate');
    return { dataDir, runDir: join(dataDir, 'run') };
  }
  if (platform === 'win32') {
    const dataDir = join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'Tollgate');
    return { dataDir, runDir: join(dataDir, 'run') };
  }
  const dataDir = join(env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'tollgate');
  const runDir = env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, 'tollgate') : join(dataDir, 'run');
  return { dataDir, runDir };
}
