// Keyed fingerprints: compare keys and correlate requests without storing either.
import { createHmac } from 'node:crypto';

export type Fingerprinter = (value: string | Buffer) => string;

export function fingerprinter(key: Buffer, label: string): Fingerprinter {
  // A label per use keeps a key fingerprint from ever equalling a request fingerprint.
  return (value) => createHmac('sha256', key).update(label).update('\0').update(value).digest('hex');
}
