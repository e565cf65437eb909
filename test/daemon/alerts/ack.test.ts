// Acknowledging in bulk, through a real daemon: POST /v1/alerts/ack over the control socket, and
// `tollgate alerts ack` with --all, --tier and ids as listed ("#4" as well as 4, several at once).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertDraft } from '../../../daemon/alerts/detectors.ts';
import { runCli } from '../../helpers/daemon-process.ts';
import { Harness } from '../../helpers/harness.ts';

interface AlertRow { id: number; tier: string; dedupeKey: string; ackedAt: number | null }

describe('acknowledging alerts in bulk', () => {
  let h: Harness;
  const ids: Record<string, number> = {};
  const cli = (...args: string[]) => runCli(['alerts', 'ack', ...args], { home: h.home, service: h.service });
  const open = async () => ((await h.control('GET', '/v1/alerts?open=true')).json.alerts as AlertRow[]).map((a) => a.dedupeKey).sort();
  const raise = (key: string, tier: AlertDraft['tier']) => {
    h.daemon.alerts.raise({ tier, kind: 'test', dedupeKey: key, integration: null, title: `Alert ${key}`, message: 'm' });
    h.clock.advance(1_000);
  };

  beforeAll(async () => {
    h = await Harness.start();
    for (const [key, tier] of [['i1', 'info'], ['i2', 'info'], ['w1', 'warning'], ['w2', 'warning'], ['c1', 'critical'], ['c2', 'critical'], ['c3', 'critical']] as const) raise(key, tier);
    for (const a of (await h.control('GET', '/v1/alerts')).json.alerts as AlertRow[]) ids[a.dedupeKey] = a.id;
  });
  afterAll(() => h?.close());

  it('the control route takes a tier, ids or all, and says how many it acknowledged, in one event', async () => {
    const acked: number[][] = [];
    const unsubscribe = h.daemon.bus.subscribe((e) => void (e.type === 'alert_acked' && acked.push([...e.ids].sort((a, b) => a - b))), { tray: false });
    expect((await h.control('POST', '/v1/alerts/ack', { tier: 'warning' })).json).toEqual({ acknowledged: 2 });
    expect((await h.control('POST', '/v1/alerts/ack', { tier: 'warning' })).json).toEqual({ acknowledged: 0 });
    unsubscribe();
    // The window and the tray redraw once for the two, not once each; nothing for none.
    expect(acked).toEqual([[ids.w1!, ids.w2!].sort((a, b) => a - b)]);
    expect(await open()).toEqual(['c1', 'c2', 'c3', 'i1', 'i2']);

    const unknown = await h.control('POST', '/v1/alerts/ack', { ids: [ids.c1, 999_999] });
    expect(unknown.status).toBe(404);
    expect(unknown.json.error).toMatchObject({ code: 'not_found', message: 'No alert #999999; nothing was acknowledged.' });
    expect(await open()).toContain('c1');

    for (const body of [undefined, {}, { all: false }, { tier: 'loud' }, { ids: [] }, { all: true, tier: 'info' }]) {
      const r = await h.control('POST', '/v1/alerts/ack', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.json.error.code).toBe('invalid');
    }
    expect((await h.control('POST', '/v1/alerts/ack')).json.error.message).toMatch(/say which alerts: \{"all":true\}, \{"tier":"info"\|"warning"\|"critical"\} or \{"ids":\[…\]\}/);
    expect(await open()).toEqual(['c1', 'c2', 'c3', 'i1', 'i2']);
  });

  it('tollgate alerts ack: ids as listed (#4 or 4, several), --tier, --all', async () => {
    expect(await cli(`#${ids.c1}`)).toMatchObject({ code: 0, stdout: `acknowledged alert ${ids.c1}: Alert c1\n` });
    expect(await cli(`#${ids.c1}`, String(ids.c2), `#${ids.c2}`)).toMatchObject({ code: 0, stdout: 'acknowledged 1 of 2 alerts (1 already acknowledged)\n' });
    expect(await cli('--tier', 'critical')).toMatchObject({ code: 0, stdout: 'acknowledged 1 open critical alert\n' });
    expect(await open()).toEqual(['i1', 'i2']);
    expect(await cli('--all')).toMatchObject({ code: 0, stdout: 'acknowledged 2 open alerts\n' });
    expect(await cli('--all')).toMatchObject({ code: 0, stdout: 'No open alerts to acknowledge.\n' });
  });

  it('tollgate alerts ack refuses what names no alert, or names alerts two ways at once', async () => {
    // An unquoted #4 is a comment to the shell: the command then gets no id at all.
    expect(await cli()).toMatchObject({ code: 1, stderr: 'tollgate: say which alerts to acknowledge: their ids as listed (4 or "#4"), --all, or --tier <tier>\n' });
    expect(await cli('--all', '4')).toMatchObject({ code: 1, stderr: expect.stringContaining('say which alerts') });
    expect(await cli('four')).toMatchObject({ code: 1, stderr: 'tollgate: "four" is not an alert id (a number such as 4 or #4, as "tollgate alerts" lists them)\n' });
    expect(await cli('4', '999999')).toMatchObject({ code: 1, stderr: 'tollgate: No alert #999999; nothing was acknowledged.\n' });
  });
});
