// The audit archive written when an integration is decommissioned: its records as JSONL in the
// export's form (record.ts, auditExportLine), and a SHA-256 of that file beside it (sha256sum -c can check it).
import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { type AuditRecord, auditExportLine } from './record.ts';

export interface Archive {
  file: string;
  checksumFile: string;
  sha256: string;
  records: number;
}

export function writeArchive(dir: string, name: string, at: number, records: Iterable<AuditRecord>): Archive {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stamp = new Date(at).toISOString().replaceAll(':', '-').replace(/\.\d+Z$/, 'Z');
  const file = join(dir, `${name}-${stamp}.jsonl`);
  const lines = Array.from(records, auditExportLine);
  const text = lines.join('');
  const sha256 = createHash('sha256').update(text).digest('hex');
  // Write then rename, so a crash never leaves a half archive under the final name.
  writeFileSync(`${file}.tmp`, text, { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
  const checksumFile = `${file}.sha256`;
  writeFileSync(checksumFile, `${sha256}  ${basename(file)}\n`, { mode: 0o600 });
  return { file, checksumFile, sha256, records: lines.length };
}
