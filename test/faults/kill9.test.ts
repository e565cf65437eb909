// kill -9 of the daemon process with 20 calls of mixed kinds in flight (answered, hanging,
// streaming, trickling; two integrations), then a restart: every call that reached the upstream
// is audited, nothing stays reserved, spend equals the audited costs, caps hold, calls work again.
import { afterEach, describe, expect, it } from 'vitest';
import { Testbed, waitFor } from '../helpers/daemon-process.ts';
import { type Handler, hang, json, slowBody, sse } from '../helpers/upstream.ts';
import { expectConsistent, settled } from './invariants.ts';

const SEARCH = '/res/v1/web/search';
const CHAT = '/v1/chat';

const mixed: Handler = (req, res, body) => {
  const url = req.url ?? '';
  if (url.includes('kind=hang')) return hang()(req, res, body);
  if (url.includes('kind=slow')) return slowBody(Array.from({ length: 50 }, () => '{"x":1}'), 200, { contentType: 'application/json' })(req, res, body);
  if (url.startsWith(CHAT)) return sse(Array.from({ length: 50 }, (_, i) => `{"delta":"${i}"}`), { delayMs: 200 })(req, res, body);
  return json(200, { results: [] })(req, res, body);
};

describe('kill -9 with calls of mixed kinds in flight', () => {
  let t: Testbed;
  afterEach(async () => t?.close());

  it('after a restart: every sent call audited, nothing reserved, spend = audited costs, caps hold', async () => {
    t = await Testbed.create({ handler: mixed });
    await t.start();
    const SEARCH_CAP = 0.03;
    const CHAT_CAP = 0.1;
    await t.addIntegration({ pricing: { perRequestUsd: 0.001, maxPerRequestUsd: 0.002 }, monthlyCapUsd: SEARCH_CAP });
    await t.addIntegration({
      name: 'llm',
      routes: [{ method: 'POST', path: CHAT }],
      pricing: { usage: [{ pointer: '/usage/total_tokens', usdPerUnit: 0.000001 }], maxPerRequestUsd: 0.01 },
      monthlyCapUsd: CHAT_CAP,
    });
    const kinds = ['fast', 'hang', 'slow'];
    const calls = [
      ...Array.from({ length: 12 }, (_, i) => settled(t.call('search', `${SEARCH}?kind=${kinds[i % 3]}&i=${i}`))),
      ...Array.from({ length: 8 }, (_, i) => settled(t.call('llm', `${CHAT}?kind=stream&i=${i}`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt: `p${i}` }),
      }))),
    ];
    await waitFor(() => t.upstream.requests.length === 20, 'the 20 calls to reach the upstream');
    await new Promise((r) => setTimeout(r, 100));
    expect(await t.kill9()).toEqual({ code: null, signal: 'SIGKILL' });
    const replies = await Promise.all(calls);
    // The fast ones were answered before the crash; the others were cut.
    expect(replies.filter((r) => r !== 'cut' && r.status === 200).length).toBeGreaterThanOrEqual(4);

    t.upstream.setHandler(json(200, { results: [] }));
    await t.start();
    expect((await t.control('GET', '/v1/health')).status).toBe(200);
    const search = await expectConsistent(t, 'search', SEARCH_CAP, SEARCH);
    const llm = await expectConsistent(t, 'llm', CHAT_CAP, CHAT);
    expect(search).toHaveLength(12);
    expect(llm).toHaveLength(8);
    expect(search.filter((r) => r.outcome === 'unknown' && r.cost === 2000)).toHaveLength(8);
    expect(search.filter((r) => r.outcome === 'ok' && r.cost === 1000)).toHaveLength(4);
    expect(llm.filter((r) => r.outcome === 'unknown' && r.cost === 10_000)).toHaveLength(8);

    // And it works again.
    expect((await t.call('search', `${SEARCH}?kind=fast&after=1`)).status).toBe(200);
    await expectConsistent(t, 'search', SEARCH_CAP, SEARCH);
  });
});
