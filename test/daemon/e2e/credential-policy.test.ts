// An integration may record well-known credential formats instead of blocking them (a coding
// assistant's model requests carry the source it reads, test fixtures included): such a request is
// sent, its audit record names the rule (never the credential), and a warning says so. The keys
// Tollgate holds stay blocked either way.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from '../../helpers/harness.ts';
import { json } from '../../helpers/upstream.ts';

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const token = (n: number) => [...randomBytes(n)].map((b) => ALPHANUMERIC[b % ALPHANUMERIC.length]).join('');

describe('credential formats: block or record, per integration', () => {
  let h: Harness;
  let otherKey: string;
  const github = `ghp_${token(36)}`;
  const body = (text: string) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ file: 'test/fixtures.ts', text }) });

  beforeAll(async () => {
    h = await Harness.start({ handler: json(200, { ok: true }) });
    await h.addIntegration({ name: 'coder', routes: [{ method: 'POST', path: '/v1/messages' }] });
    otherKey = await h.addIntegration({ name: 'other', auth: { type: 'bearer' } });
  });
  afterAll(() => h?.close());

  it('blocks by default', async () => {
    const r = await h.call('coder', '/v1/messages', body(`const token = "${github}";`));
    expect(r.status).toBe(403);
    expect(r.json.error.message).toContain('GitHub');
    expect(r.text).not.toContain(github);
  });

  it('with record: sends it, audits the rule without the credential, warns once', async () => {
    expect((await h.control('PATCH', '/v1/integrations/coder', { credentialFormats: 'record' })).status).toBe(200);
    const sent = h.upstream.requests.length;
    for (let i = 0; i < 3; i++) expect((await h.call('coder', '/v1/messages', body(`const token = "${github}"; // ${i}`))).status).toBe(200);
    expect(h.upstream.requests.length).toBe(sent + 3);
    const audit = await h.control('GET', '/v1/audit?integration=coder&limit=3');
    expect(audit.json.records.map((r: { finding: string }) => r.finding)).toEqual(['github-pat', 'github-pat', 'github-pat']);
    expect(audit.text).not.toContain(github);
    const warnings = (await h.control('GET', '/v1/alerts?limit=50')).json.alerts.filter((a: { kind: string }) => a.kind === 'credential_recorded');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ tier: 'warning', integration: 'coder' });
    expect(JSON.stringify(warnings)).not.toContain(github);
    // An ordinary request carries no finding.
    expect((await h.call('coder', '/v1/messages', body('nothing secret here'))).status).toBe(200);
    expect((await h.control('GET', '/v1/audit?integration=coder&limit=1')).json.records[0].finding).toBeNull();
    expect((await h.control('GET', '/v1/audit/verify')).json.ok).toBe(true);
  });

  it('with record, a key Tollgate holds is still blocked, even behind a recorded format', async () => {
    const sent = h.upstream.requests.length;
    const r = await h.call('coder', '/v1/messages', body(`${github} and ${otherKey}`));
    expect(r.status).toBe(403);
    expect(r.json.error.message).toContain('one of the keys Tollgate holds');
    expect(h.upstream.requests.length).toBe(sent);
  });

  it('back to block: refused again', async () => {
    expect((await h.control('PATCH', '/v1/integrations/coder', { credentialFormats: 'block' })).status).toBe(200);
    expect((await h.call('coder', '/v1/messages', body(github))).status).toBe(403);
  });
});
