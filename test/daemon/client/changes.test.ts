// What a confirmation says (issue 12, "Every screen says what is true"): the CLI's prompt and the
// window's native dialog both show describeChange(), so it names everything a change allows.
import { describe, expect, it } from 'vitest';
import { describeChange } from '../../../daemon/client/changes.ts';
import type { IntegrationSpec, IntegrationView, Proposal, Settings } from '../../../daemon/control-types.ts';
import { defaultSettings } from '../../../daemon/settings.ts';
import { loadTemplates } from '../../../daemon/integrations/templates.ts';

const templates = loadTemplates();
const template = (id: string) => templates.get(id)!;

const spec: IntegrationSpec = {
  name: 'search', purpose: 'Web search', account: 'assistant@example.org', baseUrl: 'https://api.search.example',
  auth: { type: 'query', name: 'apikey' }, routes: [{ method: 'GET', path: '/v1/search' }, { method: 'POST', path: '/v1/extract', pricing: { perRequestUsd: 0.02, maxPerRequestUsd: 0.02 } }],
  pricing: { perRequestUsd: 0.005, maxPerRequestUsd: 0.005 }, monthlyCapUsd: 10, rateLimit: { perMinute: 30, concurrent: 4 }, credentialFormats: 'block',
};

function view(over: Partial<IntegrationView> = {}): IntegrationView {
  return {
    name: 'search', status: 'active', statusReason: null, spec, keySet: true, keySetAt: '2026-12-01T10:00:00.000Z',
    approvedBy: 'op (cli)', approvedAt: '2026-12-01T10:00:00.000Z', updatedAt: '2026-12-01T10:00:00.000Z', decommissionedAt: null, ...over,
  };
}

const proposal = (body: Proposal['body']): Proposal => ({
  id: '3f2b6c1e-0000-4000-8000-000000000000', kind: body.kind, body, status: 'pending', createdAt: 0, decidedAt: null, decidedBy: null, note: null,
});

