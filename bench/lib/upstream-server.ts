// The bench's upstream, in a process of its own (so the load generator's event loop does not also
// serve TLS): test/helpers/upstream.ts on 127.0.0.1 with the test PKI, answering POST /search with
// a ~2 KB JSON search result that reports its cost in costDollars.total, as Exa does. A request
// without the key (x-api-key, or Authorization: Bearer) gets 401, so every proxy is seen to add it.
//
// GET /__bench/stats answers {"requests","connections"} so far: how many TLS connections each
// proxy opened (every new connection is a handshake the proxy paid for).
//
// Usage: node bench/lib/upstream-server.ts <pki dir>   (key in BENCH_UPSTREAM_KEY)
// Prints "listening <port>"; ends on SIGTERM, or when its parent goes (stdin closes).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startUpstream } from '../../test/helpers/upstream.ts';

export const COST_USD = 0.005;

/** A search answer shaped like Exa's, about 2 KB. */
export function searchResult(): Buffer {
  const results = Array.from({ length: 7 }, (_, i) => ({
    id: `https://example.org/articles/sqlite-wal-mode-${i + 1}`,
    url: `https://example.org/articles/sqlite-wal-mode-${i + 1}`,
    title: `SQLite write-ahead logging, part ${i + 1}: readers, writers and checkpoints`,
    score: Number((0.91 - i * 0.03).toFixed(4)),
    publishedDate: `2025-0${(i % 9) + 1}-1${i}T00:00:00.000Z`,
    author: 'A. Writer',
  }));
  const body = {
    requestId: '8f1b4c0e2d6a4f7b9c3e5a1d0b2c4e6f',
    resolvedSearchType: 'neural',
    results,
    searchTime: 412.5,
    costDollars: { total: COST_USD, search: { neural: COST_USD } },
  };
  return Buffer.from(JSON.stringify(body));
}

async function main(): Promise<void> {
  const dir = process.argv[2];
  const key = process.env.BENCH_UPSTREAM_KEY;
  if (!dir || !key) throw new Error('usage: upstream-server.ts <pki dir> (with BENCH_UPSTREAM_KEY set)');
  const pki = { certPem: readFileSync(join(dir, 'server.pem'), 'utf8'), keyPem: readFileSync(join(dir, 'server.key'), 'utf8') };
  const body = searchResult();
  const denied = Buffer.from('{"error":"missing or wrong key"}');
  const sockets = new WeakSet<object>();
  let connections = 0;
  let requests = 0;
  const upstream = await startUpstream(pki, (req, res) => {
    if (req.url === '/__bench/stats') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ requests, connections }));
      return;
    }
    if (!sockets.has(req.socket)) {
      sockets.add(req.socket);
      connections++;
    }
    requests++;
    const ok = req.headers['x-api-key'] === key || req.headers.authorization === `Bearer ${key}`;
    const out = ok ? body : denied;
    res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json', 'content-length': String(out.length) });
    res.end(out);
  });
  // The helper records every request for tests; here nobody reads them: keep memory flat.
  setInterval(() => {
    upstream.requests.length = 0;
  }, 200).unref();
  const stop = () => void upstream.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  process.stdin.on('close', stop).resume();
  console.log(`listening ${upstream.port}`);
}

if (import.meta.main) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
