// nginx as the C reference: a reverse proxy on a Unix socket that adds the auth header (from its
// config: nginx has no keychain) and proxies to the HTTPS upstream over kept-alive connections,
// verifying its certificate against the test CA. Installed from Debian when missing.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Child, childrenOf } from '../lib/proc.ts';

const NGINX = '/usr/sbin/nginx';

function has(): boolean {
  return spawnSync(NGINX, ['-v'], { stdio: 'ignore' }).status === 0;
}

/** Installs Debian's nginx if it is not there (as root, or with sudo); returns its version line. */
export function ensureNginx(log: (line: string) => void): string {
  if (!has()) {
    const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const run = (args: string[]) => {
      const cmd = asRoot ? args : ['sudo', '-n', ...args];
      log(`  $ ${cmd.join(' ')}`);
      return spawnSync(cmd[0]!, cmd.slice(1), { stdio: ['ignore', 'inherit', 'inherit'], env }).status === 0;
    };
    log('nginx is not installed; installing the Debian package:');
    // A stale package list finds no candidate: then update once and try again.
    if (!run(['apt-get', 'install', '-y', 'nginx'])) {
      run(['apt-get', 'update']);
      if (!run(['apt-get', 'install', '-y', 'nginx'])) throw new Error('could not install nginx with apt-get');
    }
    if (!has()) throw new Error(`nginx still not found at ${NGINX} after apt-get install`);
  }
  return spawnSync(NGINX, ['-v'], { encoding: 'utf8' }).stderr.trim();
}

export interface NginxPeer {
  socket: string;
  /** The master and its workers. */
  pids(): number[];
  stop(): Promise<void>;
}

export async function startNginx(opts: { dir: string; upstreamPort: number; caFile: string; key: string; workers: number }): Promise<NginxPeer> {
  const { dir } = opts;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const t of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, t), { recursive: true });
  const socket = join(dir, 'nginx.sock');
  const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const conf = `# Written by bench/peers/nginx.ts for one bench run.
${asRoot ? 'user root;' : ''}
worker_processes ${opts.workers};
daemon off;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${join(dir, 'body')};
  proxy_temp_path ${join(dir, 'proxy')};
  fastcgi_temp_path ${join(dir, 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'uwsgi')};
  scgi_temp_path ${join(dir, 'scgi')};
  upstream search {
    server 127.0.0.1:${opts.upstreamPort};
    keepalive 128;
  }
  server {
    listen unix:${socket};
    location / {
      proxy_pass https://search;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host 127.0.0.1:${opts.upstreamPort};
      proxy_set_header x-api-key "${opts.key}";
      proxy_ssl_verify on;
      proxy_ssl_trusted_certificate ${opts.caFile};
      proxy_ssl_name localhost;
      proxy_ssl_server_name on;
      proxy_ssl_session_reuse on;
    }
  }
}
`;
  const confFile = join(dir, 'nginx.conf');
  writeFileSync(confFile, conf, { mode: 0o600 });
  const master = new Child('nginx', NGINX, ['-p', dir, '-c', confFile, '-e', join(dir, 'error.log')]);
  // Ready once the socket accepts a request; nginx prints nothing on success.
  const { Agent, request } = await import('undici');
  const probe = new Agent({ connect: { socketPath: socket } });
  const deadline = Date.now() + 10_000;
  try {
    for (;;) {
      if (!master.running) throw new Error(`nginx exited at start:\n${master.output}`);
      try {
        const r = await request('http://nginx/search', { dispatcher: probe, method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
        await r.body.arrayBuffer();
        if (r.statusCode !== 200) throw new Error(`nginx answered ${r.statusCode} (the upstream did not get the key?)`);
        break;
      } catch (e) {
        if (Date.now() > deadline) throw new Error(`nginx did not answer on ${socket}: ${String(e)}\n${master.output}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  } finally {
    await probe.destroy();
  }
  // The workers are up once it answers; read once (scanning /proc at every sample would load the client).
  const pids = [master.pid, ...childrenOf(master.pid)];
  return {
    socket,
    pids: () => pids,
    stop: () => master.stop('SIGQUIT'),
  };
}