describe('a new integration names everything it will be allowed', () => {
  it('from a template: host, routes, how the key is sent, price, the most one call costs, cap, rate limit', () => {
    const d = describeChange({ kind: 'create', integration: { template: 'brave-search', name: 'brave', purpose: 'Search', account: 'a@example.org', monthlyCapUsd: 7 }, template: template('brave-search') });
    expect(d).toMatchObject({ title: 'Approve a new integration: brave', widens: true });
    expect(d.details).toEqual([
      'Name: brave',
      'Purpose: Search',
      'Account: a@example.org',
      'From the Brave Search template (brave-search)',
      'Host: https://api.search.brave.com',
      'Routes (2): GET /res/v1/web/search, GET /res/v1/news/search',
      'Key sent as: header X-Subscription-Token: <key> (the key itself is never shown)',
      'Pricing: $0.005 a call',
      'Most one call can cost: $0.005 (what each call reserves at worst)',
      'Monthly cap: $7.00',
      'Rate limit: 30 calls a minute, 4 at once',
    ]);
  });

  it("from a template with the operator's own host: the host that will be called", () => {
    const d = describeChange({ kind: 'create', integration: { template: 'brave-search', name: 'brave', purpose: 'Search', account: 'a', baseUrl: 'https://gateway.example/brave' }, template: template('brave-search') });
    expect(d.details).toContain('Host: https://gateway.example/brave');
    expect(d.details.join('\n')).not.toContain('api.search.brave.com');
  });

  it('a model provider: how many models, a few by name, where the prices come from', () => {
    const t = template('anthropic');
    const ids = Object.keys(t.pricing.tokens!.models);
    expect(ids.length).toBeGreaterThan(6);
    const d = describeChange({ kind: 'create', integration: { template: 'anthropic', name: 'claude', purpose: 'Model', account: 'a' }, template: t });
    expect(d.details).toContain('Key sent as: header x-api-key: <key> (the key itself is never shown)');
    expect(d.details).toContain('Routes (2): POST /v1/messages, POST /v1/messages/count_tokens (free)');
    expect(d.details).toContain(`Models (${ids.length}): ${ids.slice(0, 5).join(', ')} and ${ids.length - 5} more`);
    expect(d.details).toContain(`Prices per million tokens: ${t.pricing.tokens!.source}`);
    expect(d.details).toContain(`Most one call can cost: $${t.pricing.maxPerRequestUsd.toFixed(2)} (what each call reserves at worst)`);
  });

  it('a few models are each named with their prices', () => {
    const d = describeChange({
      kind: 'create',
      integration: { ...spec, name: 'llm', auth: { type: 'bearer' }, routes: [{ method: 'POST', path: '/v1/chat/completions' }], pricing: { tokens: { format: 'openai-chat', models: { 'gpt-a': { input: 1, output: 2 } } }, maxPerRequestUsd: 0.5 } },
    });
    expect(d.details).toEqual(expect.arrayContaining([
      'Key sent as: header Authorization: Bearer <key> (the key itself is never shown)',
      'Models (1): gpt-a',
      '  gpt-a: $1.00 input, $2.00 output',
      'Prices per million tokens: set by the operator',
      'Most one call can cost: $0.50 (what each call reserves at worst)',
    ]));
  });

  it("from a whole definition: a route's own price counts in the most one call can cost", () => {
    const d = describeChange({ kind: 'create', integration: spec });
    expect(d.details).toEqual(expect.arrayContaining([
      'Host: https://api.search.example',
      'Routes (2): GET /v1/search, POST /v1/extract',
      'Key sent as: query parameter apikey=<key> (the key itself is never shown)',
      'Pricing: $0.005 a call',
      'Most one call can cost: $0.02 (what each call reserves at worst)',
      'Monthly cap: $10.00',
    ]));
  });

  it("approving a proposed integration: the assistant's reason, then the same facts", () => {
    const p = proposal({ kind: 'new_integration', name: 'brave', template: 'brave-search', purpose: 'Search', monthlyCapUsd: 3, justification: 'Needs the web' });
    const d = describeChange({ kind: 'approve', proposal: p, integration: { template: 'brave-search', name: 'brave', purpose: 'Search', account: 'a', monthlyCapUsd: 3 }, template: template('brave-search') });
    expect(d.details[0]).toBe("The assistant's reason: Needs the web");
    expect(d.details).toEqual(expect.arrayContaining(['Host: https://api.search.brave.com', 'Monthly cap: $3.00', 'Most one call can cost: $0.005 (what each call reserves at worst)']));
  });
});

describe('approving a higher cap', () => {
  it('says the cap before and after', () => {
    const p = proposal({ kind: 'raise_cap', integration: 'search', monthlyCapUsd: 20, justification: 'A long review' });
    expect(describeChange({ kind: 'approve_cap', proposal: p, before: view() })).toEqual({
      title: 'Approve: raise the cap of search to $20.00',
      widens: true,
      details: ["The assistant's reason: A long review", 'Monthly cap: $10.00 → $20.00', 'search calls https://api.search.example (2 routes); the most one call can cost stays $0.02'],
    });
    expect(describeChange({ kind: 'approve_cap', proposal: p, before: view(), monthlyCapUsd: 15 }).details[1]).toBe('Monthly cap: $10.00 → $15.00 (the assistant asked for $20.00)');
  });
});

