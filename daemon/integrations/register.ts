// The integrations register: a human-readable document of what is approved, why, for which
// account, by whom and when, kept current by the daemon in its data folder. No secrets.
import { renameSync, writeFileSync } from 'node:fs';
import { usdOfMicros } from '../money.ts';
import type { Integration } from './integration.ts';

const iso = (at: number | null): string => (at === null ? '—' : new Date(at).toISOString());

export function renderRegister(integrations: readonly Integration[], at: number): string {
  const live = integrations.filter((i) => i.status !== 'decommissioned');
  const gone = integrations.filter((i) => i.status === 'decommissioned');
  const out = [
    '# Tollgate integrations register',
    '',
    `Kept by the Tollgate daemon; regenerated on every change (last: ${iso(at)}). Do not edit: changes are made in the tray or with the CLI.`,
    '',
    `## Approved (${live.length})`,
    '',
  ];
  if (live.length === 0) out.push('None.', '');
  for (const i of live) {
    const s = i.spec;
    out.push(
      `### ${i.name}${i.status === 'suspended' ? ' — SUSPENDED' : ''}`,
      '',
      `- Purpose: ${s.purpose}`,
      `- Account (assistant-owned): ${s.account}`,
      `- Host: ${s.baseUrl}${s.template ? ` (template ${s.template})` : ''}`,
      `- Routes: ${s.routes.map((r) => `\`${r.method} ${r.path}\``).join(', ')}`,
      `- Monthly cap: ${usdOfMicros(i.cap)}; at most ${usdOfMicros(i.pricing.max)} a call`,
      `- Rate limit: ${s.rateLimit.perMinute}/min, ${s.rateLimit.concurrent} at once`,
      `- Approved by ${i.approvedBy} on ${iso(i.approvedAt)}; last changed ${iso(i.updatedAt)}`,
      `- Key: ${i.keySetAt === null ? 'not set' : `in the OS keychain since ${iso(i.keySetAt)}`}`,
      ...(i.status === 'suspended' ? [`- Suspended: ${i.statusReason ?? 'by the operator'}`] : []),
      '',
    );
  }
  out.push(`## Decommissioned (${gone.length})`, '');
  if (gone.length === 0) out.push('None.', '');
  for (const i of gone) {
    out.push(`- ${i.name} (${i.spec.baseUrl}, account ${i.spec.account}): decommissioned ${iso(i.decommissionedAt)}; key removed from the keychain. Revoke it at the provider if not done yet.`);
  }
  out.push('');
  return out.join('\n');
}

export function writeRegister(file: string, integrations: readonly Integration[], at: number): void {
  writeFileSync(`${file}.tmp`, renderRegister(integrations, at), { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}
