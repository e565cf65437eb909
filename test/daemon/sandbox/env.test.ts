// The environment a sandboxed command gets: nothing that names a way out or looks like a secret.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sandboxEnv } from '../../../daemon/sandbox/env.ts';

describe('the sandboxed command\'s environment', () => {
  it('drops sockets, buses, displays, proxies, Tollgate\'s own settings and anything named like a secret', () => {
    const dropped = {
      DBUS_SESSION_BUS_ADDRESS: 'unix:path=/run/user/1000/bus', XDG_RUNTIME_DIR: '/run/user/1000', DISPLAY: ':0',
      WAYLAND_DISPLAY: 'wayland-0', XAUTHORITY: '/home/ada/.Xauthority', SSH_AUTH_SOCK: '/tmp/ssh-x/agent.1',
      GPG_AGENT_INFO: '/run/user/1000/gnupg/S.gpg-agent', GNOME_KEYRING_CONTROL: '/run/user/1000/keyring',
      DOCKER_HOST: 'unix:///var/run/docker.sock', TMUX: '/tmp/tmux-1000/default,1,0', HTTPS_PROXY: 'http://proxy:3128',
      no_proxy: 'localhost', TOLLGATE_HOME: '/home/ada/tg', TOLLGATE_KEYCHAIN_SERVICE: 'tollgate',
      ANTHROPIC_API_KEY: 'sk-ant-x', OPENAI_APIKEY: 'x', GITHUB_TOKEN: 'ghp_x', npm_config__authToken: 'x',
      AWS_ACCESS_KEY_ID: 'AKIA', AWS_SECRET_ACCESS_KEY: 'x', PGPASSWORD: 'x', MY_PASS: 'x', GH_PAT: 'x',
      GOOGLE_APPLICATION_CREDENTIALS: '/home/ada/key.json', SESSION_COOKIE: 'x', SIGNING_PRIVATEKEY: 'x',
      DATABASE_URL: 'postgres://ada:pw@db.example/x', MY_BUS: 'tcp:host=x;unix:path=/tmp/b',
    };
    const kept = {
      PATH: '/usr/bin:/bin', HOME: '/home/ada', LANG: 'C.UTF-8', TERM: 'xterm-256color', GIT_AUTHOR_NAME: 'Ada',
      KEYMAP: 'us', MONKEY: 'yes', PASSAGE: 'x', SITE_URL: 'https://example.org/a:b@c', NODE_EXTRA_CA_CERTS: '/etc/ca.pem',
    };
    expect(sandboxEnv({ ...dropped, ...kept }, '/run/tollgate/agent.sock')).toEqual({ ...kept, TOLLGATE_AGENT_SOCKET: '/run/tollgate/agent.sock' });
  });

  it('drops a variable that holds the path of a live socket, whatever its name', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-env-'));
    const path = join(dir, 'x.sock');
    const server = createServer();
    await new Promise<void>((r) => server.listen(path, () => r()));
    try {
      expect(sandboxEnv({ WHERE_THE_DAEMON_LISTENS: path, A_FOLDER: dir }, '/s')).toEqual({ A_FOLDER: dir, TOLLGATE_AGENT_SOCKET: '/s' });
    } finally {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
