// Keyed fingerprints: compare keys and correlate requests without storing either.
import { createHmac, createSecretKey } from 'node:crypto';

export type Fingerprinter = (value: string | Buffer) => string;

export function fingerprinter(key: Buffer, label: string): Fingerprinter {
  // A KeyObject made once: a raw Buffer key is re-validated on every HMAC (several times slower).
  const secret = createSecretKey(key);
  // A label per use keeps a key fingerprint from ever equalling a request fingerprint.
  return (value) => createHmac('sha256', secret).update(label).update('\0').update(value).digest('hex');
}
