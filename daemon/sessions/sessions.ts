// Sessions (SPEC "Sessions"): one run of an assistant, started by the operator, with a purpose,
// an optional budget of its own and optionally a subset of the integrations, on its own agent
// socket. Kept in SQLite so their history outlives the daemon; the ledger keeps their spend, in
// the same transactions as the caps'. The sockets are the process layer's
// (daemon/process/session-sockets.ts): this module only asks a SessionListener to open and close them.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Clock } from '../clock.ts';
import type { CreateSession, SessionStatus, SessionView } from '../control-types.ts';
import type { Db } from '../db/open.ts';
import { ControlError } from '../errors.ts';
import type { EventBus } from '../events.ts';
import type { Registry } from '../integrations/registry.ts';
import { NAME_PATTERN } from '../integrations/schema.ts';
import type { Ledger } from '../ledger/ledger.ts';
import { microsToUsd, usdToMicros } from '../money.ts';
import { type Paths, sessionSocket } from '../paths.ts';
import { MAX_PURPOSE } from '../pipeline/purpose.ts';
import type { CallSession } from '../pipeline/types.ts';

/** Sessions running at once: each holds a socket; a flood is refused, not served. */
export const MAX_RUNNING = 100;
/** How often an owner process is looked for. */
export const OWNER_CHECK_MS = 1_000;
/** At most one 'updated' event a second per session, with the latest figures. */
const UPDATE_EVENT_MS = 1_000;
/** Ended sessions listed with the running ones. */
const RECENT = 50;

export const sessionIdPattern = /^[0-9a-f]{16}$/;

export const sessionSchema = z.strictObject({
  // It stands in for the Tollgate-Purpose header, so it obeys the same rules (purpose.ts).
  purpose: z.string().trim().min(1, 'say what the session is for').max(MAX_PURPOSE)
    .regex(/^[^\u0000-\u001f\u007f\u0080-\u009f]*$/, 'must be one line of plain text'),
  budgetUsd: z.number().finite().min(0.000001, 'must be above 0 (at least 0.000001 USD)').max(1_000_000).optional(),
  integrations: z.array(z.string().regex(NAME_PATTERN, 'must be an integration name')).min(1, 'name at least one integration, or leave it out for all').max(100).optional(),
  owner: z.number().int().positive().optional(),
}) satisfies z.ZodType<CreateSession>;

/** Opens and closes the sessions' sockets (daemon/process/session-sockets.ts). */
export interface SessionListener {
  /** Listens on `socket` for the session's calls; resolves once it does. */
  open(session: CallSession, socket: string): Promise<void>;
  /** From now on takes no new calls (the socket file goes at once); calls in flight finish or are cut and settled. */
  close(id: string): void;
}

export interface SessionsDeps {
  db: Db;
  clock: Clock;
  bus: EventBus;
  registry: Registry;
  ledger: Ledger;
  paths: Paths;
}

interface Row {
  id: string;
  purpose: string;
  budget: number | null;
  integrations: string | null;
  owner: number | null;
  status: SessionStatus;
  started_by: string;
  started_at: number;
  ended_at: number | null;
  end_reason: string | null;
  spent: number;
  reserved: number;
  calls: number;
}

interface Running {
  call: CallSession;
  owner: number | null;
}

const iso = (at: number | null): string | null => (at === null ? null : new Date(at).toISOString());

