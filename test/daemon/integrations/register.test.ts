// The integrations register (INTEGRATIONS.md) writes money as every other text does: one formatter.
import { describe, expect, it } from 'vitest';
import { compileIntegration } from '../../../daemon/integrations/integration.ts';
import { renderRegister } from '../../../daemon/integrations/register.ts';
import type { IntegrationSpec } from '../../../daemon/control-types.ts';

const spec: IntegrationSpec = {
  name: 'search', purpose: 'Web search', account: 'assistant@example.org', baseUrl: 'https://api.search.example',
  auth: { type: 'bearer' }, routes: [{ method: 'GET', path: '/v1/search' }],
  pricing: { perRequestUsd: 0.005, maxPerRequestUsd: 0.005 }, monthlyCapUsd: 1250, rateLimit: { perMinute: 30, concurrent: 4 }, credentialFormats: 'block',
};

describe('the integrations register', () => {
  it('writes the cap and the most a call can cost in dollars', () => {
    const at = Date.parse('2026-12-01T10:00:00Z');
    const i = compileIntegration(spec, {
      id: 1, status: 'active', statusReason: null, keyFingerprint: null, keyLength: null, keySetAt: null,
      approvedBy: 'op (cli)', approvedAt: at, updatedAt: at, decommissionedAt: null,
    });
    expect(renderRegister([i], at)).toContain('\n- Monthly cap: $1,250.00; at most $0.005 a call\n');
  });
});
