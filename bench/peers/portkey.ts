// Portkey's open-source AI gateway (npm @portkey-ai/gateway), the nearest peer on Node, run
// locally and pointed at the upstream as a custom host. It lives in bench/.peers (its own
// package.json and node_modules, never the project's), installed there by npm when missing, with
// NODE_ENV=production and --headless (no dev UI), as one would deploy it.
//
// How it is called (from its build: POST /v1/* is its proxy route): the path after /v1 goes to
// `x-portkey-custom-host` + path; `x-portkey-provider: openai` makes it send the caller's
// `Authorization: Bearer <key>` on as the provider key. 127.0.0.1 is in its default
// TRUSTED_CUSTOM_HOSTS. Its Node server always listens on every interface: loopback-only.mjs,
// preloaded, keeps it on 127.0.0.1.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Child } from '../lib/proc.ts';

const BENCH = fileURLToPath(new URL('..', import.meta.url));
export const PEERS_DIR = join(BENCH, '.peers');
const PACKAGE_DIR = join(PEERS_DIR, 'node_modules', '@portkey-ai', 'gateway');
const ENTRY = join(PACKAGE_DIR, 'build', 'start-server.js');
const GATEWAY = '^1.15.2';
// Portkey's proxy route fails on every call ("TypeError: immutable" in updateHeaders, Portkey-AI/
// gateway issue #1389) with the @hono/node-server npm picks: from 1.14 on, its lightweight Response
// hands out the fetched answer's immutable Headers, which Portkey then appends to. 1.13.8, the
// last release before that change, works; pinned.
const HONO_NODE_SERVER = '1.13.8';
const MANIFEST = {
  private: true,
  description: 'Peers of npm run bench, outside the project\'s node_modules (written by bench/peers/portkey.ts)',
  dependencies: { '@portkey-ai/gateway': GATEWAY },
  overrides: { '@hono/node-server': HONO_NODE_SERVER },
};

function installedVersion(dir: string): string | null {
  try {
    return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return null;
  }
}

/** Installs the gateway into bench/.peers when missing (or not as pinned); returns its version. */
export function ensurePortkey(log: (line: string) => void): string {
  const manifest = join(PEERS_DIR, 'package.json');
  const wanted = `${JSON.stringify(MANIFEST, null, 2)}\n`;
  const current = existsSync(manifest) ? readFileSync(manifest, 'utf8') : '';
  const hono = installedVersion(join(PEERS_DIR, 'node_modules', '@hono', 'node-server'));
  if (!existsSync(ENTRY) || current !== wanted || hono !== HONO_NODE_SERVER) {
    mkdirSync(PEERS_DIR, { recursive: true });
    writeFileSync(manifest, wanted);
    // Run through the npm that runs us (npm run bench), else the one on PATH.
    const npmCli = process.env.npm_execpath;
    const [cmd, pre] = npmCli && /npm-cli\.js$/.test(npmCli) ? [process.execPath, [npmCli]] : ['npm', []];
    log(`Portkey's gateway is not installed (as pinned): npm install --prefix ${PEERS_DIR} (@portkey-ai/gateway@${GATEWAY}, @hono/node-server@${HONO_NODE_SERVER})`);
    const r = spawnSync(cmd, [...pre, 'install', '--prefix', PEERS_DIR, '--no-audit', '--no-fund'], { stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.status !== 0 || !existsSync(ENTRY)) throw new Error(`could not install @portkey-ai/gateway into ${PEERS_DIR}`);
  }
  return `${installedVersion(PACKAGE_DIR)} (@hono/node-server ${installedVersion(join(PEERS_DIR, 'node_modules', '@hono', 'node-server'))})`;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export interface PortkeyPeer {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

export async function startPortkey(opts: { caFile: string }): Promise<PortkeyPeer> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'production', NODE_EXTRA_CA_CERTS: opts.caFile };
  delete env.NODE_OPTIONS;
  const child = new Child('portkey', process.execPath,
    ['--import', join(BENCH, 'peers', 'loopback-only.mjs'), ENTRY, `--port=${port}`, '--headless'],
    { cwd: PEERS_DIR, env });
  await child.waitForOutput(/Ready for connections/, 30_000);
  return { url: `http://127.0.0.1:${port}`, pid: child.pid, stop: () => child.stop('SIGTERM') };
}
