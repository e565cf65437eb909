// The invariants every fault case checks once the dust settles: nothing reserved is left open,
// spend equals the audited costs, every request the upstream saw is audited, the cap holds.
import { expect } from 'vitest';
import type { Reply, SocketClients } from '../helpers/harness.ts';

export const SENT_OUTCOMES = ['ok', 'error', 'unknown'];

/** An audit record as GET /v1/audit lists it, its cost back in micro-dollars so sums are exact. */
export interface AuditRecord {
  id: number;
  integration: string;
  outcome: string;
  code: string | null;
  cost: number;
  status: number | null;
}

export async function auditRecords(c: SocketClients, integration: string): Promise<AuditRecord[]> {
  const r = await c.control('GET', '/v1/audit?limit=10000');
  expect(r.status).toBe(200);
  return (r.json.records as (Omit<AuditRecord, 'cost'> & { costUsd: number })[])
    .filter((x) => x.integration === integration)
    .map(({ costUsd, ...x }) => ({ ...x, cost: Math.round(costUsd * 1e6) }));
}

export async function spendOf(c: SocketClients, integration: string): Promise<{ spentUsd: number; reservedUsd: number; capUsd?: number }> {
  const r = await c.control('GET', '/v1/spend');
  expect(r.status).toBe(200);
  return r.json.integrations.find((i: { name: string }) => i.name === integration);
}

/** The ledger and the audit agree, nothing is open, nothing went out unaudited, the cap held. */
export async function expectConsistent(c: SocketClients, integration: string, capUsd: number, upstreamPath?: string): Promise<AuditRecord[]> {
  const records = await auditRecords(c, integration);
  const spend = await spendOf(c, integration);
  expect(spend.reservedUsd).toBe(0);
  const audited = records.reduce((n, r) => n + r.cost, 0);
  expect(Math.round(spend.spentUsd * 1e6)).toBe(audited);
  expect(spend.spentUsd).toBeLessThanOrEqual(capUsd);
  const seen = upstreamPath === undefined ? c.upstream.requests : c.upstream.requests.filter((r) => r.url.split('?')[0] === upstreamPath);
  expect(seen.length).toBe(records.filter((r) => SENT_OUTCOMES.includes(r.outcome)).length);
  const verify = await c.control('GET', '/v1/audit/verify');
  expect(verify.status).toBe(200);
  expect(verify.json.ok).toBe(true);
  return records;
}

export async function alertsOf(c: SocketClients): Promise<Array<{ tier: string; kind: string; integration: string | null }>> {
  const r = await c.control('GET', '/v1/alerts?limit=200');
  expect(r.status).toBe(200);
  return r.json.alerts;
}

export const code = (r: Reply): string | undefined => r.json?.error?.code ?? (r.headers['tollgate-error'] as string | undefined);

/** Settles a call to its reply, or 'cut' when the connection dropped. */
export const settled = (p: Promise<Reply>): Promise<Reply | 'cut'> => p.then((r) => r, () => 'cut' as const);