describe('setting a key says what happens to a suspension, as the daemon does it', () => {
  it('a suspension the rejected key caused is lifted', () => {
    const d = describeChange({ kind: 'set_key', integration: view({ status: 'suspended', statusReason: 'the provider rejected its key (HTTP 401)' }) });
    expect(d.details).toContain('search is suspended because the provider rejected its key (HTTP 401); the new key lifts that suspension: it can make calls again.');
    expect(d.details.join('\n')).not.toContain('stays suspended');
  });

  it('any other suspension stays', () => {
    for (const integration of [view({ status: 'suspended', statusReason: 'going on holiday' }), view({ status: 'suspended', statusReason: 'going on holiday', keySet: false, keySetAt: null })]) {
      const d = describeChange({ kind: 'set_key', integration });
      expect(d.details).toContain('search stays suspended (going on holiday): it makes no calls until it is resumed.');
      expect(d.details.join('\n')).not.toContain('can make calls');
    }
  });

  it('an active integration without a key can make calls once it has one', () => {
    expect(describeChange({ kind: 'set_key', integration: view({ keySet: false, keySetAt: null }) }).details).toContain('search can make calls from now on.');
  });
});

describe('a settings change reads in words, and widens as before', () => {
  const before = { ...defaultSettings(), timeZone: 'Europe/Berlin' };
  const settings = (change: Partial<Settings>) => describeChange({ kind: 'settings', before, change });

  it('names each setting and its values as the operator knows them', () => {
    const d = settings({
      globalCapUsd: 100, activeHours: { start: '09:00', end: '17:00', days: [1, 2, 3, 4, 5] }, timeZone: 'Asia/Tokyo', resetDay: 15,
      maxRequestBytes: 512 * 1024, maxResponseBytes: 1536 * 1024, fullSync: true, upstreamTimeouts: { connectMs: 5_000, headersMs: 30_000, bodyMs: 1_500 },
    });
    expect(d).toEqual({
      title: 'Change Tollgate settings',
      widens: false,
      details: [
        'Global cap (all integrations together, a period): none → $100.00',
        'Active hours: off → 09:00–17:00 Mon–Fri',
        'Time zone (spend periods and active hours are read in it): Europe/Berlin → Asia/Tokyo',
        'Day of the month caps reset on: 1 → 15',
        'Largest request body: 1 MB → 512 KB',
        'Largest response body: 10 MB → 1536 KB',
        'Every write forced to disk (survives a power cut; slower): off → on',
        'Provider timeouts: connect 10 s, headers 30 s, body 60 s → connect 5 s, headers 30 s, body 1500 ms',
      ],
    });
    expect(d.details.join('\n')).not.toMatch(/globalCapUsd|null|[{}]/);
  });

  it('weekdays as ranges, from Monday', () => {
    const hours = (days: number[]) => settings({ activeHours: { start: '22:00', end: '06:00', days } }).details[0];
    expect(hours([0, 1, 2, 3, 4, 5, 6])).toBe('Active hours: off → 22:00–06:00 every day');
    expect(hours([6, 0, 1, 3])).toBe('Active hours: off → 22:00–06:00 Mon, Wed, Sat, Sun');
    expect(hours([3, 4, 5, 6, 0])).toBe('Active hours: off → 22:00–06:00 Wed–Sun');
    expect(settings({ maxRequestBytes: 1_000_000 }).details).toEqual(['Largest request body: 1 MB → 1,000,000 bytes']);
  });

  it('widens on a higher or removed global cap and larger bodies, as before', () => {
    const capped = describeChange({ kind: 'settings', before: { ...before, globalCapUsd: 50 }, change: { globalCapUsd: null } });
    expect(capped).toMatchObject({ widens: true, details: ['Global cap (all integrations together, a period): $50.00 → none'] });
    expect(describeChange({ kind: 'settings', before: { ...before, globalCapUsd: 50 }, change: { globalCapUsd: 60 } }).widens).toBe(true);
    expect(describeChange({ kind: 'settings', before: { ...before, globalCapUsd: 50 }, change: { globalCapUsd: 40 } }).widens).toBe(false);
    expect(settings({ maxResponseBytes: 20 * 1024 * 1024 }).widens).toBe(true);
    expect(settings({ activeHours: null, timeZone: 'UTC', resetDay: 2, fullSync: false }).widens).toBe(false);
    expect(settings({ timeZone: 'Europe/Berlin' }).details).toEqual(['Nothing changes.']);
  });
});