/** Whether a process of this id exists (one of another user's counts: it is there). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class Sessions {
  private readonly d: SessionsDeps;
  private readonly running = new Map<string, Running>();
  private listener: SessionListener | null = null;
  private ownerTimer: NodeJS.Timeout | null = null;
  private readonly updated = new Set<string>();
  private updateTimer: NodeJS.Timeout | null = null;
  private readonly stmt;

  constructor(deps: SessionsDeps) {
    this.d = deps;
    const { db } = deps;
    this.stmt = {
      insert: db.prepare(`INSERT INTO sessions (id, purpose, budget, integrations, owner, status, started_by, started_at)
        VALUES (?, ?, ?, ?, ?, 'running', ?, ?)`),
      end: db.prepare(`UPDATE sessions SET status = 'ended', ended_at = ?, end_reason = ? WHERE id = ? AND status = 'running'`),
      get: db.prepare('SELECT * FROM sessions WHERE id = ?'),
      running: db.prepare(`SELECT * FROM sessions WHERE status = 'running' ORDER BY started_at DESC, rowid DESC`),
      recent: db.prepare(`SELECT * FROM sessions WHERE status = 'ended' ORDER BY started_at DESC, rowid DESC LIMIT ?`),
    };
    // Sessions an earlier daemon left running: their sockets went with it.
    db.prepare(`UPDATE sessions SET status = 'ended', ended_at = ?, end_reason = ? WHERE status = 'running'`)
      .run(deps.clock.now(), 'Tollgate stopped while it ran');
  }

  /** The process layer hands over the sockets; until then no session can start. */
  serveWith(listener: SessionListener): void {
    this.listener = listener;
  }

  async start(input: unknown, by: string): Promise<SessionView> {
    const body = sessionSchema.parse(input);
    const integrations = body.integrations && [...new Set(body.integrations)];
    if (integrations) {
      const live = new Set(this.d.registry.live().map((i) => i.name));
      const unknown = integrations.filter((n) => !live.has(n));
      if (unknown.length) {
        throw new ControlError('invalid',
          `No approved integration is named ${unknown.join(', ')}. A session can include only approved integrations: ${[...live].join(', ') || 'there are none yet'}.`);
      }
    }
    if (body.owner !== undefined && !alive(body.owner)) {
      throw new ControlError('invalid', `No process ${body.owner} is running: a session's owner must be a running process (the session ends when it exits).`);
    }
    if (!this.listener) throw new ControlError('conflict', 'Tollgate is not serving sockets yet (or any more); try again once it runs.');
    if (this.running.size >= MAX_RUNNING) {
      throw new ControlError('conflict', `${MAX_RUNNING} sessions are running already, the most Tollgate serves at once. Stop one first ("tollgate sessions").`);
    }
    const id = randomBytes(8).toString('hex');
    const budget = body.budgetUsd === undefined ? null : usdToMicros(body.budgetUsd);
    const now = this.d.clock.now();
    this.stmt.insert.run(id, body.purpose, budget, integrations ? JSON.stringify(integrations) : null, body.owner ?? null, by, now);
    const call: CallSession = { id, purpose: body.purpose, integrations: integrations ? new Set(integrations) : null, budget };
    this.running.set(id, { call, owner: body.owner ?? null });
    try {
      await this.listener.open(call, sessionSocket(this.d.paths, id));
    } catch (e) {
      this.running.delete(id);
      const reason = `its socket could not be opened (${e instanceof Error ? e.message : String(e)})`;
      this.stmt.end.run(this.d.clock.now(), reason, id);
      throw new Error(`the session could not start: ${reason}`);
    }
    if (body.owner !== undefined) this.watchOwners();
    const view = this.get(id);
    this.d.bus.emit({ type: 'session', change: 'started', session: view });
    return view;
  }

  /** Running sessions, then the most recent ended ones; each with its spend as it is now. */
  list(): SessionView[] {
    return [...this.stmt.running.all() as Row[], ...this.stmt.recent.all(RECENT) as Row[]].map((r) => this.view(r));
  }

  get(id: string): SessionView {
    const row = sessionIdPattern.test(id) ? (this.stmt.get.get(id) as Row | undefined) : undefined;
    if (!row) throw new ControlError('not_found', `No session ${id.slice(0, 40)}. "tollgate sessions" lists them.`);
    return this.view(row);
  }

  isRunning(id: string): boolean {
    return this.running.has(id);
  }

  /** The operator's stop. A session that already ended stays as it was. */
  stop(id: string): SessionView {
    this.get(id);
    return this.end(id, 'stopped by the operator');
  }

  /**
   * Ends a running session: its socket takes no new calls and its file goes at once; calls in
   * flight finish, or are cut and settled (counted to the session all the same).
   */
  end(id: string, reason: string): SessionView {
    const s = this.running.get(id);
    if (!s) return this.get(id);
    this.running.delete(id);
    this.stmt.end.run(this.d.clock.now(), reason, id);
    this.listener?.close(id);
    this.d.ledger.forgetSession(id);
    if (this.ownerTimer && ![...this.running.values()].some((r) => r.owner !== null)) {
      clearInterval(this.ownerTimer);
      this.ownerTimer = null;
    }
    const view = this.get(id);
    this.d.bus.emit({ type: 'session', change: 'ended', session: view });
    return view;
  }

  /** The daemon stops: every session ends with it. */
  endAll(reason: string): void {
    for (const id of [...this.running.keys()]) this.end(id, reason);
  }

  /** A call of the session was recorded: tell control clients, at most once a second, with the latest figures. */
  activity(id: string): void {
    this.updated.add(id);
    this.updateTimer ??= setTimeout(() => {
      this.updateTimer = null;
      const ids = [...this.updated];
      this.updated.clear();
      for (const sid of ids) {
        const row = this.stmt.get.get(sid) as Row | undefined;
        if (row) this.d.bus.emit({ type: 'session', change: 'updated', session: this.view(row) });
      }
    }, UPDATE_EVENT_MS).unref();
  }

  close(): void {
    if (this.ownerTimer) clearInterval(this.ownerTimer);
    if (this.updateTimer) clearTimeout(this.updateTimer);
    this.ownerTimer = null;
    this.updateTimer = null;
  }

  /** A session given an owner ends when that process exits: looked for once a second. */
  private watchOwners(): void {
    this.ownerTimer ??= setInterval(() => {
      for (const [id, s] of this.running) {
        if (s.owner !== null && !alive(s.owner)) this.end(id, `its owner process ${s.owner} exited`);
      }
    }, OWNER_CHECK_MS).unref();
  }

  private view(r: Row): SessionView {
    return {
      id: r.id,
      socket: sessionSocket(this.d.paths, r.id),
      purpose: r.purpose,
      budgetUsd: r.budget === null ? null : microsToUsd(r.budget),
      integrations: r.integrations === null ? null : (JSON.parse(r.integrations) as string[]),
      owner: r.owner,
      status: r.status,
      startedAt: iso(r.started_at)!,
      startedBy: r.started_by,
      endedAt: iso(r.ended_at),
      endReason: r.end_reason,
      spentUsd: microsToUsd(r.spent),
      reservedUsd: microsToUsd(r.reserved),
      remainingUsd: r.budget === null ? null : microsToUsd(Math.max(0, r.budget - r.spent - r.reserved)),
      calls: r.calls,
    };
  }
}
