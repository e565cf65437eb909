// Runs a Daemon on its two sockets: owner-only folder and socket modes, the pid file,
// stale-socket replacement, and a graceful stop (no new calls; in-flight calls finish or
// are settled).
import { chmodSync, existsSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import type { Server } from 'node:http';
import { Daemon, type DaemonOptions } from '../daemon.ts';
import { createAgentServer } from '../server/agent-server.ts';
import { createControlServer } from '../server/control-server.ts';
import { acquirePidFile } from './pid-file.ts';

export interface Running {
  daemon: Daemon;
  /** Stops gracefully; in-flight calls get `graceMs` to finish, then are cut and settled. */
  stop(graceMs?: number): Promise<void>;
}

/** A folder only its owner can enter, even if it already existed with a wider mode. */
function privateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  if (!st.isDirectory()) throw new Error(`${dir} is not a folder`);
  if (typeof process.getuid === 'function' && st.uid !== process.getuid()) throw new Error(`${dir} belongs to another user; refusing to put sockets there`);
  chmodSync(dir, 0o700);
}

function listen(server: Server, path: string): Promise<void> {
  // The pid file proves no live daemon owns this socket: a leftover file is stale.
  if (process.platform !== 'win32' && existsSync(path)) unlinkSync(path);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      if (process.platform !== 'win32') chmodSync(path, 0o600);
      resolve();
    });
  });
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
  try {
    await listen(agent, paths.agentSocket);
    await listen(control, paths.controlSocket);
  } catch (e) {
    agent.close();
    control.close();
    await daemon.close();
    releasePid();
    throw e;
  }

  let stopped: Promise<void> | null = null;
  const stop = (graceMs = 30_000): Promise<void> => {
    stopped ??= (async () => {
      stopping = true;
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
        await Promise.allSettled(daemon.pipeline.pending);
      }
      agent.closeAllConnections();
      await closed;
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
