// The keychain read alone, many times over, in a fresh process: how much its resident memory
// grows per thousand reads (libsecret 0.20.5 keeps ~1 KB of every successful lookup). Plain
// JavaScript, so nothing else grows with it. Prints one JSON document.
//
// Usage (from bench/run.ts --soak): node --expose-gc bench/lib/keychain-soak.mjs <reads>
import { readFileSync } from 'node:fs';
import keytar from 'keytar';

const reads = Number(process.argv[2] ?? 20_000);
const service = `tollgate-bench-soak-${process.pid}`;
const rssKb = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]);
const settle = () => { globalThis.gc?.(); return rssKb(); };

await keytar.setPassword(service, 'a', 'k'.repeat(40));
try {
  // A first batch warms libsecret's and the thread pool's one-time allocations up.
  for (let i = 0; i < 500; i++) await keytar.getPassword(service, 'a');
  const before = settle();
  const loop = async (n) => { for (let i = 0; i < n; i++) await keytar.getPassword(service, 'a'); };
  await Promise.all(Array.from({ length: 8 }, () => loop(Math.ceil(reads / 8))));
  const after = settle();
  // Reads of an item that does not exist: the control, which does not keep anything.
  await Promise.all(Array.from({ length: 8 }, () => (async () => { for (let i = 0; i < Math.ceil(reads / 8); i++) await keytar.getPassword(service, 'missing'); })()));
  const missing = settle();
  console.log(JSON.stringify({ reads, beforeKb: before, afterKb: after, missingAfterKb: missing }));
} finally {
  await keytar.deletePassword(service, 'a');
}
