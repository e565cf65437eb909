// `tollgate mcp` as an MCP client runs it: a separate process spawned by the SDK's stdio client,
// talking to a real daemon's agent socket, which calls a real HTTPS upstream.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEMPLATES_DIR } from '../../../daemon/integrations/templates.ts';
import { Harness } from '../../helpers/harness.ts';
import { type Mcp, startMcp } from '../../helpers/mcp-client.ts';
import { json } from '../../helpers/upstream.ts';

const template = (id: string) => JSON.parse(readFileSync(join(TEMPLATES_DIR, `${id}.json`), 'utf8'));
const BRAVE = template('brave-search');
const TAVILY = template('tavily');
const PURPOSE = 'research for the report on SQLite';

/** The template's integration, as the operator creates it, pointed at the test upstream. */
function fromTemplate(t: { auth: unknown; routes: { method: string; path: string }[]; pricing: unknown }, overrides: Record<string, unknown> = {}) {
  return { auth: t.auth, routes: t.routes.map(({ method, path }) => ({ method, path })), pricing: t.pricing, ...overrides };
}

type Schema = { type?: unknown; [k: string]: unknown };

/** Every sub-schema of a JSON schema, with where it is (e.g. `.properties.query.additionalProperties`). */
function* subSchemas(schema: Schema, where = ''): Generator<[string, Schema]> {
  yield [where, schema];
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'properties' && value && typeof value === 'object') {
      for (const [name, sub] of Object.entries(value)) yield* subSchemas(sub as Schema, `${where}.properties.${name}`);
    } else if (['items', 'additionalProperties', 'propertyNames'].includes(key) && value && typeof value === 'object') {
      yield* subSchemas(value as Schema, `${where}.${key}`);
    } else if (['anyOf', 'oneOf', 'allOf'].includes(key) && Array.isArray(value)) {
      for (const [i, sub] of value.entries()) yield* subSchemas(sub as Schema, `${where}.${key}[${i}]`);
    }
  }
}

type ToolResult = { isError?: boolean; content: { type: string; text?: string }[] };
const textOf = (r: unknown) => (r as ToolResult).content.map((c) => c.text ?? '').join('\n');

