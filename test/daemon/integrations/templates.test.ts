import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import { integrationSchema, METHODS, templateSchema, type Template } from '../../../daemon/integrations/schema.ts';
import { instantiate, loadTemplates, TEMPLATES_DIR } from '../../../daemon/integrations/templates.ts';
import { priceSource, pricesFor } from '../../../daemon/pricing/prices.ts';

const SEARCH = ['brave-search', 'exa', 'firecrawl', 'perplexity', 'serper', 'tavily'];
const MODELS = ['anthropic', 'gemini', 'openai', 'openrouter'];
const IDS = [...MODELS, ...SEARCH].sort();

function shipped(id: string): unknown {
  return JSON.parse(readFileSync(join(TEMPLATES_DIR, `${id}.json`), 'utf8'));
}

describe('shipped templates', () => {
  const templates = loadTemplates();

  it('loads all ten, each valid against the template schema', () => {
    expect([...templates.keys()].sort()).toEqual(IDS);
    for (const id of SEARCH) expect(templateSchema.safeParse(shipped(id)).success).toBe(true);
    for (const t of templates.values()) expect(templateSchema.parse(t)).toEqual(t);
  });

  it('prices the model providers from the dataset shipped with Tollgate, naming it', () => {
    for (const id of MODELS) {
      const t = templates.get(id)!;
      const { dataset, models } = t.prices!;
      const list = pricesFor(dataset, models);
      expect(list.missing).toEqual([]);
      const { name, version, date } = priceSource();
      expect(t.pricing.tokens!.source).toBe(`${name} ${version} (${date})`);
      for (const m of models) {
        const { contextWindow, ...price } = t.pricing.tokens!.models[m]!;
        expect(price, `${id} ${m}`).toEqual(list.models[m]);
        expect(contextWindow).toBe(list.info[m]!.contextWindow);
      }
    }
    expect(templates.get('anthropic')!.pricing.tokens!.models['claude-sonnet-4-5']).toMatchObject({ input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75, contextWindow: 200_000 });
    // Free routes: counting tokens, listing models.
    expect(templates.get('anthropic')!.routes.find((r) => r.path === '/v1/messages/count_tokens')!.free).toBe(true);
    expect(templates.get('openai')!.routes.find((r) => r.path === '/v1/models')!.free).toBe(true);
    expect(templates.get('openai')!.routes.find((r) => r.path === '/v1/chat/completions')!.tokenFormat).toBe('openai-chat');
  });

  it('lists only https routes with a method and a path', () => {
    for (const t of templates.values()) {
      expect(new URL(t.baseUrl).protocol).toBe('https:');
      expect(t.routes.length).toBeGreaterThan(0);
      for (const r of t.routes) {
        expect(METHODS).toContain(r.method);
        expect(r.path.startsWith('/')).toBe(true);
        expect(new URL(r.path, t.baseUrl).protocol).toBe('https:');
      }
    }
  });

  it('gives every tool one of its routes and keeps caps low', () => {
    for (const t of templates.values()) {
      expect(t.tools.length > 0 || MODELS.includes(t.id)).toBe(true);
      for (const tool of t.tools) {
        expect(t.routes.some((r) => r.method === tool.method && r.path === tool.path)).toBe(true);
        expect(Object.values(tool.arguments).some((a) => a.required)).toBe(true);
      }
      expect(t.monthlyCapUsd).toBeGreaterThan(0);
      expect(t.monthlyCapUsd).toBeLessThanOrEqual(10);
    }
  });
});

