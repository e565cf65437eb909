// Diagnostic only (npm run bench -- --diagnose): the daemon as `tollgate daemon` runs it
// (daemon/process/serve.ts: same sockets, database, pipeline and audit) with one piece swapped
// through the daemon's own injection points (DaemonOptions), to measure what that piece costs.
// Never a way to run Tollgate.
//
//   BENCH_VARIANT=memory-keychain  the keychain is a Map in memory: what everything but the
//                                  keychain read costs
//   BENCH_VARIANT=shared-tls       the real keychain (keytar), and an upstream dispatcher that
//                                  makes its TLS context once instead of once per connection
//                                  (the fix proposed for daemon/upstream/dispatcher.ts)
//
// Usage: TOLLGATE_HOME=<dir> TOLLGATE_KEYCHAIN_SERVICE=<service> BENCH_VARIANT=<variant> node bench/lib/daemon-variant.ts
import tls from 'node:tls';
import { Agent } from 'undici';
import { systemClock } from '../../daemon/clock.ts';
import type { Keychain } from '../../daemon/keychain/keychain.ts';
import { keytarKeychain } from '../../daemon/keychain/keytar-keychain.ts';
import { resolvePaths } from '../../daemon/paths.ts';
import { serve } from '../../daemon/process/serve.ts';
import { DEFAULT_TIMEOUTS } from '../../daemon/upstream/dispatcher.ts';

const variant = process.env.BENCH_VARIANT;

function memoryKeychain(): Keychain {
  const store = new Map<string, string>();
  return {
    get: async (account) => store.get(account) ?? null,
    set: async (account, secret) => {
      store.set(account, secret);
    },
    delete: async (account) => store.delete(account),
  };
}

/** daemon/upstream/dispatcher.ts with one change: one secure context, made here, for every connection. */
function sharedTlsDispatcher(): Agent {
  const ca = [...new Set([...tls.getCACertificates('default'), ...tls.getCACertificates('system')])];
  const t = DEFAULT_TIMEOUTS;
  return new Agent({
    connect: { secureContext: tls.createSecureContext({ ca }), rejectUnauthorized: true, timeout: t.connectMs },
    connectTimeout: t.connectMs,
    headersTimeout: t.headersMs,
    bodyTimeout: t.bodyMs,
    keepAliveTimeout: 10_000,
  });
}

/** The keychain, timing each read as the daemon sees it (printed with the memory figures). */
function timed(inner: Keychain): Keychain {
  return {
    ...inner,
    get: async (account) => {
      const t0 = performance.now();
      try {
        return await inner.get(account);
      } finally {
        reads.push(performance.now() - t0);
      }
    },
  };
}
let reads: number[] = [];

if (variant !== 'memory-keychain' && variant !== 'shared-tls') throw new Error('BENCH_VARIANT must be memory-keychain or shared-tls');
const running = await serve({
  paths: resolvePaths(),
  clock: systemClock,
  keychain: timed(variant === 'memory-keychain' ? memoryKeychain() : keytarKeychain(process.env.TOLLGATE_KEYCHAIN_SERVICE ?? 'tollgate')),
  notifier: { notify: () => undefined },
  ...(variant === 'shared-tls' ? { dispatcher: sharedTlsDispatcher() } : {}),
});
console.log(`daemon variant ${variant} running (pid ${process.pid})`);
// Where its memory is, for the bench to read: V8's heap against the resident set.
setInterval(() => {
  const m = process.memoryUsage();
  console.log(`memory ${JSON.stringify({ rss: m.rss, heapTotal: m.heapTotal, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers })}`);
  // Keychain reads of the last second, as the pipeline waited for them.
  if (reads.length) {
    const sorted = reads.sort((a, b) => a - b);
    console.log(`keychain-reads ${JSON.stringify({ n: sorted.length, p50: sorted[Math.floor(sorted.length / 2)], p99: sorted[Math.floor(sorted.length * 0.99)] })}`);
    reads = [];
  }
}, 1000).unref();
process.once('SIGTERM', () => void running.stop().then(() => process.exit(0)));