describe('tollgate mcp', () => {
  let h: Harness;
  let mcp: Mcp;
  let braveKey: string;
  const call = async (name: string, args: Record<string, unknown>) => {
    const r = (await mcp.client.callTool({ name, arguments: args })) as ToolResult;
    return { isError: r.isError === true, text: textOf(r) };
  };

  beforeAll(async () => {
    h = await Harness.start({ handler: json(200, { web: { results: [{ title: 'SQLite WAL', url: 'https://sqlite.org/wal.html' }] } }) });
    // Three calls' worth of budget.
    braveKey = await h.addIntegration(fromTemplate(BRAVE, { name: 'brave-search', monthlyCapUsd: 0.015 }));
    await h.addIntegration(fromTemplate(TAVILY, { name: 'tavily' }));
    mcp = await startMcp(h.paths.agentSocket);
  });
  afterAll(async () => {
    await mcp?.client.close();
    await h?.close();
  });

  it('lists the fixed tools and the typed tools of the approved templates', async () => {
    const { tools } = await mcp.client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([
      'brave_news_search', 'brave_web_search', 'tavily_extract', 'tavily_search',
      'tollgate_call', 'tollgate_integrations', 'tollgate_proposal_status', 'tollgate_propose',
    ]);
    const web = tools.find((t) => t.name === 'brave_web_search')!;
    expect(web.description).toContain('Search the web with Brave Search');
    expect(web.inputSchema.required?.sort()).toEqual(['purpose', 'q']);
    expect(web.inputSchema.properties).toMatchObject({ q: { type: 'string' }, count: { type: 'integer' }, purpose: { type: 'string', maxLength: 200 } });
    const generic = tools.find((t) => t.name === 'tollgate_call')!;
    expect(generic.inputSchema.required).toEqual(expect.arrayContaining(['integration', 'path', 'purpose']));
  });

  it('the typed search tool calls the upstream through the daemon, with q, count and the key', async () => {
    const before = h.upstream.requests.length;
    const r = await call('brave_web_search', { q: 'sqlite wal', count: 3, purpose: PURPOSE });
    expect(r.isError, r.text).toBe(false);
    expect(h.upstream.requests.length - before).toBe(1);
    const sent = h.upstream.requests.at(-1)!;
    expect(sent.url).toBe('/res/v1/web/search?q=sqlite+wal&count=3');
    expect(sent.headers['x-subscription-token']).toBe(braveKey);
    expect(r.text).toMatch(/^HTTP 200 \(application\/json\) · cost \$0\.005 · remaining budget \$0\.01 · request [0-9a-f-]{36}/);
    expect(r.text).toContain('"title":"SQLite WAL"');
    expect(r.text).not.toContain(braveKey);
    const audit = await h.control('GET', '/v1/audit?limit=1');
    expect(audit.json.records[0]).toMatchObject({ integration: 'brave-search', purpose: PURPOSE, outcome: 'ok' });
  });

  it('the generic tool calls any approved route', async () => {
    const r = await call('tollgate_call', { integration: 'brave-search', method: 'GET', path: '/res/v1/news/search', query: { q: 'sqlite', count: 2 }, purpose: PURPOSE });
    expect(r.isError, r.text).toBe(false);
    expect(h.upstream.requests.at(-1)!.url).toBe('/res/v1/news/search?q=sqlite&count=2');
    expect(h.upstream.requests.at(-1)!.headers['x-subscription-token']).toBe(braveKey);
    expect(r.text).toMatch(/HTTP 200 .*cost \$0\.005 · remaining budget \$0\.005/);
  });

  it('a typed tool with a JSON body merges the template\'s fixed values', async () => {
    const r = await call('tavily_search', { query: 'sqlite wal', max_results: 2, purpose: PURPOSE });
    expect(r.isError, r.text).toBe(false);
    const sent = h.upstream.requests.at(-1)!;
    expect([sent.method, sent.url, sent.headers['content-type']]).toEqual(['POST', '/search', 'application/json']);
    expect(JSON.parse(sent.body.toString())).toEqual({ query: 'sqlite wal', max_results: 2, search_depth: 'basic', include_usage: true });
  });

  it('a long body is cut, with a marker', async () => {
    h.upstream.setHandler(json(200, { blob: 'x'.repeat(80 * 1024) }));
    try {
      const r = await call('tollgate_call', { integration: 'tavily', method: 'POST', path: '/search', body: { query: 'x' }, purpose: PURPOSE });
      expect(r.isError).toBe(false);
      expect(r.text).toMatch(/\[truncated by Tollgate: showing the first 51200 of \d+ bytes/);
      expect(r.text.length).toBeLessThan(53 * 1024);
    } finally {
      h.upstream.setHandler(json(200, { web: { results: [] } }));
    }
  });

  it('the cap reached: a tool error with the reset date and the way to propose more', async () => {
    expect((await call('brave_web_search', { q: 'third', purpose: PURPOSE })).isError).toBe(false);
    const before = h.upstream.requests.length;
    const r = await call('brave_web_search', { q: 'fourth', purpose: PURPOSE });
    expect(r.isError).toBe(true);
    expect(h.upstream.requests.length).toBe(before);
    const { resetsAt } = (await h.agent('GET', '/v1/integrations')).json.integrations.find((i: { name: string }) => i.name === 'brave-search');
    expect(r.text).toContain('budget_exhausted');
    expect(r.text).toContain(`until ${resetsAt}`);
    expect(r.text).toMatch(/propose a higher cap with tollgate_propose/);
  });

  it('tollgate_integrations: purpose, routes, budget left, reset date and tools', async () => {
    const r = await call('tollgate_integrations', {});
    expect(r.isError).toBe(false);
    expect(r.text).toContain('brave-search [active]: Web search for research tasks');
    expect(r.text).toContain('routes: GET /res/v1/web/search, GET /res/v1/news/search');
    expect(r.text).toMatch(/budget: \$0\.00 left of a \$0\.015 monthly cap \(\$0\.015 spent since \d{4}-\d{2}-\d{2}\); resets \d{4}-\d{2}-\d{2}T/);
    expect(r.text).toContain('tools: brave_web_search, brave_news_search, tollgate_call');
  });

  it('a proposal made through the tool waits for the operator on the control socket', async () => {
    const r = await call('tollgate_propose', { kind: 'raise_cap', integration: 'brave-search', monthlyCapUsd: 5, justification: 'A literature review needs more searches' });
    expect(r.isError, r.text).toBe(false);
    const id = /Proposal ([0-9a-f-]{36}) is pending/.exec(r.text)![1]!;
    const pending = await h.control('GET', '/v1/proposals?status=pending');
    expect(pending.json.proposals).toContainEqual(expect.objectContaining({ id, kind: 'raise_cap', status: 'pending' }));
    expect((await call('tollgate_proposal_status', { id })).text).toMatch(new RegExp(`Proposal ${id} \\(raise_cap\\): pending`));
    expect((await h.control('POST', `/v1/proposals/${id}/reject`, { reason: 'not this month' })).status).toBe(200);
    expect((await call('tollgate_proposal_status', { id })).text).toMatch(/rejected on .*Operator's note: not this month/);
  });

  it('an invalid proposal is a tool error that says what is wrong', async () => {
    const r = await call('tollgate_propose', { kind: 'raise_cap', integration: 'brave-search', justification: 'more' });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/bad_request.*monthlyCapUsd/);
  });

  it('an unknown integration: a tool error listing what is approved', async () => {
    const r = await call('tollgate_call', { integration: 'nope', path: '/search', purpose: PURPOSE });
    expect(r.isError).toBe(true);
    expect(r.text).toContain('not_allowlisted');
    expect(r.text).toContain('Approved: brave-search (GET /res/v1/web/search, GET /res/v1/news/search); tavily (POST /search, POST /extract).');
  });

  it('a route the integration does not allow: the same list', async () => {
    const r = await call('tollgate_call', { integration: 'tavily', method: 'POST', path: '/crawl', purpose: PURPOSE });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/route_not_allowed[\s\S]*Approved: brave-search/);
  });

  it('a suspended integration: the operator has been told, do not retry', async () => {
    await h.control('POST', '/v1/integrations/tavily/suspend', { reason: 'holiday' });
    try {
      const r = await call('tavily_search', { query: 'x', purpose: PURPOSE });
      expect(r.isError).toBe(true);
      expect(r.text).toMatch(/integration_suspended[\s\S]*operator has been told; do not retry/);
    } finally {
      await h.control('POST', '/v1/integrations/tavily/resume');
    }
  });

  it('a newly approved integration gets its own typed tools, named after it, once listed again', async () => {
    const changes = mcp.listChanged();
    // A second Brave integration, allowed web search only.
    await h.addIntegration(fromTemplate(BRAVE, { name: 'brave-search-work', routes: [{ method: 'GET', path: '/res/v1/web/search' }] }));
    expect((await call('tollgate_integrations', {})).text).toContain('tools: brave_web_search_brave_search_work, tollgate_call');
    await expect.poll(() => mcp.listChanged()).toBeGreaterThan(changes);
    const names = (await mcp.client.listTools()).tools.map((t) => t.name);
    expect(names).toContain('brave_web_search_brave_search_work');
    expect(names).not.toContain('brave_news_search_brave_search_work');
    const r = await call('brave_web_search_brave_search_work', { q: 'work', purpose: PURPOSE });
    expect(r.isError, r.text).toBe(false);
    const audit = await h.control('GET', '/v1/audit?limit=1');
    expect(audit.json.records[0]).toMatchObject({ integration: 'brave-search-work', outcome: 'ok' });
  });

  it('names every typed tool within what strict clients accept, uniquely, even for a 63-character integration name', async () => {
    const long = `brave-search-${'x'.repeat(45)}-1234`;
    expect(long).toHaveLength(63);
    await h.addIntegration(fromTemplate(BRAVE, { name: long }));
    await h.addIntegration(fromTemplate(BRAVE, { name: `${long.slice(0, 62)}5` }));
    await call('tollgate_integrations', {});
    const names = (await mcp.client.listTools()).tools.map((t) => t.name);
    for (const name of names) {
      expect(name).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
      // Room for Claude Code's mcp__tollgate__ before it.
      expect(`mcp__tollgate__${name}`.length).toBeLessThanOrEqual(64);
    }
    expect(new Set(names).size).toBe(names.length);
    const mine = names.filter((n) => n.startsWith('brave_web_search_brave_search_xxx'));
    expect(mine).toHaveLength(2);
    const r = await call(mine[0]!, { q: 'long names', purpose: PURPOSE });
    expect(r.isError, r.text).toBe(false);
  });

  it('gives every tool a portable input schema: ajv strict compiles it, every property has one type', async () => {
    const { tools } = await mcp.client.listTools();
    const ajv = new Ajv({ strict: true });
    for (const tool of tools) {
      expect(() => ajv.compile(tool.inputSchema), tool.name).not.toThrow();
      for (const [where, schema] of subSchemas(tool.inputSchema)) {
        expect(Array.isArray(schema.type), `${tool.name} ${where}: a type array`).toBe(false);
        if (where.includes('.properties.')) expect(typeof schema.type, `${tool.name} ${where}: no type`).toBe('string');
      }
    }
  });

  it('tollgate_call takes numbers and booleans as query text, and a body written as a JSON string', async () => {
    const r = await call('tollgate_call', { integration: 'brave-search-work', path: '/res/v1/web/search', query: { q: 'typed', count: 5, safe: true }, purpose: PURPOSE });
    expect(r.isError, r.text).toBe(false);
    expect(h.upstream.requests.at(-1)!.url).toBe('/res/v1/web/search?q=typed&count=5&safe=true');
    const t = await call('tollgate_call', { integration: 'tavily', method: 'POST', path: '/search', body: '{"query":"as text"}', purpose: PURPOSE });
    expect(t.isError, t.text).toBe(false);
    expect(JSON.parse(h.upstream.requests.at(-1)!.body.toString())).toEqual({ query: 'as text' });
  });

  it('tollgate_proposal_status with an unknown or malformed id says no proposal has that id', async () => {
    for (const id of ['00000000-0000-4000-8000-000000000000', 'not-an-id', '../integrations']) {
      const r = await call('tollgate_proposal_status', { id });
      expect(r.isError).toBe(true);
      expect(r.text).toContain('No proposal has that id');
    }
  });

  it('says nothing on stdout but the protocol; logs go to stderr', () => {
    expect(mcp.errors).toEqual([]);
    expect(mcp.stderr()).toContain('tollgate mcp: serving over stdio');
  });
});

describe('tollgate mcp without a daemon', () => {
  it('starts with the fixed tools and says the daemon is not running', async () => {
    const mcp = await startMcp('/nonexistent/tollgate/agent.sock');
    try {
      const { tools } = await mcp.client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual(['tollgate_call', 'tollgate_integrations', 'tollgate_proposal_status', 'tollgate_propose']);
      const r = (await mcp.client.callTool({ name: 'tollgate_integrations', arguments: {} })) as ToolResult;
      expect(r.isError).toBe(true);
      expect(textOf(r)).toMatch(/not reachable on \/nonexistent\/tollgate\/agent\.sock: is the daemon running\?/);
    } finally {
      await mcp.client.close();
    }
  });
});
