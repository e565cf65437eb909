// Step 6a: a suspended integration (by the operator, or after the provider rejected its key)
// makes no calls; neither does one whose key was never set.
import { TollgateError } from '../errors.ts';
import type { Integration } from '../integrations/integration.ts';

export function requireUsable(integration: Integration): void {
  if (integration.status === 'suspended') {
    throw new TollgateError('integration_suspended',
      `${integration.name} is suspended${integration.statusReason ? ` (${integration.statusReason})` : ''}. The operator has been told; only the operator can resume it.`);
  }
  if (integration.keyFingerprint === null) {
    throw new TollgateError('integration_suspended',
      `${integration.name} has no key yet. The operator has to set one before it can be used.`);
  }
}
