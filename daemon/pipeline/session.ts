// Step 0, for a call on a session's socket: the session's integrations only, and the session's
// purpose where the call names none (a purpose it sends is the call's own, recorded as such).
import { TollgateError } from '../errors.ts';
import { PURPOSE_HEADER } from './purpose.ts';
import { auditableName } from './resolve.ts';
import type { CallRequest, CallSession } from './types.ts';

export function withinSession(req: CallRequest, session: CallSession): CallRequest {
  if (session.integrations && !session.integrations.has(req.name)) {
    throw new TollgateError('not_allowlisted',
      `This session does not include an integration named "${auditableName(req.name)}". This was recorded as a policy violation. ` +
      `The session includes ${[...session.integrations].join(', ')} (GET /v1/integrations lists them); the operator decides what a session includes.`);
  }
  const sent = req.headers[PURPOSE_HEADER];
  if (Array.isArray(sent) || (sent !== undefined && sent.trim() !== '')) return req;
  // Header values are read as latin1 bytes (see purpose.ts): the session's UTF-8 text goes in as such.
  return { ...req, headers: { ...req.headers, [PURPOSE_HEADER]: Buffer.from(session.purpose, 'utf8').toString('latin1') } };
}
