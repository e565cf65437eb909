// Step 8: read the integration's key from the OS keychain, attach it as its auth scheme says,
// and make sure the assistant's own request does not already carry it. The key lives only in
// the request built here.
import { TollgateError } from '../errors.ts';
import type { Integration } from '../integrations/integration.ts';
import { type Keychain, KeychainUnavailableError } from '../keychain/keychain.ts';

export interface Outgoing {
  path: string;
  query: string;
  headers: Record<string, string>;
}

export async function readKey(keychain: Keychain, integration: Integration): Promise<string> {
  let key: string | null;
  try {
    key = await keychain.get(integration.name);
  } catch (e) {
    if (e instanceof KeychainUnavailableError) {
      throw new TollgateError('keychain_unavailable', undefined, { cause: e });
    }
    throw e;
  }
  if (!key) {
    throw new TollgateError('keychain_unavailable',
      `The keychain gave no key for ${integration.name}: it is locked, or the key was removed from it. The operator has been told.`);
  }
  return key;
}

/** The assistant's request must not hold this key in any form it could be read back from. */
export function refuseIfCarried(key: string, texts: readonly string[], body: Buffer): void {
  const forms = [key, encodeURIComponent(key), Buffer.from(key).toString('base64'), Buffer.from(key).toString('base64url')];
  for (const form of forms) {
    if (texts.some((t) => t.includes(form)) || body.includes(form)) {
      throw new TollgateError('exfiltration_blocked',
        'The request carries the integration\'s own key, so it was not sent. Remove it; Tollgate attaches the key itself.');
    }
  }
}

export function attachKey(integration: Integration, key: string, out: Outgoing): Outgoing {
  const auth = integration.spec.auth;
  switch (auth.type) {
    case 'bearer':
      return { ...out, headers: { ...out.headers, authorization: `Bearer ${key}` } };
    case 'header':
      return { ...out, headers: { ...out.headers, [auth.name.toLowerCase()]: `${auth.prefix ?? ''}${key}` } };
    case 'query': {
      const pair = `${encodeURIComponent(auth.name)}=${encodeURIComponent(key)}`;
      return { ...out, query: out.query ? `${out.query}&${pair}` : pair };
    }
  }
}
