// Runs a Daemon on its two sockets (and the sessions' own): owner-only folder and socket modes,
// the pid file, stale-socket replacement, and a graceful stop (no new calls; in-flight calls
// finish or are settled; every session ends).
import { existsSync, unlinkSync } from 'node:fs';
import { Daemon, type DaemonOptions } from '../daemon.ts';
import { createAgentServer } from '../server/agent-server.ts';
import { createControlServer } from '../server/control-server.ts';
import { acquirePidFile } from './pid-file.ts';
import { SessionSockets } from './session-sockets.ts';
import { listen, privateDir } from './socket-file.ts';

export interface Running {
  daemon: Daemon;
  /** Stops gracefully; in-flight calls get `graceMs` to finish, then are cut and settled. */
  stop(graceMs?: number): Promise<void>;
}

export async function serve(opts: DaemonOptions): Promise<Running> {
  const { paths } = opts;
  // Everything the daemon creates is private to its user.
  process.umask(0o077);
  privateDir(paths.dataDir);
  privateDir(paths.runDir);
  const releasePid = acquirePidFile(paths.pidFile);
  let daemon: Daemon;
  try {
    daemon = await Daemon.open(opts);
  } catch (e) {
    releasePid();
    throw e;
  }
  let stopping = false;
  const agent = createAgentServer(daemon, () => stopping);
  const control = createControlServer(daemon);
  const sessions = new SessionSockets(daemon, paths.sessionsDir, () => stopping);
  try {
    sessions.prepare();
    await listen(agent, paths.agentSocket);
    await listen(control, paths.controlSocket);
  } catch (e) {
    agent.close();
    control.close();
    await daemon.close();
    releasePid();
    throw e;
  }
  daemon.sessions.serveWith(sessions);

  let stopped: Promise<void> | null = null;
  const stop = (graceMs = 30_000): Promise<void> => {
    stopped ??= (async () => {
      stopping = true;
      // Every session ends: its socket goes, its calls in flight are waited for below.
      daemon.sessions.endAll('Tollgate stopped');
      const closed = Promise.all([new Promise((r) => agent.close(r)), new Promise((r) => control.close(r))]);
      agent.closeIdleConnections();
      control.closeAllConnections(); // event streams would otherwise hold the stop open
      const pending = daemon.pipeline.pending;
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        Promise.allSettled(pending).then(() => false),
        new Promise<boolean>((r) => { timer = setTimeout(() => r(true), graceMs); }),
      ]);
      clearTimeout(timer);
      if (timedOut) {
        // Cutting the connections aborts the upstream requests; each call then settles itself.
        agent.closeAllConnections();
        sessions.cutAll();
        await Promise.allSettled(daemon.pipeline.pending);
      }
      agent.closeAllConnections();
      sessions.cutAll();
      await closed;
      await sessions.closed();
      try {
        await daemon.close();
        for (const s of [paths.agentSocket, paths.controlSocket]) {
          // A data folder gone read-only must not keep the pid file from being released.
          try {
            if (process.platform !== 'win32' && existsSync(s)) unlinkSync(s);
          } catch {
            // the next start replaces a stale socket
          }
        }
      } finally {
        releasePid();
      }
    })();
    return stopped;
  };
  return { daemon, stop };
}
