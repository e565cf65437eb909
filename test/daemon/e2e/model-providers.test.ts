// The assistant's own model, governed: the official `openai` and `@anthropic-ai/sdk` packages (and
// plain fetch for Gemini) call model providers through the agent socket, against an HTTPS mock of
// the four providers' formats, streaming and not. Integrations come from the shipped templates,
// pointed at the mock. Checked: the key Tollgate holds reaches the provider (never the SDK's
// placeholder), exact costs, model_not_allowed, a refusal costs one attempt (x-should-retry), a
// session budget holds under 100 concurrent streams, and a provider over-report suspends.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Agent, fetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestBound } from '../../../daemon/pricing/bound.ts';
import { Harness } from '../../helpers/harness.ts';
import { json } from '../../helpers/upstream.ts';
import { anthropicMessage, anthropicStream, chatCompletion, chatStream, geminiAnswer, geminiStream, response, responsesStream, sse } from '../pricing/streams.ts';

const PURPOSE = 'governed model calls';
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// What the mock bills, per call.
const ANTHROPIC_USAGE = { input_tokens: 1000, output_tokens: 200, cache_read_input_tokens: 500, cache_creation_input_tokens: 100 };
const CHAT_USAGE = { prompt_tokens: 1200, completion_tokens: 300, total_tokens: 1500, prompt_tokens_details: { cached_tokens: 200 } };
const RESPONSES_USAGE = { input_tokens: 900, input_tokens_details: { cached_tokens: 100 }, output_tokens: 400, output_tokens_details: { reasoning_tokens: 150 }, total_tokens: 1300 };
const GEMINI_USAGE = { promptTokenCount: 800, candidatesTokenCount: 120, thoughtsTokenCount: 80, totalTokenCount: 1000 };

/** The mock provider: answers each API in its documented shape; `huge` makes Anthropic report a vast usage. */
class Provider {
  huge = false;
  delayMs = 0;
  handler = async (req: IncomingMessage, res: ServerResponse, raw: Buffer): Promise<void> => {
    const url = req.url ?? '';
    const body = raw.length ? JSON.parse(raw.toString()) : {};
    if (this.delayMs) await sleep(this.delayMs);
    const send = (events: [string | null, unknown][]) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(sse(events));
    };
    if (url === '/v1/messages') {
      const usage = this.huge ? { ...ANTHROPIC_USAGE, input_tokens: 50_000_000 } : ANTHROPIC_USAGE;
      if (body.stream) return send(anthropicStream({ ...usage, output_tokens: 1 }, { output_tokens: usage.output_tokens }, body.model));
      return json(200, anthropicMessage(usage, body.model))(req, res, raw);
    }
    if (url === '/v1/chat/completions' || url === '/api/v1/chat/completions') {
      const usage = url.startsWith('/api') ? { ...CHAT_USAGE, cost: 0.004321 } : CHAT_USAGE;
      if (body.stream) return send(chatStream(usage, body.model));
      return json(200, chatCompletion(usage, body.model))(req, res, raw);
    }
    if (url === '/v1/responses') {
      if (body.stream) return send(responsesStream(RESPONSES_USAGE, 'response.completed', body.model));
      return json(200, response(RESPONSES_USAGE, body.model))(req, res, raw);
    }
    if (url.startsWith('/v1beta/models/gemini-2.5-flash:streamGenerateContent')) {
      return send(geminiStream([{ promptTokenCount: 800, candidatesTokenCount: 10, totalTokenCount: 810 }, GEMINI_USAGE]));
    }
    if (url === '/v1beta/models/gemini-2.5-flash:generateContent') return json(200, geminiAnswer(GEMINI_USAGE))(req, res, raw);
    return json(404, { error: `no ${url}` })(req, res, raw);
  };
}

