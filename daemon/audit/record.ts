// One audit record: what happened to one call, without what was said.
// Never: query values, bodies, responses, auth headers.
import { microsToUsd } from '../money.ts';

export type Outcome = 'ok' | 'refused' | 'error' | 'unknown';

export interface AuditEntry {
  at: number;
  requestId: string;
  integration: string;
  purpose: string;
  method: string;
  host: string;
  /** Upstream path without query. */
  path: string;
  outcome: Outcome;
  code: string | null;
  status: number | null;
  latencyMs: number;
  /** Request body bytes sent upstream. */
  bytesOut: number;
  /** Response body bytes received. */
  bytesIn: number;
  /** Micro-dollars (inside the daemon only: what leaves it is named `costUsd` or `costMicros`). */
  cost: number;
  /** Keyed HMAC of the whole request, to spot repeats; null when the request never got that far. */
  fingerprint: string | null;
  /**
   * A well-known credential format found in a request that its integration records rather than
   * blocks: the rule's id, never the credential. Absent on records from before it existed.
   */
  finding?: string | null;
  /** The session the call ran in (see daemon/sessions/); absent on calls on the agent socket itself. */
  session?: string | null;
}

export interface AuditRecord extends AuditEntry {
  id: number;
  mac: string;
}

/** The exact bytes the chain MAC covers: every field, in a fixed order. */
export function canonical(id: number, e: AuditEntry): string {
  const fields: unknown[] = [
    id, e.at, e.requestId, e.integration, e.purpose, e.method, e.host, e.path,
    e.outcome, e.code, e.status, e.latencyMs, e.bytesOut, e.bytesIn, e.cost, e.fingerprint,
  ];
  // Only where there is one: records written before findings (or sessions) existed keep their MACs.
  // A session takes the place after the finding's (null when none), so neither can pass for the other.
  if (e.finding || e.session) fields.push(e.finding || null);
  if (e.session) fields.push(e.session);
  return JSON.stringify(fields);
}

/** A record as the control API lists it (GET /v1/audit, `tollgate audit list --json`): its cost in dollars, like all its money. */
export type AuditView = Omit<AuditRecord, 'cost'> & { costUsd: number };

export function auditView({ cost, ...rest }: AuditRecord): AuditView {
  return { ...rest, costUsd: microsToUsd(cost) };
}

/**
 * A record as exported and archived (JSONL): the chain's exact form, its cost in integer micro-dollars
 * as the MAC covers it, so the chain can be checked from the file alone (see canonical).
 */
export type AuditExport = Omit<AuditRecord, 'cost'> & { costMicros: number };

export function auditExportLine({ cost, ...rest }: AuditRecord): string {
  const line: AuditExport = { ...rest, costMicros: cost };
  return `${JSON.stringify(line)}\n`;
}
