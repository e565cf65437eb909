// sharedBudget on an integration's definition: given when creating from a template, changed and
// removed (null) by PATCH. No PostgreSQL needed: the field is part of the local definition.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from '../../helpers/harness.ts';

describe('sharedBudget in an integration definition', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('is given when creating from a template', async () => {
    const r = await h.control('POST', '/v1/integrations', { template: 'brave-search', name: 'brave', purpose: 'Search', account: 'a@example.org', sharedBudget: 'team' });
    expect(r.status, r.text).toBe(200);
    expect(r.json.integration.spec).toMatchObject({ template: 'brave-search', sharedBudget: 'team' });
    const bad = await h.control('POST', '/v1/integrations', { template: 'brave-search', name: 'brave2', purpose: 'Search', account: 'a', sharedBudget: 'Not A Name' });
    expect(bad.status).toBe(400);
  });

  it('is changed by PATCH, and removed by PATCH with null', async () => {
    const moved = await h.control('PATCH', '/v1/integrations/brave', { sharedBudget: 'fleet' });
    expect(moved.status, moved.text).toBe(200);
    expect(moved.json.integration.spec.sharedBudget).toBe('fleet');
    const removed = await h.control('PATCH', '/v1/integrations/brave', { sharedBudget: null });
    expect(removed.status, removed.text).toBe(200);
    expect(removed.json.integration.spec).not.toHaveProperty('sharedBudget');
    // Kept as removed across a restart: the stored definition has no sharedBudget.
    await h.restartDaemon();
    expect((await h.control('GET', '/v1/integrations/brave')).json.integration.spec).not.toHaveProperty('sharedBudget');
  });

  it('is left as it is by a PATCH of other fields', async () => {
    await h.control('PATCH', '/v1/integrations/brave', { sharedBudget: 'team' });
    const r = await h.control('PATCH', '/v1/integrations/brave', { purpose: 'Search the web' });
    expect(r.json.integration.spec).toMatchObject({ purpose: 'Search the web', sharedBudget: 'team' });
  });
});