describe('model providers through the agent socket, with the official SDKs', () => {
  let h: Harness;
  let agent: Agent;
  const provider = new Provider();
  const keys: Record<string, string> = {};
  const models = async (name: string) => (await h.control('GET', `/v1/integrations/${name}`)).json.integration.spec.pricing.tokens.models;
  const lastRecord = async () => (await h.control('GET', '/v1/audit?limit=1')).json.records[0];
  const records = async (integration: string) => (await h.control('GET', `/v1/audit?integration=${integration}&limit=1000`)).json.records.length;
  const sdkOptions = (name: string, path = '') => ({
    apiKey: 'sk-placeholder-not-a-key', baseURL: `http://tollgate/v1/call/${name}${path}`,
    fetch: fetch as unknown as typeof globalThis.fetch, // undici's own option, absent from the DOM RequestInit the SDKs are typed with.
    fetchOptions: { dispatcher: agent } as never,
    defaultHeaders: { 'tollgate-purpose': PURPOSE },
  });

  beforeAll(async () => {
    h = await Harness.start({ handler: provider.handler });
    for (const [template, base] of [['anthropic', ''], ['openai', ''], ['openrouter', '/api'], ['gemini', '']]) {
      const created = await h.control('POST', '/v1/integrations', { template, name: template, purpose: 'the assistant\'s own model', account: 'me@example.org', baseUrl: `${h.upstream.url}${base}`, monthlyCapUsd: 50 });
      expect(created.status, created.text).toBe(200);
      keys[template!] = `tg-model-key-${template}-${'k'.repeat(24)}`;
      expect((await h.control('PUT', `/v1/integrations/${template}/key`, { key: keys[template!] })).status).toBe(200);
    }
    agent = new Agent({ connect: { socketPath: h.paths.agentSocket } });
  });
  afterAll(async () => {
    await agent?.close();
    await h?.close();
  });

  it('Anthropic, with @anthropic-ai/sdk, not streamed and streamed: the real key, the exact cost', async () => {
    const client = new Anthropic({ ...sdkOptions('anthropic'), maxRetries: 2 });
    const p = (await models('anthropic'))['claude-sonnet-4-5'];
    // input, cache reads, cache writes (5 min), output: micro-dollars = tokens × USD per million.
    const expected = Math.round(1000 * p.input + 500 * p.cacheRead + 100 * p.cacheWrite + 200 * p.output);
    expect(expected).toBe(6525);
    const message = await client.messages.create({ model: 'claude-sonnet-4-5-20250929', max_tokens: 1024, messages: [{ role: 'user', content: 'hello' }] });
    expect(message.usage.input_tokens).toBe(1000);
    const sent = h.upstream.requests.at(-1)!;
    expect(sent.headers['x-api-key']).toBe(keys.anthropic);
    expect(JSON.stringify(sent.rawHeaders)).not.toContain('sk-placeholder');
    expect(await lastRecord()).toMatchObject({ integration: 'anthropic', outcome: 'ok', costUsd: expected / 1e6 });
    const stream = client.messages.stream({ model: 'claude-sonnet-4-5', max_tokens: 1024, messages: [{ role: 'user', content: 'hello' }] });
    const final = await stream.finalMessage();
    expect(final.usage.output_tokens).toBe(200);
    expect(await lastRecord()).toMatchObject({ integration: 'anthropic', outcome: 'ok', costUsd: expected / 1e6 });
  });

  it('OpenAI, with the openai SDK: Responses and Chat Completions, streamed and not, cached input priced apart', async () => {
    const client = new OpenAI({ ...sdkOptions('openai', '/v1'), maxRetries: 2 });
    const m = await models('openai');
    const responses = Math.round((900 - 100) * m['gpt-5'].input + 100 * m['gpt-5'].cacheRead + 400 * m['gpt-5'].output);
    const r = await client.responses.create({ model: 'gpt-5', input: 'hello', max_output_tokens: 2000 });
    expect(r.usage?.output_tokens).toBe(400);
    expect(h.upstream.requests.at(-1)!.headers.authorization).toBe(`Bearer ${keys.openai}`);
    expect(await lastRecord()).toMatchObject({ integration: 'openai', outcome: 'ok', costUsd: responses / 1e6 });
    const streamed = await client.responses.create({ model: 'gpt-5', input: 'hello', max_output_tokens: 2000, stream: true });
    for await (const _ of streamed) { /* read to the end */ }
    expect(await lastRecord()).toMatchObject({ integration: 'openai', outcome: 'ok', costUsd: responses / 1e6 });

    const chat = Math.round((1200 - 200) * m['gpt-4o-mini'].input + 200 * m['gpt-4o-mini'].cacheRead + 300 * m['gpt-4o-mini'].output);
    await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], max_completion_tokens: 500 });
    expect(await lastRecord()).toMatchObject({ integration: 'openai', outcome: 'ok', costUsd: chat / 1e6 });
    const chunks = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], max_completion_tokens: 500, stream: true, stream_options: { include_usage: true } });
    for await (const _ of chunks) { /* read to the end */ }
    expect(await lastRecord()).toMatchObject({ integration: 'openai', outcome: 'ok', costUsd: chat / 1e6 });
  });

  it('a request with no output limit is sent with the integration\'s default, so what it reserves is bounded', async () => {
    const client = new OpenAI({ ...sdkOptions('openai', '/v1'), maxRetries: 0 });
    await client.responses.create({ model: 'gpt-5', input: 'hello' });
    expect(JSON.parse(h.upstream.requests.at(-1)!.body.toString())).toEqual({ model: 'gpt-5', input: 'hello', max_output_tokens: 65536 });
    expect(await lastRecord()).toMatchObject({ integration: 'openai', outcome: 'ok' });
  });

  it('OpenRouter: settled at the cost it reports', async () => {
    const client = new OpenAI({ ...sdkOptions('openrouter', '/v1'), maxRetries: 2 });
    await client.chat.completions.create({ model: 'anthropic/claude-sonnet-4.5', messages: [{ role: 'user', content: 'hi' }], max_tokens: 500 });
    expect(await lastRecord()).toMatchObject({ integration: 'openrouter', outcome: 'ok', costUsd: 0.004321 });
  });

  it('Gemini, model in the path, generateContent and streamGenerateContent?alt=sse: thinking billed as output', async () => {
    const p = (await models('gemini'))['gemini-2.5-flash'];
    const expected = Math.round(800 * p.input + (120 + 80) * p.output);
    const body = JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }], generationConfig: { maxOutputTokens: 1000 } });
    for (const path of ['/v1beta/models/gemini-2.5-flash:generateContent', '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse']) {
      const r = await fetch(`http://tollgate/v1/call/gemini${path}`, { method: 'POST', body, dispatcher: agent, headers: { 'content-type': 'application/json', 'tollgate-purpose': PURPOSE, 'x-goog-api-key': 'placeholder' } });
      expect(r.status).toBe(200);
      await r.text();
      expect(h.upstream.requests.at(-1)!.headers['x-goog-api-key']).toBe(keys.gemini);
      expect(await lastRecord()).toMatchObject({ integration: 'gemini', outcome: 'ok', costUsd: expected / 1e6 });
    }
  });

  it('takes model-sized bodies: a 2 MB request passes the 1 MiB default, up to the template\'s limit', async () => {
    const client = new Anthropic({ ...sdkOptions('anthropic'), maxRetries: 0 });
    const big = 'x'.repeat(2 * 1024 * 1024);
    await client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 100, messages: [{ role: 'user', content: big }] });
    expect(h.upstream.requests.at(-1)!.body.length).toBeGreaterThan(2 * 1024 * 1024);
    const tooBig = await client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'x'.repeat(33 * 1024 * 1024) }] }).catch((e: unknown) => e);
    expect((tooBig as { status?: number }).status).toBe(413);
  });

  it('reserves by the context window a request may use: Anthropic\'s 1M-token beta raises it', async () => {
    const client = new Anthropic({ ...sdkOptions('anthropic'), maxRetries: 0 });
    const p = (await models('anthropic'))['claude-sonnet-4-5'];
    const reservedWhile = async (headers: Record<string, string>) => {
      provider.delayMs = 600;
      const call = client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'x'.repeat(2 * 1024 * 1024) }] }, { headers });
      await sleep(300);
      const reserved = (await h.control('GET', '/v1/spend')).json.integrations.find((i: { name: string }) => i.name === 'anthropic').reservedUsd;
      await call;
      provider.delayMs = 0;
      return Math.round(reserved * 1e6);
    };
    // Without the flag, Anthropic refuses more than the model's 200k window, unbilled: that bounds the input.
    expect(await reservedWhile({})).toBe(Math.round(200_000 * p.input + 100 * p.output));
    // With it, a 2 MB request may be billed a million input tokens, at the long-context rates.
    const tier = p.tiers[0];
    expect(await reservedWhile({ 'anthropic-beta': 'context-1m-2025-08-07' })).toBe(Math.round(1_000_000 * tier.input + 100 * tier.output));
  });

  it('free routes reserve and cost nothing', async () => {
    const client = new Anthropic({ ...sdkOptions('anthropic'), maxRetries: 0 });
    provider.delayMs = 0;
    h.upstream.setHandler(json(200, { input_tokens: 12 }));
    try {
      const counted = await client.messages.countTokens({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'hello' }] });
      expect(counted.input_tokens).toBe(12);
      expect(await lastRecord()).toMatchObject({ integration: 'anthropic', path: '/v1/messages/count_tokens', outcome: 'ok', costUsd: 0 });
    } finally {
      h.upstream.setHandler(provider.handler);
    }
  });

  it('a model the integration does not list: model_not_allowed, one attempt, with the list', async () => {
    const client = new Anthropic(sdkOptions('anthropic'));
    const before = await records('anthropic');
    const sent = h.upstream.requests.length;
    const err = await client.messages.create({ model: 'claude-3-opus-latest', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect((err as InstanceType<typeof Anthropic.APIError>).status).toBe(403);
    expect(String((err as Error).message)).toMatch(/It allows: claude-opus-5-5, .*claude-sonnet-4-5/);
    expect(await records('anthropic')).toBe(before + 1);
    expect(h.upstream.requests.length).toBe(sent);
  });

  it('a refusal costs exactly one attempt, with either SDK at its default retries', async () => {
    await h.control('POST', '/v1/integrations/openai/suspend', { reason: 'testing retries' });
    try {
      const before = await records('openai');
      const err = await new OpenAI(sdkOptions('openai', '/v1')).responses.create({ model: 'gpt-5', input: 'x', max_output_tokens: 10 }).catch((e: unknown) => e);
      expect((err as { status?: number }).status).toBe(503);
      expect(await records('openai')).toBe(before + 1);
    } finally {
      await h.control('POST', '/v1/integrations/openai/resume');
    }
    const before = await records('anthropic');
    const unbounded = await new Anthropic(sdkOptions('anthropic')).messages.create({ model: 'claude-sonnet-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'x' }], tools: [{ type: 'web_search_20250305', name: 'web_search' }] }).catch((e: unknown) => e);
    expect((unbounded as { status?: number }).status).toBe(400);
    expect((unbounded as Error).message).toContain('max_uses');
    expect(await records('anthropic')).toBe(before + 1);
  });

  it('100 concurrent streams in a session whose budget admits exactly N: N pass, the rest are refused once', async () => {
    const request = { model: 'claude-haiku-4-5', max_tokens: 100, messages: [{ role: 'user' as const, content: 'count to three' }] };
    // Every stream of this request reserves the same: its bound, from the bytes the SDK sends.
    const client0 = new Anthropic(sdkOptions('anthropic'));
    await client0.messages.stream(request).finalMessage();
    const sentBody = h.upstream.requests.at(-1)!.body;
    const price = (await models('anthropic'))['claude-haiku-4-5'];
    const bound = requestBound('anthropic', JSON.parse(sentBody.toString()), sentBody.length, price, { contextWindow: price.contextWindow });
    if (!bound.ok) throw new Error(bound.reason);
    const reservation = bound.cost;
    provider.delayMs = 1500;
    const N = 7;
    const budgeted = await h.control('POST', '/v1/sessions', { purpose: 'budget test', budgetUsd: (N * reservation + reservation / 2) / 1e6 });
    expect(budgeted.json.socket, budgeted.text).toBeTruthy();
    const dispatcher = new Agent({ connect: { socketPath: budgeted.json.socket }, connections: 128 });
    const client = new Anthropic({ ...sdkOptions('anthropic'), fetchOptions: { dispatcher } as never });
    const sent = h.upstream.requests.length;
    const outcomes = await Promise.all(Array.from({ length: 100 }, () => client.messages.stream(request).finalMessage().then(() => 'ok', (e: unknown) => e)));
    provider.delayMs = 0;
    await dispatcher.close();
    expect(outcomes.filter((o) => o === 'ok')).toHaveLength(N);
    const refused = outcomes.filter((o) => o !== 'ok') as InstanceType<typeof Anthropic.APIError>[];
    expect(refused.every((e) => e.status === 402 && e.headers?.get('tollgate-error') === 'budget_exhausted' && e.headers?.get('x-should-retry') === 'false')).toBe(true);
    expect(h.upstream.requests.length - sent).toBe(N);
    // One attempt each: 100 records in the session, no retries.
    const audit = await h.control('GET', `/v1/audit?session=${budgeted.json.id}&limit=1000`);
    expect(audit.json.records).toHaveLength(100);
  }, 60_000);

  it('a tiny request whose provider reports a huge usage: recorded as reported, the integration suspended, a critical alert', async () => {
    provider.huge = true;
    try {
      const client = new Anthropic(sdkOptions('anthropic'));
      await client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
    } finally {
      provider.huge = false;
    }
    const record = await lastRecord();
    const p = (await models('anthropic'))['claude-sonnet-4-5'];
    // 50 M input tokens: the long-context tier's rates apply.
    const tier = p.tiers[0];
    expect(record).toMatchObject({ integration: 'anthropic', outcome: 'ok', costUsd: Math.round(50_000_000 * tier.input + 500 * tier.cacheRead + 100 * tier.cacheWrite + 200 * tier.output) / 1e6 });
    const integration = (await h.control('GET', '/v1/integrations/anthropic')).json.integration;
    expect(integration.status).toBe('suspended');
    const alerts = (await h.control('GET', '/v1/alerts?limit=50')).json.alerts;
    expect(alerts).toContainEqual(expect.objectContaining({ tier: 'critical', kind: 'cost_over_reservation', integration: 'anthropic' }));
  });
});

