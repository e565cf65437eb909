// Step 1: which approved integration is this? Anything else is a policy violation.
import { TollgateError } from '../errors.ts';
import type { Integration } from '../integrations/integration.ts';
import type { Registry } from '../integrations/registry.ts';
import { NAME_PATTERN } from '../integrations/schema.ts';

export function resolveIntegration(registry: Registry, name: string): Integration {
  const integration = NAME_PATTERN.test(name) ? registry.get(name) : undefined;
  if (!integration || integration.status === 'decommissioned') {
    throw new TollgateError('not_allowlisted',
      `No approved integration is named "${auditableName(name)}". This was recorded as a policy violation. ` +
      'List what is approved with GET /v1/integrations, or propose a new integration (POST /v1/proposals).');
  }
  return integration;
}

/** The name as it may appear in the audit log and in messages: never raw assistant bytes. */
export function auditableName(name: string): string {
  return NAME_PATTERN.test(name) ? name : '(invalid name)';
}