describe('instantiate', () => {
  const brave = loadTemplates().get('brave-search') as Template;
  const operator = { name: 'brave-research', purpose: 'Web search for research tasks', account: 'assistant-research@example.org' };

  it('builds a valid spec from the template and the operator fields', () => {
    const spec = instantiate(brave, operator);
    expect(integrationSchema.parse(spec)).toEqual(spec);
    expect(spec).toEqual({
      ...operator,
      baseUrl: 'https://api.search.brave.com',
      auth: { type: 'header', name: 'X-Subscription-Token' },
      routes: [
        { method: 'GET', path: '/res/v1/web/search' },
        { method: 'GET', path: '/res/v1/news/search' },
      ],
      pricing: brave.pricing,
      monthlyCapUsd: brave.monthlyCapUsd,
      rateLimit: brave.rateLimit,
      credentialFormats: 'block',
      template: 'brave-search',
    });
  });

  it("takes the operator's cap, routes, rate limit and pricing over the template's", () => {
    const spec = instantiate(brave, {
      ...operator,
      monthlyCapUsd: 2,
      routes: [{ method: 'GET', path: '/res/v1/web/search' }],
      rateLimit: { perMinute: 5, concurrent: 1 },
      pricing: { perRequestUsd: 0.003, maxPerRequestUsd: 0.003 },
    });
    expect(spec.monthlyCapUsd).toBe(2);
    expect(spec.routes).toEqual([{ method: 'GET', path: '/res/v1/web/search' }]);
    expect(spec.rateLimit).toEqual({ perMinute: 5, concurrent: 1 });
    expect(spec.pricing).toEqual({ perRequestUsd: 0.003, maxPerRequestUsd: 0.003 });
  });

  it('works for every shipped template', () => {
    for (const t of loadTemplates().values()) {
      const spec = instantiate(t, { ...operator, name: t.id });
      expect(spec.template).toBe(t.id);
      expect(spec.routes).toEqual(t.routes.map(({ description: _, ...r }) => r));
    }
  });

  it('lets a ZodError through when the result is invalid', () => {
    expect(() => instantiate(brave, { ...operator, name: 'Not A Name' })).toThrow(ZodError);
    expect(() => instantiate(brave, { ...operator, monthlyCapUsd: 0 })).toThrow(ZodError);
    expect(() => instantiate(brave, { ...operator, purpose: '  ' })).toThrow(ZodError);
  });
});

describe('loadTemplates refuses bad files', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  function dirWith(files: Record<string, unknown>): string {
    dir = mkdtempSync(join(tmpdir(), 'tollgate-templates-'));
    for (const [name, content] of Object.entries(files)) {
      writeFileSync(join(dir, name), typeof content === 'string' ? content : JSON.stringify(content));
    }
    return dir;
  }

  it('loads a folder of valid templates and ignores other files', () => {
    const d = dirWith({ 'serper.json': shipped('serper'), 'README.md': '# not a template' });
    expect([...loadTemplates(d).keys()]).toEqual(['serper']);
  });

  it('names a file that does not match the schema, with the issue', () => {
    const bad = { ...(shipped('serper') as object), id: 'broken', baseUrl: 'http://google.serper.dev' };
    const d = dirWith({ 'serper.json': shipped('serper'), 'broken.json': bad });
    expect(() => loadTemplates(d)).toThrow(/broken\.json[\s\S]*baseUrl/);
  });

  it('names a file that is not JSON', () => {
    const d = dirWith({ 'garbled.json': '{ "id": ' });
    expect(() => loadTemplates(d)).toThrow(/garbled\.json/);
  });

  it('refuses a tool whose route is not listed', () => {
    const t = shipped('tavily') as Template;
    const bad = { ...t, tools: [{ ...t.tools[0], method: 'POST', path: '/crawl' }] };
    const d = dirWith({ 'tavily.json': bad });
    expect(() => loadTemplates(d)).toThrow(/tavily\.json.*POST \/crawl.*not one of the template's routes/);
  });

  it('refuses a tool on a listed path with another method', () => {
    const t = shipped('brave-search') as Template;
    const bad = { ...t, tools: [{ ...t.tools[0], method: 'POST' }] };
    const d = dirWith({ 'brave-search.json': bad });
    expect(() => loadTemplates(d)).toThrow(/brave-search\.json.*POST \/res\/v1\/web\/search/);
  });

  it('refuses an id that does not match the file name', () => {
    const d = dirWith({ 'other.json': shipped('exa') });
    expect(() => loadTemplates(d)).toThrow(/other\.json.*"exa"/);
  });
});
