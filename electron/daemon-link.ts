// The daemon as the window sees it: whether it answers, starting it, and what its events mean
// to the window. No Electron here: the browser test bridge uses it too.
import type { ControlClient } from '../daemon/client/control-client.ts';
import type { DaemonEvent } from '../daemon/events.ts';
import type { DaemonState, MainEvent } from './ipc/api.ts';
import type { HandlerDeps } from './ipc/handlers.ts';

/** What the window hears of a daemon event. */
export function toMainEvents(e: DaemonEvent): MainEvent[] {
  switch (e.type) {
    case 'alert': return [{ type: 'alert', alert: e.alert }];
    case 'alert_acked': return [{ type: 'changed', what: 'alerts' }];
    case 'integration': return [{ type: 'changed', what: 'integrations' }, { type: 'changed', what: 'spend' }];
    case 'spend': return [{ type: 'changed', what: 'spend' }];
    case 'proposal': return [{ type: 'changed', what: 'proposals' }];
    case 'session': return [{ type: 'changed', what: 'sessions' }];
  }
}

/** The daemon as the window sees it: whether it answers, and starting it (detached) when it does not. */
export function daemonLink(client: ControlClient, launch: () => Promise<unknown>): HandlerDeps['daemon'] {
  const state = async (): Promise<DaemonState> => {
    try {
      const { version } = await client.health();
      return { running: true, version, controlSocket: client.socketPath };
    } catch {
      return { running: false, version: null, controlSocket: client.socketPath };
    }
  };
  return {
    state,
    async start() {
      if (!(await client.isRunning())) await launch();
      return state();
    },
  };
}
