// The sessions' own agent sockets, `run/sessions/<id>.sock` (mode 0600 in a 0700 folder): each
// serves exactly the agent API, every call in its session. Ending one is a graceful stop of that
// socket alone: no new calls (the file goes at once), calls in flight finish, or are cut after a
// grace and then settle themselves, as on the daemon's own stop.
import { existsSync, readdirSync, unlinkSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import type { Daemon } from '../daemon.ts';
import type { CallSession } from '../pipeline/types.ts';
import { createAgentServer } from '../server/agent-server.ts';
import type { SessionListener } from '../sessions/sessions.ts';
import { listen, privateDir } from './socket-file.ts';

/** How long a stopped session's calls in flight may take before they are cut (as on the daemon's stop). */
export const SESSION_GRACE_MS = 30_000;

interface Served {
  server: Server;
  socket: string;
  ended: boolean;
  /** Settles once the socket closed and its calls ended. */
  done: Promise<void> | null;
}

export class SessionSockets implements SessionListener {
  private readonly daemon: Daemon;
  private readonly dir: string;
  private readonly isStopping: () => boolean;
  private readonly graceMs: number;
  private readonly served = new Map<string, Served>();

  constructor(daemon: Daemon, dir: string, isStopping: () => boolean, graceMs = SESSION_GRACE_MS) {
    this.daemon = daemon;
    this.dir = dir;
    this.isStopping = isStopping;
    this.graceMs = graceMs;
  }

  /** The folder, private; sockets an earlier daemon left behind (its sessions ended with it) removed. */
  prepare(): void {
    if (process.platform === 'win32') return;
    privateDir(this.dir);
    for (const name of readdirSync(this.dir)) {
      if (name.endsWith('.sock')) unlinkSync(join(this.dir, name));
    }
  }

  async open(session: CallSession, socket: string): Promise<void> {
    if (this.isStopping()) throw new Error('Tollgate is stopping');
    const s: Served = { server: null!, socket, ended: false, done: null };
    s.server = createAgentServer(this.daemon, () => this.isStopping() || s.ended, session);
    this.served.set(session.id, s);
    try {
      await listen(s.server, socket);
    } catch (e) {
      this.served.delete(session.id);
      s.server.close();
      throw e;
    }
    // Ended while it was opening.
    if (s.ended) this.shut(session.id, s);
  }

  close(id: string): void {
    const s = this.served.get(id);
    if (!s || s.ended) return;
    s.ended = true;
    if (s.server.listening) this.shut(id, s);
  }

  private shut(id: string, s: Served): void {
    const closed = new Promise<void>((r) => s.server.close(() => r()));
    // No new connection from here on (Node removes the file as it closes; a file left is removed too).
    try {
      if (process.platform !== 'win32' && existsSync(s.socket)) unlinkSync(s.socket);
    } catch {
      // the next start removes it
    }
    s.server.closeIdleConnections();
    s.done = (async () => {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        Promise.allSettled(this.daemon.pipeline.pendingIn(id)).then(() => false),
        new Promise<boolean>((r) => { timer = setTimeout(() => r(true), this.graceMs).unref(); }),
      ]);
      clearTimeout(timer);
      // Cutting the connections aborts the upstream requests; each call then settles itself.
      s.server.closeAllConnections();
      if (timedOut) await Promise.allSettled(this.daemon.pipeline.pendingIn(id));
      await closed;
      this.served.delete(id);
    })();
  }

  /** The daemon's grace is over: every connection of every session socket is cut. */
  cutAll(): void {
    for (const s of this.served.values()) s.server.closeAllConnections();
  }

  /** Resolves once every ended session's socket closed and its calls ended. */
  async closed(): Promise<void> {
    await Promise.allSettled([...this.served.values()].map((s) => s.done));
  }
}
