// Step 3: every call says why it is made, in a Tollgate-Purpose header of 1 to 200 characters.
import { TollgateError } from '../errors.ts';

export const PURPOSE_HEADER = 'tollgate-purpose';
export const MAX_PURPOSE = 200;

export function requirePurpose(headers: Record<string, string | string[] | undefined>): string {
  const raw = headers[PURPOSE_HEADER];
  if (Array.isArray(raw)) throw new TollgateError('bad_request', 'Send exactly one Tollgate-Purpose header.');
  // Node reads header bytes as latin1; an assistant writing UTF-8 means UTF-8.
  const purpose = raw === undefined ? '' : Buffer.from(raw, 'latin1').toString('utf8').trim();
  if (purpose.length === 0) throw new TollgateError('purpose_required');
  const length = [...purpose].length;
  // A purpose too long is a malformed request (bad_request, as the README's error table says), not a missing one.
  if (length > MAX_PURPOSE) {
    throw new TollgateError('bad_request', `The Tollgate-Purpose header is ${length} characters long, over the limit of ${MAX_PURPOSE}; say why in fewer words.`);
  }
  if (/[\u0000-\u001f\u007f]/.test(purpose)) throw new TollgateError('bad_request', 'The Tollgate-Purpose header must not hold control characters; write it as one line of plain text.');
  return purpose;
}
