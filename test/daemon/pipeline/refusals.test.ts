// Clearer edges (issue 12): a refused route names what was tried; a purpose too long is told so,
// with the code the README's error table gives for it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../../daemon/install.ts';
import { Harness } from '../../helpers/harness.ts';
import { json } from '../../helpers/upstream.ts';

describe('refusals that say what was tried', () => {
  let h: Harness;
  let key: string;

  beforeAll(async () => {
    h = await Harness.start({ handler: json(200, { ok: true }) });
    key = await h.addIntegration({ routes: [{ method: 'GET', path: '/res/v1/web/search' }, { method: 'POST', path: '/v1/extract' }] });
  });
  afterAll(() => h.close());

  it('route_not_allowed names the method and path tried, and the routes there are', async () => {
    const r = await h.call('search', '/res/v1/images/search?q=cats', { method: 'DELETE' });
    expect(r.headers['tollgate-error']).toBe('route_not_allowed');
    expect(r.json.error.message).toBe('search does not allow DELETE /res/v1/images/search. Its routes: GET /res/v1/web/search, POST /v1/extract.');
    expect(r.json.error.message).not.toContain('cats');
  });

  it('…but never repeats a path that carries a credential', async () => {
    const r = await h.call('search', `/res/v1/${key}/search`);
    expect(r.headers['tollgate-error']).toBe('route_not_allowed');
    expect(r.json.error.message).toBe('search does not allow GET [redacted: credential]. Its routes: GET /res/v1/web/search, POST /v1/extract.');
    expect(r.text).not.toContain(key);
  });

  it('a purpose over 200 characters is refused as the README says, with a message about its length', async () => {
    const r = await h.call('search', '/res/v1/web/search?q=x', { headers: { 'tollgate-purpose': 'p'.repeat(245) } });
    const code = r.headers['tollgate-error'] as string;
    expect(code).toBe('bad_request');
    expect(r.json.error.message).toBe('The Tollgate-Purpose header is 245 characters long, over the limit of 200; say why in fewer words.');
    // The README's error table lists this case under the code it gets, not under another.
    const readme = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');
    const row = (c: string) => readme.split('\n').find((l) => l.startsWith(`| 400 | \`${c}\` |`)) ?? '';
    expect(row(code)).toMatch(/`Tollgate-Purpose` over 200 characters/);
    expect(row('purpose_required')).toContain('No `Tollgate-Purpose` header, or an empty one');
  });
});
