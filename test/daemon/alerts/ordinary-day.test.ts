// SPEC rule 6, "a normal day of use raises no warning at all", through a real daemon with an
// injected clock: integrations added from templates (Brave Search, Exa, Anthropic), about three
// hundred calls across their routes within the operator's active hours at a working pace, two
// proposals in the same hour (one approved, one rejected), a cap reaching 65 %. Not one warning,
// not one critical, not one notification; only the information an operator may want to read.
// And the days that are not ordinary still alert: a loop, a burst, off-hours use, a cap at 80 %
// and at 100 %, a rejected key.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness, type Reply, TestClock } from '../../helpers/harness.ts';
import { mulberry32 } from '../../helpers/prng.ts';
import { type Handler, json } from '../../helpers/upstream.ts';
import { anthropicMessage } from '../pricing/streams.ts';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
// Tuesday 10 November 2026, 09:00 in Berlin (UTC+1).
const MORNING = Date.UTC(2026, 10, 10, 8, 0);
const berlin = (hh: number, mm: number): number => MORNING + (hh - 9) * HOUR + mm * MINUTE;

interface AlertRow { id: number; tier: string; kind: string; dedupeKey: string; integration: string | null; title: string; count: number; ackedAt: number | null }

/** The provider side of all three: Brave's search, Exa's reported costs, Anthropic's usage. */
class Providers {
  /** Brave answers 401 (the key was revoked at the provider). */
  revoked = false;
  handler: Handler = (req, res, raw) => {
    const url = req.url ?? '';
    const body = raw.length ? JSON.parse(raw.toString()) : {};
    const answer = (status: number, obj: unknown) => json(status, obj)(req, res, raw);
    if (url.startsWith('/res/v1/')) return this.revoked ? answer(401, { type: 'ErrorResponse', error: { code: 'SUBSCRIPTION_TOKEN_INVALID' } }) : answer(200, { type: 'search', web: { results: [] } });
    if (url === '/search') return answer(200, { results: [], costDollars: { total: 0.007 } });
    if (url === '/contents') return answer(200, { results: [], costDollars: { total: 0.001 * body.urls.length } });
    if (url === '/answer') return answer(200, { answer: 'It depends.', citations: [], costDollars: { total: 0.005 } });
    if (url === '/v1/messages/count_tokens') return answer(200, { input_tokens: 812 });
    if (url === '/v1/messages') return answer(200, anthropicMessage({ input_tokens: 1800, output_tokens: 350 }, body.model));
    return answer(404, { error: `no ${url}` });
  };
}

/** A daemon as an operator in Berlin sets it up in the morning: active hours, three integrations from templates. */
async function morning(providers: Providers, caps: { brave?: number } = {}): Promise<Harness> {
  const h = await Harness.start({ clock: new TestClock(MORNING), handler: providers.handler });
  const settings = await h.control('PATCH', '/v1/settings', { timeZone: 'Europe/Berlin', activeHours: { start: '08:30', end: '18:30', days: [1, 2, 3, 4, 5] } });
  expect(settings.status, settings.text).toBe(200);
  const add = async (template: string, monthlyCapUsd: number) => {
    const created = await h.control('POST', '/v1/integrations', {
      template, name: template, purpose: `${template} for the research assistant`, account: 'assistant@example.org', baseUrl: h.upstream.url, monthlyCapUsd,
    });
    expect(created.status, created.text).toBe(200);
    expect((await h.control('PUT', `/v1/integrations/${template}/key`, { key: `tg-${template}-key-${'k'.repeat(24)}` })).status).toBe(200);
  };
  await add('brave-search', caps.brave ?? 1);
  await add('exa', 5);
  await add('anthropic', 10);
  return h;
}

