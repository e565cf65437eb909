// What the approval prompt says about shared budgets, and when it counts as widening (a terminal
// in the CLI, a native confirmation in the tray): leaving a shared budget, or moving to another,
// frees the calls from the budget that held them; joining one only narrows.
import { describe, expect, it } from 'vitest';
import { describeChange } from '../../../daemon/client/changes.ts';
import type { IntegrationSpec, IntegrationView, Settings } from '../../../daemon/control-types.ts';
import { loadTemplates } from '../../../daemon/integrations/templates.ts';
import { defaultSettings } from '../../../daemon/settings.ts';

const spec: IntegrationSpec = {
  name: 'exa', purpose: 'Search', account: 'a@example.org', baseUrl: 'https://api.exa.ai',
  auth: { type: 'header', name: 'x-api-key' }, routes: [{ method: 'POST', path: '/search' }],
  pricing: { perRequestUsd: 0.005, maxPerRequestUsd: 0.005 }, monthlyCapUsd: 10, rateLimit: { perMinute: 30, concurrent: 4 }, credentialFormats: 'block',
};

const view = (s: Partial<IntegrationSpec> = {}): IntegrationView => ({
  name: 'exa', status: 'active', statusReason: null, spec: { ...spec, ...s }, keySet: true, keySetAt: null,
  approvedBy: 'op', approvedAt: '2026-12-01T10:00:00.000Z', updatedAt: '2026-12-01T10:00:00.000Z', decommissionedAt: null,
});

describe('an integration on a shared budget', () => {
  it('a new one names the shared budget it draws on', () => {
    const t = loadTemplates().get('exa')!;
    const d = describeChange({ kind: 'create', integration: { template: 'exa', name: 'exa', purpose: 'Search', account: 'a', sharedBudget: 'team' }, template: t });
    expect(d.details).toContain('Shared budget: team (its calls also reserve against it, with the other machines that draw on it)');
  });

  it('joining one narrows', () => {
    const d = describeChange({ kind: 'update', before: view(), change: { sharedBudget: 'team' } });
    expect(d).toMatchObject({ widens: false, details: ['Shared budget: team (its calls also reserve against it, with the other machines that draw on it)'] });
  });

  it('leaving one widens', () => {
    const d = describeChange({ kind: 'update', before: view({ sharedBudget: 'team' }), change: { sharedBudget: null } });
    expect(d).toMatchObject({ widens: true, details: ['No longer drawn on the shared budget team: only its own cap and the global cap hold'] });
  });

  it('moving to another widens', () => {
    const d = describeChange({ kind: 'update', before: view({ sharedBudget: 'team' }), change: { sharedBudget: 'fleet' } });
    expect(d.widens).toBe(true);
    expect(d.details).toEqual(['Shared budget: team → fleet (its calls also reserve against it, with the other machines that draw on it)']);
  });

  it('the same one again changes nothing', () => {
    expect(describeChange({ kind: 'update', before: view({ sharedBudget: 'team' }), change: { sharedBudget: 'team' } })).toMatchObject({ widens: false, details: ['Nothing changes.'] });
    expect(describeChange({ kind: 'update', before: view(), change: { sharedBudget: null } })).toMatchObject({ widens: false, details: ['Nothing changes.'] });
  });
});

describe('the machine on a fleet budget (globalSharedBudget)', () => {
  const before = (globalSharedBudget: string | null): Settings => ({ ...defaultSettings(), globalSharedBudget });

  it('joining one narrows, and is described', () => {
    const d = describeChange({ kind: 'settings', before: before(null), change: { globalSharedBudget: 'fleet' } });
    expect(d.widens).toBe(false);
    expect(d.details.join('\n')).toContain('fleet');
  });

  it('leaving it, or moving to another, widens', () => {
    expect(describeChange({ kind: 'settings', before: before('fleet'), change: { globalSharedBudget: null } }).widens).toBe(true);
    expect(describeChange({ kind: 'settings', before: before('fleet'), change: { globalSharedBudget: 'team' } }).widens).toBe(true);
  });
});
