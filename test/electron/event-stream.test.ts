import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlClient } from '../../daemon/client/control-client.ts';
import type { DaemonEvent } from '../../daemon/events.ts';
import { followEvents, parseEvents } from '../../electron/event-stream.ts';
import { waitFor } from '../helpers/daemon-process.ts';
import { Harness } from '../helpers/harness.ts';

const draft = (n: number, tier: 'warning' | 'critical' = 'warning') => ({
  tier, kind: 'test', dedupeKey: `test:${n}`, integration: null, title: `Test alert ${n}`, message: 'Nothing to do.',
});

describe('parsing the event stream', () => {
  it('reads whole events, skips comments, and keeps an unfinished one for the next chunk', () => {
    const { events, rest } = parseEvents(': connected\n\nevent: spend\ndata: {"type":"spend","integration":"exa","spentUsd":1,"capUsd":5}\n\n: heartbeat\n\nevent: proposal\ndata: {"type":"pro');
    expect(events).toEqual([{ type: 'spend', integration: 'exa', spentUsd: 1, capUsd: 5 }]);
    expect(parseEvents(`${rest}posal","id":"p","status":"pending"}\n\n`).events).toEqual([{ type: 'proposal', id: 'p', status: 'pending' }]);
  });
});

describe('following a real daemon', () => {
  let h: Harness;
  let client: ControlClient;
  beforeAll(async () => {
    h = await Harness.start();
    client = new ControlClient(h.paths.controlSocket, 'tray');
  });
  afterAll(async () => {
    await client?.close();
    await h?.close();
  });

  it('gets its events as a tray (so the daemon stays quiet), and reconnects when it restarts', async () => {
    const events: DaemonEvent[] = [];
    const connections: boolean[] = [];
    const stream = followEvents({ client, onEvent: (e) => events.push(e), onConnection: (c) => connections.push(c), backoff: { initialMs: 50, maxMs: 200 } });
    try {
      await waitFor(() => connections.length === 1, 'the stream to open');
      h.daemon.alerts.raise(draft(1));
      await waitFor(() => events.length === 1, 'the alert');
      expect(events[0]).toMatchObject({ type: 'alert', alert: { title: 'Test alert 1', tier: 'warning' } });
      // While a tray listens, native notifications are the tray's job.
      expect(h.notifications).toEqual([]);

      await h.restartDaemon();
      await waitFor(() => connections.length === 3, 'a reconnect');
      expect(connections).toEqual([true, false, true]);
      h.daemon.alerts.raise(draft(2, 'critical'));
      await waitFor(() => events.length === 2, 'an alert from the new daemon');
      expect(h.notifications).toEqual([]);
    } finally {
      stream.stop();
    }
    // Nobody listens: the daemon raises notifications itself again.
    await waitFor(() => !h.daemon.bus.trayConnected, 'the daemon to see the tray go');
    h.daemon.alerts.raise(draft(3));
    expect(h.notifications).toMatchObject([{ title: 'Test alert 3' }]);
  });

  it('keeps trying while no daemon answers', async () => {
    const dead = new ControlClient(`${h.paths.runDir}/nobody.sock`, 'tray');
    let attempts = 0;
    const counting = { events: (opts: { tray: boolean; signal?: AbortSignal }) => { attempts++; return dead.events(opts); } };
    const connections: boolean[] = [];
    const stream = followEvents({ client: counting, onEvent: () => {}, onConnection: (c) => connections.push(c), backoff: { initialMs: 10, maxMs: 40 } });
    await waitFor(() => attempts >= 4, 'several attempts');
    stream.stop();
    await dead.close();
    expect(connections).toEqual([]);
  });
});
