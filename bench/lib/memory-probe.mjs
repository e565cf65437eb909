// What the daemon's resident memory is made of at start-up: a fresh Node process loads, in the
// daemon's order, its npm dependencies and its own modules (the JavaScript build in out/lib/, as
// daemon/bin.mjs runs it), reading VmRSS after each step; then what running the TypeScript sources
// instead would add (Node's type stripper); then TLS secure contexts with the CA list the upstream
// dispatcher passes on every connection (daemon/upstream/dispatcher.ts). Plain JavaScript, so that
// nothing is loaded before the first figure. Prints one JSON document.
//
// Usage (from bench/run.ts --profile, after npm run build:daemon): node --expose-gc bench/lib/memory-probe.mjs
import { performance } from 'node:perf_hooks';
import tls from 'node:tls';

const mb = () => Number((process.memoryUsage().rss / 1048576).toFixed(1));
const steps = [];
let last = mb();
const step = (what, extra = {}) => {
  const now = mb();
  steps.push({ what, rssMb: now, addedMb: Number((now - last).toFixed(1)), ...extra });
  last = now;
};
step('node itself');
for (const m of ['zod', 'undici', 'better-sqlite3', 'keytar', 'node-notifier', 'commander']) {
  await import(m);
  step(`npm ${m}`);
}
await import('../../out/lib/process/serve.js');
step("the daemon's own modules (out/lib/process/serve.js and what it imports)");
await import('../../daemon/process/serve.ts');
step('the same from the TypeScript sources (type stripping), which bin.mjs avoids while the build is current');

const ca = [...new Set([...tls.getCACertificates('default'), ...tls.getCACertificates('system')])];
let t = performance.now();
tls.createSecureContext({ ca });
step(`one TLS secure context with the dispatcher's ${ca.length} CA certificates`, { ms: Number((performance.now() - t).toFixed(1)) });
const n = 30;
t = performance.now();
for (let i = 0; i < n; i++) tls.createSecureContext({ ca });
step(`${n} more (one per new upstream connection)`, { msEach: Number(((performance.now() - t) / n).toFixed(1)) });
globalThis.gc?.();
await new Promise((r) => setTimeout(r, 100));
globalThis.gc?.();
step('after a full GC');
// Without a CA list a context uses Node's root store, built once and shared: what a connection
// would cost if the dispatcher made its context once, or left `ca` to Node.
t = performance.now();
for (let i = 0; i < n; i++) tls.createSecureContext({});
step(`${n} contexts on Node's shared root store (no CA list)`, { msEach: Number(((performance.now() - t) / n).toFixed(2)) });
console.log(JSON.stringify({ node: process.version, caCertificates: ca.length, steps }));
