// `tollgate socket` prints the agent socket an assistant's client would use (issue 12), so that
// curl and Python find it as the client library does: TOLLGATE_AGENT_SOCKET, TOLLGATE_HOME, the default.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { TollgateClient } from '../../../daemon/client/agent-client.ts';
import { BIN, overlay, PROJECT_ROOT } from '../../helpers/daemon-process.ts';

const ALL = { TOLLGATE_AGENT_SOCKET: undefined, TOLLGATE_HOME: undefined, XDG_RUNTIME_DIR: undefined, XDG_DATA_HOME: undefined, HOME: '/home/ada', NODE_OPTIONS: undefined };

/** What `tollgate socket` prints, and the socket the client library picks, under the same variables. */
function both(vars: Record<string, string | undefined>): { printed: string; client: string } {
  const env = overlay(process.env, { ...ALL, ...vars });
  const r = spawnSync(process.execPath, [BIN, 'socket'], { cwd: PROJECT_ROOT, env, encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const saved = { ...process.env };
  setEnv(env); // in place: os.homedir() reads the real environment
  try {
    return { printed: r.stdout, client: new TollgateClient().socketPath };
  } finally {
    setEnv(saved);
  }
}

function setEnv(env: NodeJS.ProcessEnv): void {
  for (const k of Object.keys(process.env)) if (!(k in env)) delete process.env[k];
  Object.assign(process.env, env);
}

describe('tollgate socket', () => {
  it('TOLLGATE_AGENT_SOCKET when set (a session\'s socket, in a sandbox), before TOLLGATE_HOME', () => {
    const { printed, client } = both({ TOLLGATE_AGENT_SOCKET: '/run/tollgate/agent.sock', TOLLGATE_HOME: '/srv/tollgate' });
    expect(printed).toBe('/run/tollgate/agent.sock\n');
    expect(client).toBe('/run/tollgate/agent.sock');
  });

  it('else the daemon\'s under TOLLGATE_HOME', () => {
    const { printed, client } = both({ TOLLGATE_HOME: '/srv/tollgate', XDG_RUNTIME_DIR: '/run/user/1000' });
    expect(printed).toBe('/srv/tollgate/run/agent.sock\n');
    expect(client).toBe('/srv/tollgate/run/agent.sock');
  });

  it.runIf(process.platform === 'linux')('else the default: in XDG_RUNTIME_DIR, or under ~/.local/share without one', () => {
    const runtime = both({ XDG_RUNTIME_DIR: '/run/user/1000' });
    expect(runtime).toEqual({ printed: '/run/user/1000/tollgate/agent.sock\n', client: '/run/user/1000/tollgate/agent.sock' });
    const home = both({});
    expect(home).toEqual({ printed: '/home/ada/.local/share/tollgate/run/agent.sock\n', client: '/home/ada/.local/share/tollgate/run/agent.sock' });
  });
});
