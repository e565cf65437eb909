// A throw-away PostgreSQL for tests: initdb + pg_ctl on a Unix socket in a temp folder, no TCP,
// no system service. initdb refuses to run as root, so under root the cluster belongs to a
// system user made for it (tests run as root in CI).
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CLUSTER_USER = 'tollgate-pg';

/** Debian puts the server binaries out of PATH: pg_config says where, else the newest installed version. */
export function postgresBinDir(): string | null {
  const fromConfig = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  const candidates = fromConfig.status === 0 ? [fromConfig.stdout.trim()] : [];
  if (existsSync('/usr/lib/postgresql')) {
    const versions = readdirSync('/usr/lib/postgresql').filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => `/usr/lib/postgresql/${v}/bin`));
  }
  return candidates.find((dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) ?? null;
}

/** initdb and pg_ctl can run here: as root, a user to run them as can be made. */
export const canRunPostgres = (): boolean =>
  postgresBinDir() !== null && (process.getuid?.() !== 0 || spawnSync('runuser', ['--help']).status === 0);

export interface PostgresOptions {
  /** Also listen on 127.0.0.1 at this port (the bench: PostgreSQL on loopback, as over a network). */
  port?: number;
  /** Commits flushed to disk (PostgreSQL's default), as a real server does; tests leave it off to run faster. */
  durable?: boolean;
}

export interface TestPostgres {
  /** A connection string to the database `postgres` over the socket. */
  url: string;
  /** The same over TCP on 127.0.0.1, when a port was asked for. */
  tcpUrl: string | null;
  /** The folder holding the socket (libpq's `host` for a socket). */
  socketDir: string;
  /** A new empty database, and the connection string to it. */
  createDatabase(name: string): Promise<string>;
  /** Stops the server at once (connections are cut, as when the database host goes away). */
  stop(): void;
  start(): void;
  /** Stops it and removes its folder. */
  destroy(): void;
}

export async function startPostgres(opts: PostgresOptions = {}): Promise<TestPostgres> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL server binaries not found (Debian: apt-get install postgresql)');
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-pg-'));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    if (spawnSync('id', [CLUSTER_USER]).status !== 0) execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', CLUSTER_USER]);
    const uid = Number(execFileSync('id', ['-u', CLUSTER_USER], { encoding: 'utf8' }));
    const gid = Number(execFileSync('id', ['-g', CLUSTER_USER], { encoding: 'utf8' }));
    chownSync(dir, uid, gid);
  }
  const run = (tool: string, args: string[]): void => {
    const [cmd, argv] = asRoot ? ['runuser', ['-u', CLUSTER_USER, '--', join(bin, tool), ...args]] : [join(bin, tool), args];
    const r = spawnSync(cmd, argv, { encoding: 'utf8', cwd: dir });
    if (r.status !== 0) throw new Error(`${tool} failed: ${r.stderr || r.stdout}`);
  };
  const data = join(dir, 'data');
  run('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '--no-instructions', '-E', 'UTF8']);
  // fsync off: a test cluster is thrown away; pg_ctl's "immediate" stop still keeps what was committed (the OS holds it).
  const listen = opts.port === undefined ? "-c listen_addresses=''" : `-c listen_addresses=127.0.0.1 -p ${opts.port}`;
  const options = `-k ${dir} ${listen}${opts.durable ? '' : ' -c fsync=off'} -c max_connections=200`;
  const start = (): void => run('pg_ctl', ['start', '-D', data, '-w', '-l', join(dir, 'log'), '-o', options]);
  start();
  // With a port, the socket's name carries it too.
  const portParam = opts.port === undefined ? '' : `&port=${opts.port}`;
  const url = `postgresql://postgres@localhost/postgres?host=${encodeURIComponent(dir)}${portParam}`;
  return {
    url,
    tcpUrl: opts.port === undefined ? null : `postgresql://postgres@127.0.0.1:${opts.port}/postgres`,
    socketDir: dir,
    async createDatabase(name) {
      const { default: pg } = await import('pg');
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE "${name.replace(/"/g, '')}"`);
      } finally {
        await client.end();
      }
      return `postgresql://postgres@localhost/${encodeURIComponent(name)}?host=${encodeURIComponent(dir)}${portParam}`;
    },
    stop: () => run('pg_ctl', ['stop', '-D', data, '-m', 'immediate', '-w']),
    start,
    destroy() {
      try {
        run('pg_ctl', ['stop', '-D', data, '-m', 'immediate', '-w']);
      } catch {
        // Already stopped.
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