/** The assistant's calls, as it makes them: a purpose each, JSON bodies where the API takes them. */
const assistant = (h: Harness) => ({
  brave: (route: 'web' | 'news', q: string, purpose: string) =>
    h.call('brave-search', `/res/v1/${route}/search?q=${encodeURIComponent(q)}&count=10`, { headers: { 'tollgate-purpose': purpose } }),
  exa: (route: 'search' | 'contents' | 'answer', body: object, purpose: string) =>
    h.call('exa', `/${route}`, { method: 'POST', headers: { 'tollgate-purpose': purpose, 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  model: (route: 'messages' | 'count', text: string, purpose: string) =>
    h.call('anthropic', route === 'messages' ? '/v1/messages' : '/v1/messages/count_tokens', {
      method: 'POST',
      headers: { 'tollgate-purpose': purpose, 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'claude-sonnet-4-5', ...(route === 'messages' ? { max_tokens: 1024 } : {}), messages: [{ role: 'user', content: text }] }),
    }),
});

const alertsOf = async (h: Harness): Promise<AlertRow[]> => (await h.control('GET', '/v1/alerts?limit=1000')).json.alerts;
const loud = (alerts: AlertRow[]) => alerts.filter((a) => a.tier !== 'info').map((a) => `${a.tier} ${a.kind}: ${a.title}`).sort();

const TOPICS = [
  'postgres logical replication', 'rust async cancellation', 'webauthn passkeys on linux', 'sqlite wal checkpointing',
  'kubernetes pod disruption budgets', 'zstd dictionary compression', 'http/3 connection migration', 'electron context isolation',
  'oauth device authorization flow', 'certificate transparency logs', 'react server components', 'btrfs snapshot send receive',
  'opentelemetry tail sampling', 'git partial clone', 'systemd socket activation', 'unicode normalization forms',
  'raft leader election', 'wasm component model', 'bloom filter sizing', 'ntp leap second smearing',
  'content security policy nonces', 'ipv6 privacy extensions', 'jemalloc fragmentation', 'cgroups v2 memory pressure',
  'cuda unified memory', 'sqlite fts5 ranking',
];
const ASPECTS = [
  'tutorial', 'best practices', 'benchmark 2026', 'known issues', 'compared with alternatives', 'in production',
  'configuration example', 'troubleshooting', 'release notes', 'security considerations', 'performance tuning', 'internals',
];

describe('an ordinary working day', () => {
  const providers = new Providers();
  const random = mulberry32(20261110);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const between = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo));
  let h: Harness;
  const replies: { what: string; at: number; reply: Reply }[] = [];
  const proposals: { id: string; at: number }[] = [];

  beforeAll(async () => {
    h = await morning(providers);
    const a = assistant(h);
    const record = async (what: string, call: Promise<Reply>) => replies.push({ what, at: h.clock.now(), reply: await call });
    // Twelve tasks in the morning, fourteen after lunch; each a topic researched for a while.
    const starts = [
      ...TOPICS.slice(0, 12).map((_, i) => berlin(9, 5) + Math.round((i * 200 * MINUTE) / 12)),
      ...TOPICS.slice(12).map((_, i) => berlin(13, 30) + Math.round((i * 255 * MINUTE) / 14)),
    ];
    for (const [task, topic] of TOPICS.entries()) {
      h.clock.at = Math.max(h.clock.at, starts[task]! + between(0, 3 * MINUTE));
      const purpose = `research for the note on ${topic}`;
      const pause = () => h.clock.advance(between(8 * SECOND, 75 * SECOND));
      const aspects = [...ASPECTS].sort(() => random() - 0.5).slice(0, 4);
      const queries = aspects.map((aspect) => `${topic} ${aspect}`);
      // Now and then the assistant runs its first search again, as people do.
      if (random() < 0.2) queries[3] = queries[0]!;
      for (const q of queries) {
        await record('brave web', a.brave('web', q, purpose));
        pause();
      }
      await record('brave news', a.brave('news', `${topic} news`, purpose));
      pause();
      await record('exa search', a.exa('search', { query: `${topic} ${pick(ASPECTS)}`, numResults: between(5, 11) }, purpose));
      pause();
      const urls = Array.from({ length: between(1, 4) }, (_, i) => `https://example.org/${topic.replaceAll(' ', '-')}/${i}`);
      await record('exa contents', a.exa('contents', { urls, text: true }, purpose));
      pause();
      if (task % 2 === 0) {
        await record('exa answer', a.exa('answer', { query: `What should I know about ${topic}?` }, purpose));
        pause();
      }
      if (task % 3 === 0) {
        await record('model count', a.model('count', `Summarise what we found on ${topic}.`, purpose));
        pause();
      }
      for (let m = between(2, 5); m > 0; m--) {
        await record('model', a.model('messages', `Draft ${m} of the section on ${topic}: ${queries[m % 4]}`, purpose));
        pause();
      }
      if (task === 3) {
        // Once, the assistant forgets its purpose: it is told and does better (no warning for that).
        await record('forgot purpose', h.agent('GET', `/v1/call/brave-search/res/v1/web/search?q=${encodeURIComponent(topic)}`));
      }
      if (task === 7 || task === 8) {
        const body = task === 7
          ? { kind: 'raise_cap', integration: 'exa', monthlyCapUsd: 10, justification: 'The literature review needs more page contents this month.' }
          : { kind: 'new_integration', name: 'tavily', template: 'tavily', purpose: 'Extracts of long articles', justification: 'Exa contents miss some sites.' };
        const r = await h.agent('POST', '/v1/proposals', { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
        expect(r.status, r.text).toBe(202);
        proposals.push({ id: r.json.id, at: h.clock.now() });
      }
      // The operator decides after lunch and in the afternoon.
      if (task === 14) expect((await h.control('POST', `/v1/proposals/${proposals[0]!.id}/approve`, {})).status).toBe(200);
      if (task === 20) expect((await h.control('POST', `/v1/proposals/${proposals[1]!.id}/reject`, { reason: 'Not this month.' })).status).toBe(200);
    }
  });
  afterAll(() => h?.close());

  it('is an ordinary day: a few hundred calls, all answered, within active hours, at a working pace', () => {
    expect(replies.length).toBeGreaterThan(250);
    const refused = replies.filter((r) => r.reply.status !== 200);
    expect(refused.map((r) => `${r.what} ${r.reply.headers['tollgate-error']}`)).toEqual(['forgot purpose purpose_required']);
    const times = replies.map((r) => r.at);
    expect(Math.min(...times)).toBeGreaterThanOrEqual(berlin(9, 0));
    expect(Math.max(...times)).toBeLessThan(berlin(18, 30));
    // No minute holds more than a handful of calls.
    const perMinute = new Map<number, number>();
    for (const t of times) perMinute.set(Math.floor(t / MINUTE), (perMinute.get(Math.floor(t / MINUTE)) ?? 0) + 1);
    expect(Math.max(...perMinute.values())).toBeLessThanOrEqual(8);
    // Every route of the three was used, and the queries vary.
    expect(new Set(replies.map((r) => r.what))).toEqual(new Set(['brave web', 'brave news', 'exa search', 'exa contents', 'exa answer', 'model count', 'model', 'forgot purpose']));
    // Both proposals came in the same hour, where one alert used to stand for both.
    expect(new Date(proposals[0]!.at).toISOString().slice(0, 13)).toBe(new Date(proposals[1]!.at).toISOString().slice(0, 13));
  });

  it('brings Brave Search to 65 % of its cap', async () => {
    const spend = (await h.control('GET', '/v1/spend')).json.integrations as { name: string; spentUsd: number; capUsd: number }[];
    expect(spend.find((i) => i.name === 'brave-search')).toMatchObject({ spentUsd: 0.65, capUsd: 1 });
  });

  it('raises no warning and no critical alert, and pops up nothing', async () => {
    expect(loud(await alertsOf(h))).toEqual([]);
    expect(h.notifications).toEqual([]);
  });

  it('lists only information: each route\'s first use, each proposal on its own (settled when decided), the 50 % milestone', async () => {
    const info = (await alertsOf(h)).map((a) => `${a.kind}: ${a.title}${a.ackedAt === null ? '' : ' (acknowledged)'}`).sort();
    expect(info).toEqual([
      'new_route: First use of GET /res/v1/news/search on brave-search',
      'new_route: First use of GET /res/v1/web/search on brave-search',
      'new_route: First use of POST /answer on exa',
      'new_route: First use of POST /contents on exa',
      'new_route: First use of POST /search on exa',
      'new_route: First use of POST /v1/messages on anthropic',
      'new_route: First use of POST /v1/messages/count_tokens on anthropic',
      'proposal: Proposal: a new integration, tavily (acknowledged)',
      'proposal: Proposal: raise the cap of exa to $10.00 (acknowledged)',
      'spend: 50 % of the spend cap: brave-search',
    ]);
  });
});

describe('days that are not ordinary still alert', () => {
  const providers = new Providers();
  let h: Harness;
  let a: ReturnType<typeof assistant>;
  const purpose = 'research for the weekly report';

  beforeAll(async () => {
    h = await morning(providers, { brave: 0.05 });
    a = assistant(h);
  });
  afterAll(() => h?.close());

  /** What pops up and what is listed, from here on. */
  async function watch(act: () => Promise<void>): Promise<{ alerts: string[]; notifications: string[] }> {
    const before = new Set((await alertsOf(h)).map((x) => `${x.id}:${x.count}`));
    const notified = h.notifications.length;
    await act();
    return {
      alerts: loud((await alertsOf(h)).filter((x) => !before.has(`${x.id}:${x.count}`))),
      notifications: h.notifications.slice(notified).map((n) => `${n.tier}: ${n.title}`),
    };
  }

  it('a loop: the same request five times in a few minutes is a warning', async () => {
    h.clock.at = berlin(9, 30);
    const seen = await watch(async () => {
      for (let i = 0; i < 5; i++) {
        expect((await a.exa('search', { query: 'weekly report template', numResults: 10 }, purpose)).status).toBe(200);
        h.clock.advance(30 * SECOND);
      }
    });
    expect(seen.alerts).toEqual(['warning loop: Repeated request to exa']);
    expect(seen.notifications).toEqual(['warning: Repeated request to exa']);
  });

  it('a burst: forty calls in a minute after an hour at one call in two minutes is a warning', async () => {
    h.clock.at = berlin(10, 0);
    for (let i = 0; i < 30; i++) {
      expect((await a.model('messages', `Paragraph ${i} of the report`, purpose)).status).toBe(200);
      h.clock.advance(2 * MINUTE);
    }
    const seen = await watch(async () => {
      for (let i = 0; i < 40; i++) {
        expect((await a.model('messages', `Variant ${i} of the summary`, purpose)).status).toBe(200);
        h.clock.advance(1 * SECOND);
      }
    });
    expect(seen.alerts).toEqual(['warning burst: Burst of calls to anthropic']);
    expect(seen.notifications).toEqual(['warning: Burst of calls to anthropic']);
  });

  it('use outside active hours is a warning', async () => {
    h.clock.at = berlin(23, 40);
    const seen = await watch(async () => {
      expect((await a.exa('answer', { query: 'who won the match tonight?' }, purpose)).status).toBe(200);
    });
    expect(seen.alerts).toEqual(['warning off_hours: exa used outside active hours']);
    expect(seen.notifications).toEqual(['warning: exa used outside active hours']);
  });

  it('a cap at 80 % is a warning; reaching it is critical', async () => {
    h.clock.at = berlin(24 + 9, 15);
    const search = (i: number) => a.brave('web', `quarterly figures ${i}`, purpose);
    const at80 = await watch(async () => {
      for (let i = 0; i < 8; i++) expect((await search(i)).status).toBe(200);
    });
    expect(at80.alerts).toEqual(['warning spend: 80 % of the spend cap: brave-search']);
    const at100 = await watch(async () => {
      for (let i = 8; i < 10; i++) expect((await search(i)).status).toBe(200);
      expect((await search(10)).headers['tollgate-error']).toBe('budget_exhausted');
    });
    expect(at100.alerts).toEqual(['critical spend: Spend cap reached: brave-search']);
    expect(at100.notifications).toEqual(['critical: Spend cap reached: brave-search']);
  });

  it('a key the provider rejects is critical, and the integration is suspended', async () => {
    h.clock.at = berlin(24 + 11, 0);
    expect((await h.control('PATCH', '/v1/integrations/brave-search', { monthlyCapUsd: 5 })).status).toBe(200);
    providers.revoked = true;
    const seen = await watch(async () => {
      expect((await a.brave('web', 'exchange rates', purpose)).status).toBe(401);
    });
    expect(seen.alerts).toEqual(['critical key_rejected: Key rejected: brave-search']);
    expect(seen.notifications).toEqual(['critical: Key rejected: brave-search']);
    expect((await h.control('GET', '/v1/integrations/brave-search')).json.integration.status).toBe('suspended');
  });
});
