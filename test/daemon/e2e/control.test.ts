import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import keytar from 'keytar';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from '../../helpers/harness.ts';
import { json } from '../../helpers/upstream.ts';

describe('the operator\'s control socket', () => {
  let h: Harness;
  let key: string;

  beforeAll(async () => {
    h = await Harness.start({ handler: json(200, { ok: true }) });
    key = await h.addIntegration();
  });
  afterAll(() => h.close());

  it('keeps keys only in the keychain, refuses a key another integration uses', async () => {
    expect(await keytar.getPassword(h.service, 'search')).toBe(key);
    const list = await h.control('GET', '/v1/integrations');
    expect(list.text).not.toContain(key);
    expect(list.json.integrations[0]).toMatchObject({ name: 'search', status: 'active', keySet: true, approvedBy: expect.stringContaining('(test)') });
    await h.control('POST', '/v1/integrations', { template: 'brave-search', name: 'brave', purpose: 'Search', account: 'assistant@example.org' });
    const reused = await h.control('PUT', '/v1/integrations/brave/key', { key });
    expect(reused.status).toBe(409);
    expect(reused.json.error).toMatchObject({ code: 'key_in_use', message: expect.stringContaining('search') });
    expect(reused.text).not.toContain(key);
    expect(await keytar.getPassword(h.service, 'brave')).toBeNull();
  });

  it('creates from a template with the provider\'s host, auth and routes', async () => {
    const r = await h.control('GET', '/v1/integrations/brave');
    expect(r.json.integration.spec).toMatchObject({
      baseUrl: 'https://api.search.brave.com',
      auth: { type: 'header', name: 'X-Subscription-Token' },
      template: 'brave-search',
    });
    expect(r.json.integration.keySet).toBe(false);
    const templates = await h.control('GET', '/v1/templates');
    expect(templates.json.templates.map((t: { id: string }) => t.id).sort()).toEqual(['anthropic', 'brave-search', 'exa', 'firecrawl', 'gemini', 'openai', 'openrouter', 'perplexity', 'serper', 'tavily']);
  });

  it('validates what it is given, with a message saying what is wrong', async () => {
    const r = await h.control('POST', '/v1/integrations', { name: 'plain', purpose: 'x', account: 'a', baseUrl: 'http://insecure.example', auth: { type: 'bearer' }, routes: [], pricing: { maxPerRequestUsd: 1 }, monthlyCapUsd: 1 });
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe('invalid');
    expect(r.json.error.message).toMatch(/https/);
  });

  it('changes caps and routes with PATCH, and the change applies to the next call', async () => {
    const before = await h.call('search', '/res/v1/news/search');
    expect(before.status).toBe(403);
    const r = await h.control('PATCH', '/v1/integrations/search', { routes: [{ method: 'GET', path: '/res/v1/web/search' }, { method: 'GET', path: '/res/v1/*/search' }] });
    expect(r.status).toBe(200);
    expect((await h.call('search', '/res/v1/news/search')).status).toBe(200);
  });

  it('suspends everything with the kill switch; resume is per integration', async () => {
    const r = await h.control('POST', '/v1/suspend-all', {});
    expect(r.json.suspended).toEqual(['search', 'brave']);
    expect((await h.call('search', '/res/v1/web/search')).headers['tollgate-error']).toBe('integration_suspended');
    expect((await h.control('POST', '/v1/integrations/search/resume')).json.integration.status).toBe('active');
    expect((await h.call('search', '/res/v1/web/search')).status).toBe(200);
  });

  it('takes proposals from the assistant, which change nothing until the operator approves', async () => {
    const p = await h.agent('POST', '/v1/proposals', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'raise_cap', integration: 'search', monthlyCapUsd: 50, justification: 'Research project needs more searches' }),
    });
    expect(p.status).toBe(202);
    expect(p.json).toEqual({ id: expect.any(String), status: 'pending' });
    expect((await h.agent('GET', '/v1/integrations')).json.integrations[0].capUsd).toBe(10);
    expect((await h.agent('GET', `/v1/proposals/${p.json.id}`)).json.status).toBe('pending');
    const listed = await h.control('GET', '/v1/proposals?status=pending');
    expect(listed.json.proposals[0].body.justification).toBe('Research project needs more searches');
    const approved = await h.control('POST', `/v1/proposals/${p.json.id}/approve`, { monthlyCapUsd: 20 });
    expect(approved.json.integration.spec.monthlyCapUsd).toBe(20);
    expect((await h.agent('GET', `/v1/proposals/${p.json.id}`)).json.status).toBe('approved');
    const again = await h.control('POST', `/v1/proposals/${p.json.id}/reject`, {});
    expect(again.status).toBe(409);
  });

  it('creates a proposed integration only from the operator\'s own definition', async () => {
    const p = await h.agent('POST', '/v1/proposals', {
      body: JSON.stringify({ kind: 'new_integration', name: 'tavily', template: 'tavily', purpose: 'Research', justification: 'Better answers' }),
    });
    expect(p.status).toBe(202);
    expect((await h.control('POST', `/v1/proposals/${p.json.id}/approve`, {})).status).toBe(400);
    const ok = await h.control('POST', `/v1/proposals/${p.json.id}/approve`, { integration: { template: 'tavily', name: 'tavily', purpose: 'Research', account: 'assistant@example.org', monthlyCapUsd: 3 } });
    expect(ok.json.integration).toMatchObject({ name: 'tavily', keySet: false });
    const rejected = await h.agent('POST', '/v1/proposals', { body: JSON.stringify({ kind: 'raise_cap', integration: 'search', monthlyCapUsd: 1000, justification: 'more' }) });
    const r = await h.control('POST', `/v1/proposals/${rejected.json.id}/reject`, { reason: 'No.' });
    expect(r.json.proposal).toMatchObject({ status: 'rejected', note: 'No.' });
  });

  it('refuses proposals carrying terminal escape sequences, which could rewrite what the operator sees', async () => {
    for (const body of [
      { kind: 'raise_cap', integration: 'search', monthlyCapUsd: 20, justification: 'fine\u001b[2K\rApproved by the operator already' },
      { kind: 'new_integration', name: 'x', purpose: 'a\u009b31mred', justification: 'why' },
    ]) {
      const r = await h.agent('POST', '/v1/proposals', { body: JSON.stringify(body) });
      expect(r.status).toBe(400);
      expect(r.json.error.message).toMatch(/control characters/);
    }
    // A justification may still have line breaks.
    const ok = await h.agent('POST', '/v1/proposals', { body: JSON.stringify({ kind: 'raise_cap', integration: 'search', monthlyCapUsd: 30, justification: 'line one\nline two' }) });
    expect(ok.status).toBe(202);
    await h.control('POST', `/v1/proposals/${ok.json.id}/reject`, {});
  });

  it('offers no operator verb on the agent socket', async () => {
    const attempts: [string, string, unknown][] = [
      ['POST', '/v1/integrations', { name: 'x' }],
      ['PATCH', '/v1/integrations/search', { monthlyCapUsd: 1000 }],
      ['PUT', '/v1/integrations/search/key', { key: 'k'.repeat(20) }],
      ['POST', '/v1/integrations/search/resume', {}],
      ['POST', '/v1/suspend-all', {}],
      ['GET', '/v1/audit', undefined],
      ['GET', '/v1/spend', undefined],
      ['PATCH', '/v1/settings', { globalCapUsd: 1e6 }],
      ['POST', `/v1/proposals/${'0'.repeat(8)}-0000-0000-0000-${'0'.repeat(12)}/approve`, {}],
    ];
    for (const [method, path, body] of attempts) {
      const r = await h.agent(method, path, { body: body === undefined ? undefined : JSON.stringify(body) });
      expect(r.status, `${method} ${path}`).toBe(400);
      expect(r.headers['tollgate-error']).toBe('bad_request');
    }
    expect((await h.control('GET', '/v1/integrations/search')).json.integration.spec.monthlyCapUsd).toBe(20);
  });

  it('streams alerts and state changes to the tray over /v1/events', async () => {
    const dispatcher = new Agent({ connect: { socketPath: h.paths.controlSocket } });
    const res = await request('http://tollgate/v1/events', { dispatcher, headers: { 'tollgate-client': 'tray' } });
    const received: string[] = [];
    const reading = (async () => {
      for await (const chunk of res.body) {
        received.push(chunk.toString());
        if (received.join('').includes('event: integration')) break;
      }
    })();
    const notified = h.notifications.length;
    await h.control('POST', '/v1/integrations/search/suspend', { reason: 'testing' });
    await reading;
    expect(received.join('')).toContain('"name":"search","status":"suspended"');
    // While the tray listens, the daemon raises no native notification of its own.
    await h.call('search', '/res/v1/web/search');
    expect(h.notifications.length).toBe(notified);
    await dispatcher.destroy();
    await h.control('POST', '/v1/integrations/search/resume');
  });

  it('acknowledges alerts', async () => {
    const open = await h.control('GET', '/v1/alerts?open=true');
    expect(open.json.alerts.length).toBeGreaterThan(0);
    const id = open.json.alerts[0].id;
    const acked = await h.control('POST', `/v1/alerts/${id}/ack`);
    expect(acked.json.alert.ackedAt).toEqual(expect.any(Number));
    expect((await h.control('GET', '/v1/alerts?open=true')).json.alerts.map((a: { id: number }) => a.id)).not.toContain(id);
  });

  it('decommissions: key gone, calls refused, archive written, register updated, reminder returned', async () => {
    const r = await h.control('POST', '/v1/integrations/search/decommission');
    expect(r.status).toBe(200);
    expect(r.json.keyRemoved).toBe(true);
    expect(r.json.reminder).toMatch(/Revoke the key of search at the provider/);
    expect(await keytar.getPassword(h.service, 'search')).toBeNull();
    const refused = await h.call('search', '/res/v1/web/search');
    expect(refused.status).toBe(403);
    expect(refused.headers['tollgate-error']).toBe('not_allowlisted');
    const archive = readFileSync(r.json.archive.file);
    expect(createHash('sha256').update(archive).digest('hex')).toBe(r.json.archive.sha256);
    expect(readFileSync(r.json.archive.checksumFile, 'utf8')).toContain(r.json.archive.sha256);
    const lines = archive.toString().trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.length).toBe(r.json.archive.records);
    expect(lines.every((l: { integration: string }) => l.integration === 'search')).toBe(true);
    expect(archive.toString()).not.toContain(key);
    const register = readFileSync(h.paths.register, 'utf8');
    expect(register).toMatch(/## Decommissioned \(1\)\n\n- search/);
    expect(register).toContain('### brave');
    expect((await h.agent('GET', '/v1/integrations')).json.integrations.map((i: { name: string }) => i.name)).not.toContain('search');
    // Its key stays known to the scanner: sending it out elsewhere is still refused.
    await h.control('PUT', '/v1/integrations/brave/key', { key: 'brave-key-0123456789' });
    const leak = await h.agent('GET', `/v1/call/brave/res/v1/web/search?q=${key}`, { headers: { 'tollgate-purpose': 'x' } });
    expect(leak.headers['tollgate-error']).toBe('exfiltration_blocked');
  });
});
