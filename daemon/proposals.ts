// The assistant's requests for more authority. They wait for the operator; nothing an
// assistant proposes takes effect by itself.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Db } from './db/open.ts';
import { ControlError, TollgateError } from './errors.ts';
import { NAME_PATTERN } from './integrations/schema.ts';

// The operator reads these in a terminal and a window: no control characters (escape sequences
// could rewrite what the operator sees while confirming), but for line breaks in the justification.
const plain = (max: number) => z.string().max(max).regex(/^[^\u0000-\u001f\u007f\u0080-\u009f]*$/, 'must be plain text, without control characters');
const justification = z.string().trim().min(1).max(2000)
  .regex(/^[^\u0000-\u0009\u000b-\u001f\u007f\u0080-\u009f]*$/, 'must be plain text, without control characters');

/** What an assistant may send to POST /v1/proposals: loose on purpose, the operator completes it. */
export const proposalSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('new_integration'),
    name: z.string().regex(NAME_PATTERN),
    template: plain(100).optional(),
    purpose: plain(500).trim().min(1),
    baseUrl: plain(2000).optional(),
    routes: z.array(z.strictObject({ method: plain(10), path: plain(500) })).max(100).optional(),
    monthlyCapUsd: z.number().finite().positive().max(1_000_000).optional(),
    justification,
  }),
  z.strictObject({
    kind: z.literal('raise_cap'),
    integration: z.string().regex(NAME_PATTERN),
    monthlyCapUsd: z.number().finite().positive().max(1_000_000),
    justification,
  }),
]);

export type ProposalBody = z.infer<typeof proposalSchema>;
export type ProposalStatus = 'pending' | 'approved' | 'rejected';

export interface Proposal {
  id: string;
  kind: ProposalBody['kind'];
  body: ProposalBody;
  status: ProposalStatus;
  createdAt: number;
  decidedAt: number | null;
  decidedBy: string | null;
  note: string | null;
}

/** Pending proposals an assistant may have at once: a flood is refused, not queued. */
export const MAX_PENDING = 20;

interface Row {
  id: string; kind: ProposalBody['kind']; body: string; justification: string; status: ProposalStatus;
  created_at: number; decided_at: number | null; decided_by: string | null; note: string | null;
}

const fromRow = (r: Row): Proposal => ({
  id: r.id, kind: r.kind, body: JSON.parse(r.body) as ProposalBody, status: r.status, createdAt: r.created_at,
  decidedAt: r.decided_at, decidedBy: r.decided_by, note: r.note,
});

export class Proposals {
  private readonly db: Db;

  constructor(db: Db) {
    this.db = db;
  }

  submit(body: ProposalBody, now: number): Proposal {
    const pending = (this.db.prepare("SELECT count(*) AS n FROM proposals WHERE status = 'pending'").get() as { n: number }).n;
    if (pending >= MAX_PENDING) {
      throw new TollgateError('rate_limited', `${pending} proposals already wait for the operator. Wait until they are decided before proposing more.`, { retryAfter: 3600 });
    }
    const id = randomUUID();
    this.db.prepare(`INSERT INTO proposals (id, kind, body, justification, status, created_at) VALUES (?, ?, ?, ?, 'pending', ?)`)
      .run(id, body.kind, JSON.stringify(body), body.justification, now);
    return this.get(id)!;
  }

  get(id: string): Proposal | null {
    const row = this.db.prepare('SELECT * FROM proposals WHERE id = ?').get(id) as Row | undefined;
    return row ? fromRow(row) : null;
  }

  list(status?: ProposalStatus): Proposal[] {
    const rows = (status
      ? this.db.prepare('SELECT * FROM proposals WHERE status = ? ORDER BY created_at DESC').all(status)
      : this.db.prepare('SELECT * FROM proposals ORDER BY created_at DESC LIMIT 500').all()) as Row[];
    return rows.map(fromRow);
  }

  requirePending(id: string): Proposal {
    const p = this.get(id);
    if (!p) throw new ControlError('not_found', `No proposal ${id}.`);
    if (p.status !== 'pending') throw new ControlError('conflict', `Proposal ${id} was already ${p.status}.`);
    return p;
  }

  decide(id: string, status: 'approved' | 'rejected', by: string, note: string | null, now: number): Proposal {
    this.requirePending(id);
    this.db.prepare('UPDATE proposals SET status = ?, decided_at = ?, decided_by = ?, note = ? WHERE id = ?').run(status, now, by, note, id);
    return this.get(id)!;
  }
}
