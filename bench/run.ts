// npm run bench: Tollgate against its floor (direct), the keychain read it must make on every
// call, nginx (the C reference) and Portkey's gateway (the nearest peer on Node), all in one run
// against the same local HTTPS upstream. Prints the figures and a table of the targets (issue 5)
// with PASS/MISS, and writes the raw figures to bench/results/<date>.json.
//
//   npm run bench                      the suite (a few minutes)
//   npm run bench -- --scale           spend summary and audit bytes over 10 million records
//   npm run bench -- --profile         a CPU profile of the daemon under load: where the time goes
//   npm run bench -- --soak            the daemon's memory over many calls, and the keychain read's own growth
//   npm run bench -- --scan            the credential scan of a 1 MiB request body alone (seconds; the suite has it too)
//   npm run bench -- --model           the model-provider phase alone: streamed Messages calls, direct / Tollgate / Portkey (the suite has it too)
//   npm run bench -- --status          `tollgate status` alone, as typed at a terminal, against a daemon (the suite has it too)
//   npm run bench -- --ledger          the shared ledger: reserve/settle in PostgreSQL on loopback beside SQLite, three daemons on one shared budget
//   options: --quick (smaller counts), --rounds N, --records N (with --scale), --verify (with --scale),
//            --diagnose (adds two variants of the daemon, each with one piece swapped: an in-memory
//            keychain, to tell the keychain read from the rest; one TLS context for all upstream
//            connections, the proposed dispatcher fix), --daemon-env KEY=VALUE (repeatable: extra
//            environment for the daemons, e.g. NODE_OPTIONS=--max-semi-space-size=2, to try a setting)
//
// Runs inside test/with-keyring.sh (a private gnome-keyring), as `npm run bench` does. Every
// request goes to 127.0.0.1 or a Unix socket; every loop is bounded in count and time; every
// process and temporary folder it makes is removed at the end, whatever happens.
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, copyFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import keytar from 'keytar';
import { Agent, type Dispatcher, request } from 'undici';
import { staleSource } from '../daemon/build.mjs';
import { deleteKeychainService } from '../test/helpers/daemon-process.ts';
import { makeTestPki, type TestPki } from '../test/helpers/pki.ts';
import { runForDuration, runLoad, type LoadResult } from './lib/load.ts';
import { Child, CORES, CpuWatch, keyringProcesses, peakRss, rss, RssSampler, stopAll } from './lib/proc.ts';
import { summarizeProfile, type ProfileSummary } from './lib/profile.ts';
import { fx, row, table, type TargetRow } from './lib/report.ts';
import { concat, mb, round, summarize, type Summary } from './lib/stats.ts';
import { searchResult } from './lib/upstream-server.ts';
import { type ModelResult, type ModelRig, runModel } from './model.ts';
import { ensureNginx, startNginx } from './peers/nginx.ts';
import { ensurePortkey, startPortkey } from './peers/portkey.ts';
import { runLedger } from './ledger.ts';
import { runScale } from './scale.ts';
import { runScan, TARGET_SCAN_MS, type ScanResult } from './scan.ts';
import { runStatus, TARGET_STATUS_MS, type StatusResult } from './status.ts';
import { type DaemonVariant, INTEGRATION, type MemoryPeaks, PURPOSE, startDaemonVariant, startTollgate, type TollgateUnderBench } from './tollgate.ts';

const BENCH = fileURLToPath(new URL('.', import.meta.url));
const RESULTS = join(BENCH, 'results');

const { values: args } = parseArgs({
  options: {
    scale: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    soak: { type: 'boolean', default: false },
    scan: { type: 'boolean', default: false },
    model: { type: 'boolean', default: false },
    status: { type: 'boolean', default: false },
    ledger: { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    records: { type: 'string' },
    verify: { type: 'boolean', default: false },
    diagnose: { type: 'boolean', default: false },
    'daemon-env': { type: 'string', multiple: true },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
});

const log = (line = ''): void => console.log(line);

/** --daemon-env KEY=VALUE (repeatable): extra environment for every Tollgate daemon of the run, to try a setting. */
const DAEMON_ENV: Record<string, string> = Object.fromEntries((args['daemon-env'] ?? []).map((kv) => {
  const eq = kv.indexOf('=');
  if (eq < 1) throw new Error(`--daemon-env wants KEY=VALUE, not ${kv}`);
  return [kv.slice(0, eq), kv.slice(eq + 1)];
}));
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// --- what is run ----------------------------------------------------------------------------------

type TargetName = 'direct' | 'keychain' | 'tollgate' | 'nginx' | 'portkey' | DiagnosticName;
// --diagnose: the daemon with one piece swapped (bench/lib/daemon-variant.ts).
type DiagnosticName = 'tollgate-memkc' | 'tollgate-sharedtls';
const DIAGNOSTICS: Record<DiagnosticName, DaemonVariant> = { 'tollgate-memkc': 'memory-keychain', 'tollgate-sharedtls': 'shared-tls' };

interface Target {
  name: TargetName;
  /** One request (or, for keychain, one read); throws unless it fully succeeded. */
  call(i: number): Promise<void>;
  /** The processes doing this target's work (beyond the client, the upstream and the keyring). */
  pids(): number[];
}

const COUNTS = args.quick
  ? { rounds: 1, c1: 200, c32: 1000, warmup: 200, satMs: 3000, satWarmMs: 500 }
  : { rounds: 3, c1: 600, c32: 3000, warmup: 500, satMs: 8000, satWarmMs: 1000 };
const SAT_CONCURRENCY = 64;
const PHASE_MAX_MS = 90_000;

// Targets of issue 5, on a 2-core machine.
const TARGET_OVERHEAD_MS = 0.5;
const TARGET_THROUGHPUT = 0.8;
const TARGET_RSS_IDLE_MB = 80;
const TARGET_RSS_LOAD_MB = 200;

/** One measured load on one target: the load's own figures, with its latencies summarized. */
interface Phase extends Omit<LoadResult, 'latencies'> {
  target: TargetName;
  kind: 'latency' | 'saturation';
  round: number;
  latencyMs: Summary;
  /** CPU seconds over the phase: per party, the whole machine, and everything else on it. */
  cpu: { wallSeconds: number; groups: Record<string, number>; machine: number; other: number };
  /** TLS connections the upstream accepted during the phase (each one a handshake). */
  upstreamConnections: number;
  loadavg1: number;
}

function phaseOf(target: TargetName, kind: Phase['kind'], roundNo: number, r: LoadResult, cpu: Phase['cpu'], upstreamConnections: number): Phase {
  return {
    upstreamConnections,
    target, kind, round: roundNo, concurrency: r.concurrency, latencyMs: summarize(r.latencies), ok: r.ok, errors: r.errors,
    errorSamples: r.errorSamples, elapsedMs: round(r.elapsedMs, 1), rps: round(r.rps, 1), timedOut: r.timedOut, cpu, loadavg1: round(loadavg()[0]!, 2),
  };
}

function machine() {
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: CORES,
    memoryGiB: round(totalmem() / 2 ** 30, 1),
    freeMemoryGiB: round(freemem() / 2 ** 30, 1),
    kernel: release(),
    node: process.version,
    loadavg: loadavg().map((v) => round(v, 2)),
  };
}

function stamp(): string {
  return new Date().toISOString().replace(/:/g, '-').replace(/\..*$/, '');
}

function writeResults(name: string, data: unknown): string {
  mkdirSync(RESULTS, { recursive: true });
  const file = join(RESULTS, `${name}.json`);
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
  return file;
}

// --- the pieces every mode needs --------------------------------------------------------------------

/** Cleanups run in reverse order at the end, on an error, or on Ctrl-C. */
class Cleanup {
  private readonly steps: { what: string; run: () => unknown }[] = [];
  private done: Promise<void> | null = null;

  add(what: string, run: () => unknown): void {
    this.steps.push({ what, run });
  }

  run(): Promise<void> {
    this.done ??= (async () => {
      for (const s of this.steps.reverse()) {
        try {
          await s.run();
        } catch (e) {
          console.error(`bench: cleanup "${s.what}" failed: ${String(e)}`);
        }
      }
      await stopAll();
    })();
    return this.done;
  }
}

interface Rig {
  /** Connections and requests the upstream has seen so far. */
  stats(): Promise<{ requests: number; connections: number }>;
  tmp: string;
  pki: TestPki;
  pkiDir: string;
  key: string;
  service: string;
  upstream: Child;
  upstreamPort: number;
  upstreamUrl: string;
}

async function rig(cleanup: Cleanup): Promise<Rig> {
  const tmp = mkdtempSync(join(tmpdir(), 'tollgate-bench-'));
  cleanup.add('remove the temporary folder', () => rmSync(tmp, { recursive: true, force: true }));
  const pkiDir = join(tmp, 'pki');
  const pki = makeTestPki(pkiDir);
  const key = `bench-key-${randomUUID()}`;
  const service = `tollgate-bench-${randomUUID()}`;
  cleanup.add('remove the keychain items', () => deleteKeychainService(service));
  const upstream = new Child('upstream', process.execPath, [join(BENCH, 'lib', 'upstream-server.ts'), pkiDir], {
    env: { ...process.env, BENCH_UPSTREAM_KEY: key, NODE_OPTIONS: '' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  cleanup.add('stop the upstream', () => upstream.stop());
  const m = await upstream.waitForOutput(/listening (\d+)/, 20_000);
  const upstreamPort = Number(m[1]);
  const statsAgent = new Agent({ connect: { ca: pki.caPem }, keepAliveTimeout: 600_000, keepAliveMaxTimeout: 600_000 });
  cleanup.add('close the stats client', () => statsAgent.destroy());
  const stats = async () => {
    const res = await request(`https://127.0.0.1:${upstreamPort}/__bench/stats`, { dispatcher: statsAgent });
    return (await res.body.json()) as { requests: number; connections: number };
  };
  return { stats, tmp, pki, pkiDir, key, service, upstream, upstreamPort, upstreamUrl: `https://127.0.0.1:${upstreamPort}` };
}

const EXPECTED_BYTES = searchResult().length;
const requestBody = (i: number) => `{"query":"sqlite wal mode ${i}","numResults":7}`;

async function expectSearchResult(what: string, res: Dispatcher.ResponseData): Promise<Buffer> {
  const buf = Buffer.from(await res.body.arrayBuffer());
  if (res.statusCode !== 200 || buf.length < EXPECTED_BYTES - 64) {
    throw new Error(`${what}: HTTP ${res.statusCode}, ${buf.length} bytes: ${buf.toString('utf8', 0, 300)}`);
  }
  return buf;
}

function tollgateTarget(tg: TollgateUnderBench): { target: Target; agent: Agent } {
  return agentTarget('tollgate', tg.agentSocket, tg.daemon.pid);
}

function agentTarget(name: TargetName, agentSocket: string, pid: number): { target: Target; agent: Agent } {
  const agent = new Agent({ connect: { socketPath: agentSocket }, keepAliveTimeout: 4_000 });
  return {
    agent,
    target: {
      name,
      pids: () => [pid],
      call: async (i) => {
        const res = await request(`http://tollgate/v1/call/${INTEGRATION}/search`, {
          dispatcher: agent,
          method: 'POST',
          headers: { 'content-type': 'application/json', 'tollgate-purpose': PURPOSE },
          body: requestBody(i),
        });
        await expectSearchResult(name, res);
      },
    },
  };
}

/** What the daemon runs: the JavaScript build when it is current (as an installed Tollgate does), else its sources. */
function daemonBuild(): string {
  const stale = staleSource();
  return stale ? `runs its TypeScript sources: the build is older than ${stale.slice(stale.indexOf('daemon'))} (run npm run build:daemon)` : 'runs the JavaScript build (out/lib)';
}

// --- the suite ---------------------------------------------------------------------------------------

async function suite(cleanup: Cleanup): Promise<void> {
  const started = new Date();
  log(`Tollgate bench, ${started.toISOString()}: ${CORES} cores (${cpus()[0]?.model ?? '?'}), ${round(totalmem() / 2 ** 30, 1)} GiB, load average ${loadavg().map((v) => v.toFixed(2)).join(' ')}`);
  // First, while nothing else of the bench runs: it is measured in this process.
  const scan = runScan({ quick: args.quick, log });
  const nginxVersion = ensureNginx(log);
  const portkeyVersion = ensurePortkey(log);
  log(`peers: ${nginxVersion}; @portkey-ai/gateway ${portkeyVersion}`);

  const r = await rig(cleanup);
  const { keyring, dbus } = keyringProcesses();
  const keyringPids = [...keyring, ...dbus];
  log(`upstream ${r.upstreamUrl} (pid ${r.upstream.pid}); ${EXPECTED_BYTES}-byte answers; keyring pids ${keyringPids.join(', ') || '(an existing Secret Service: not counted)'}`);

  // Tollgate: a real daemon, real keychain, default durability (WAL, synchronous=NORMAL).
  const tg = await startTollgate({ home: join(r.tmp, 'home'), service: r.service, caFile: r.pki.caCertPath, env: DAEMON_ENV, integration: { baseUrl: r.upstreamUrl, key: r.key } });
  if (Object.keys(DAEMON_ENV).length) log(`daemon environment added: ${JSON.stringify(DAEMON_ENV)}`);
  cleanup.add('stop the daemon', () => tg.daemon.stop().catch(() => tg.daemon.kill9()));
  cleanup.add('close the control client', () => tg.control.close());
  const settings = await tg.control.settings();
  log(`tollgate daemon pid ${tg.daemon.pid}; fullSync ${settings.fullSync}; ${daemonBuild()}`);

  const nginx = await startNginx({ dir: join(r.tmp, 'nginx'), upstreamPort: r.upstreamPort, caFile: r.pki.caCertPath, key: r.key, workers: CORES });
  cleanup.add('stop nginx', () => nginx.stop());
  const portkey = await startPortkey({ caFile: r.pki.caCertPath });
  cleanup.add('stop portkey', () => portkey.stop());
  log(`nginx on ${nginx.socket} (pids ${nginx.pids().join(', ')}); portkey at ${portkey.url} (pid ${portkey.pid})`);
  // --diagnose: the daemon with its keychain in memory (what all but the keychain read costs), and
  // with one TLS context for all upstream connections (the proposed dispatcher fix).
  const variants: { name: DiagnosticName; agentSocket: string; pid: number; memoryPeaks: () => MemoryPeaks | null }[] = [];
  if (args.diagnose) {
    for (const [name, variant] of Object.entries(DIAGNOSTICS) as [DiagnosticName, DaemonVariant][]) {
      const v = await startDaemonVariant(variant, { home: join(r.tmp, `home-${name}`), service: `${r.service}-${variant}`, caFile: r.pki.caCertPath, env: DAEMON_ENV, integration: { baseUrl: r.upstreamUrl, key: r.key } });
      cleanup.add(`stop the ${name} daemon`, () => v.child.stop());
      cleanup.add(`close the ${name} control client`, () => v.control.close());
      cleanup.add(`remove the ${name} keychain items`, () => deleteKeychainService(`${r.service}-${variant}`));
      variants.push({ name, agentSocket: v.agentSocket, pid: v.child.pid, memoryPeaks: v.memoryPeaks });
      log(`diagnostic ${name}: daemon variant ${variant}, pid ${v.child.pid}`);
    }
  }

  // Idle: after start-up and the operator's set-up, before any call.
  await sleep(3_000);
  const idle = { rss: rss(tg.daemon.pid), hwm: peakRss(tg.daemon.pid) };
  log(`daemon idle: VmRSS ${mb(idle.rss)} MB (VmHWM ${mb(idle.hwm)} MB)`);

  const directAgent = new Agent({ connect: { ca: r.pki.caPem }, keepAliveTimeout: 4_000 });
  const nginxAgent = new Agent({ connect: { socketPath: nginx.socket }, keepAliveTimeout: 4_000 });
  const portkeyAgent = new Agent({ keepAliveTimeout: 4_000 });
  const { target: tollgate, agent: tollgateAgent } = tollgateTarget(tg);
  const diagnostic = variants.map((v) => agentTarget(v.name, v.agentSocket, v.pid));
  cleanup.add('close the clients', () => Promise.all([directAgent, nginxAgent, portkeyAgent, tollgateAgent, ...diagnostic.map((d) => d.agent)].map((a) => a.destroy())));

  const targets: Partial<Record<TargetName, Target>> & Record<Exclude<TargetName, DiagnosticName>, Target> = {
    direct: {
      name: 'direct',
      pids: () => [],
      call: async (i) => {
        const res = await request(`${r.upstreamUrl}/search`, {
          dispatcher: directAgent, method: 'POST', body: requestBody(i),
          headers: { 'content-type': 'application/json', 'x-api-key': r.key },
        });
        await expectSearchResult('direct', res);
      },
    },
    keychain: {
      name: 'keychain',
      pids: () => [],
      call: async () => {
        const got = await keytar.getPassword(r.service, INTEGRATION);
        if (got !== r.key) throw new Error('keychain: the read did not return the key');
      },
    },
    tollgate,
    nginx: {
      name: 'nginx',
      pids: () => nginx.pids(),
      call: async (i) => {
        const res = await request('http://nginx/search', {
          dispatcher: nginxAgent, method: 'POST', body: requestBody(i), headers: { 'content-type': 'application/json' },
        });
        await expectSearchResult('nginx', res);
      },
    },
    portkey: {
      name: 'portkey',
      pids: () => [portkey.pid],
      call: async (i) => {
        const res = await request(`${portkey.url}/v1/search`, {
          dispatcher: portkeyAgent, method: 'POST', body: requestBody(i),
          headers: {
            'content-type': 'application/json',
            'x-portkey-provider': 'openai',
            'x-portkey-custom-host': r.upstreamUrl,
            authorization: `Bearer ${r.key}`,
          },
        });
        await expectSearchResult('portkey', res);
      },
    },
  };
  for (const d of diagnostic) targets[d.target.name] = d.target;
  const order: TargetName[] = ['direct', 'keychain', 'tollgate', 'nginx', 'portkey', ...diagnostic.map((d) => d.target.name)];
  const target = (name: TargetName): Target => targets[name]!;

  // Each path once, checked in full: the upstream saw the key (else 401), the answer is whole,
  // and Tollgate metered the cost the upstream reported.
  const first = await request(`http://tollgate/v1/call/${INTEGRATION}/search`, {
    dispatcher: tollgateAgent, method: 'POST', body: requestBody(-1),
    headers: { 'content-type': 'application/json', 'tollgate-purpose': PURPOSE },
  });
  const firstCost = first.headers['tollgate-cost-usd'];
  const firstBody = await expectSearchResult('tollgate', first);
  if (firstCost !== '0.005000') throw new Error(`tollgate metered ${String(firstCost)} USD, not the 0.005000 the upstream reported`);
  if (!firstBody.equals(searchResult())) throw new Error('tollgate changed the answer');
  for (const t of order) await target(t).call(-1);
  log('every path answers (key added, answer whole, Tollgate metered 0.005000 USD a call)');

  const groups = (t: Target): Record<string, number[]> => ({
    client: [process.pid], upstream: [r.upstream.pid], target: t.pids(), keyring: keyringPids,
  });
  const samplers = {
    tollgate: new RssSampler(() => [tg.daemon.pid]),
    nginx: new RssSampler(() => nginx.pids()),
    portkey: new RssSampler(() => [portkey.pid]),
  };
  for (const s of Object.values(samplers)) s.start(50);
  const variantSamplers = variants.map((v) => ({ name: v.name, sampler: new RssSampler(() => [v.pid]) }));
  for (const v of variantSamplers) v.sampler.start(50);

  const phases: Phase[] = [];
  // CPU is counted over the measured requests only (a warm-up's reconnections are not theirs).
  const run = async (t: Target, kind: Phase['kind'], roundNo: number, concurrency: number, load: (onMeasure: () => void) => Promise<LoadResult>) => {
    const before = await r.stats();
    let watch = new CpuWatch(groups(t));
    const res = await load(() => {
      watch = new CpuWatch(groups(t));
    });
    const cpu = watch.finish();
    const p = phaseOf(t.name, kind, roundNo, res, cpu, (await r.stats()).connections - before.connections);
    phases.push(p);
    const other = p.cpu.other / p.cpu.wallSeconds;
    log(`  ${kind.padEnd(10)} r${roundNo} c=${String(concurrency).padEnd(3)} ${t.name.padEnd(9)} p50 ${p.latencyMs.p50.toFixed(3).padStart(8)} ms  p99 ${p.latencyMs.p99.toFixed(3).padStart(8)} ms  ${p.rps.toFixed(0).padStart(6)}/s` +
      `  errors ${p.errors}  upstream conns +${p.upstreamConnections}  other load ${other.toFixed(2)} cores`);
    if (p.errors) log(`    errors: ${p.errorSamples.join(' | ')}`);
    return { res, p };
  };

  log(`warm-up: ${COUNTS.warmup} requests each at c=8`);
  for (const name of order) {
    const t = target(name);
    await runLoad({ concurrency: 8, requests: COUNTS.warmup, maxMs: PHASE_MAX_MS, call: t.call });
  }

  const pooled = new Map<string, Float64Array[]>();
  log(`latency: ${COUNTS.rounds} round(s); each round c=1 × ${COUNTS.c1} and c=32 × ${COUNTS.c32} per target, the order rotated`);
  for (let roundNo = 1; roundNo <= COUNTS.rounds; roundNo++) {
    for (const c of [1, 32]) {
      const rotated = order.map((_, i) => order[(i + roundNo - 1) % order.length]!);
      for (const name of rotated) {
        const t = target(name);
        const { res } = await run(t, 'latency', roundNo, c, () => runLoad({ concurrency: c, requests: c === 1 ? COUNTS.c1 : COUNTS.c32, maxMs: PHASE_MAX_MS, call: t.call }));
        const k = `${name}@${c}`;
        pooled.set(k, [...(pooled.get(k) ?? []), res.latencies]);
      }
    }
  }

  log(`saturation: c=${SAT_CONCURRENCY} for ${COUNTS.satMs / 1000} s each (after ${COUNTS.satWarmMs / 1000} s unmeasured)`);
  const saturation = new Map<TargetName, Phase>();
  for (const name of order) {
    const t = target(name);
    const { p } = await run(t, 'saturation', 0, SAT_CONCURRENCY, (onMeasure) => runForDuration({
      concurrency: SAT_CONCURRENCY, warmupMs: COUNTS.satWarmMs, durationMs: COUNTS.satMs, maxRequests: 200_000, call: t.call, onMeasure,
    }));
    saturation.set(name, p);
  }
  for (const s of Object.values(samplers)) s.stop();
  for (const v of variantSamplers) v.sampler.stop();
  const variantPeaks = new Map(variants.map((v) => [v.name, Math.max(peakRss(v.pid) ?? 0, variantSamplers.find((x) => x.name === v.name)!.sampler.peak)]));
  const load = { peakSampled: samplers.tollgate.peak, hwm: peakRss(tg.daemon.pid) };
  await sleep(5_000);
  const after = { rss: rss(tg.daemon.pid) };

  // Durable metering and audit held under the load: every call in the ledger and in the chain.
  const spend = await tg.control.spend();
  const verify = await tg.control.verifyAudit();
  const mine = spend.integrations.find((i) => i.name === INTEGRATION);
  const calls = spend.periods.filter((p) => p.integration === INTEGRATION).reduce((n, p) => n + p.calls, 0);
  const metered = {
    calls, spentUsd: mine?.spentUsd ?? null, reservedUsd: mine?.reservedUsd ?? null, auditRecords: verify.records, auditOk: verify.ok,
    // Every call settled at the 0.005 USD the upstream reported, none left open, each with its audit record.
    consistent: mine?.reservedUsd === 0 && Math.abs((mine?.spentUsd ?? 0) - calls * 0.005) < 1e-6 && verify.ok && verify.records === calls,
  };
  log(`ledger: ${calls} calls, ${metered.spentUsd} USD spent, ${metered.reservedUsd} reserved; audit chain ${verify.ok ? 'verifies' : 'BROKEN'} over ${verify.records} records: ${metered.consistent ? 'consistent' : 'INCONSISTENT'}`);

  // The operator's glance, over the records the phases left, while no load runs.
  const status = await runStatus({ home: join(r.tmp, 'home'), daemonPid: tg.daemon.pid, quick: args.quick, log });

  // The model-provider phase, after the ledger's check of the search calls (its calls are audited too).
  log('model provider phase');
  const model = await runModel(modelRig(r, tg, portkey, keyringPids), { quick: args.quick, log, onCleanup: (what, fn) => cleanup.add(what, fn) });

  // --- figures ---
  const lat = (name: TargetName, c: number): Summary => summarize(concat(pooled.get(`${name}@${c}`) ?? []));
  const figures: Record<string, Record<string, unknown>> = {};
  for (const name of order) {
    for (const c of [1, 32]) {
      const s = lat(name, c);
      const d = lat('direct', c);
      figures[`${name}@${c}`] = {
        target: name, concurrency: c, ...Object.fromEntries(Object.entries(s).map(([k, v]) => [k, round(v)])),
        addedP50: name === 'keychain' ? null : round(s.p50 - d.p50),
        addedP99: name === 'keychain' ? null : round(s.p99 - d.p99),
      };
    }
  }
  const cpuPerRequest = (p: Phase) => Object.fromEntries(Object.entries(p.cpu.groups).map(([k, v]) => [k, round((v * 1000) / Math.max(1, p.ok), 3)]));

  log();
  log('Latency (ms; pooled over rounds; added = over direct at the same concurrency)');
  log(table(['target', 'c', 'n', 'p50', 'p99', 'added p50', 'added p99'], order.flatMap((name) => [1, 32].map((c) => {
    const f = figures[`${name}@${c}`]!;
    return [name, String(c), String(f.n), fx(f.p50), fx(f.p99), fx(f.addedP50), fx(f.addedP99)];
  }))));
  log();
  log(`Throughput at saturation (c=${SAT_CONCURRENCY}, ${COUNTS.satMs / 1000} s) and CPU ms per request, by process`);
  log(table(['target', 'req/s', 'p50 ms', 'proxy', 'keyring', 'upstream', 'client', 'new TLS conns (incl. warm-up)', 'other load (cores)'], order.map((name) => {
    const p = saturation.get(name)!;
    const c = cpuPerRequest(p);
    return [name, p.rps.toFixed(0), fx(p.latencyMs.p50), name === 'keychain' || name === 'direct' ? '-' : fx(c.target), fx(c.keyring), fx(c.upstream), fx(c.client),
      String(p.upstreamConnections), (p.cpu.other / p.cpu.wallSeconds).toFixed(2)];
  })));
  const conns = (name: TargetName) => phases.filter((p) => p.target === name).reduce((n, p) => n + p.upstreamConnections, 0);
  const reqs = (name: TargetName) => phases.filter((p) => p.target === name).reduce((n, p) => n + p.ok, 0);
  log(`Upstream TLS connections opened over all measured phases: ${order.filter((n) => n !== 'keychain').map((n) => `${n} ${conns(n)} for ${reqs(n)} requests`).join('; ')}`);
  log(`Memory: tollgate daemon idle ${mb(idle.rss)} MB, peak under load ${mb(Math.max(load.hwm ?? 0, load.peakSampled))} MB (VmHWM), ${mb(after.rss)} MB 5 s after; ` +
    `nginx peak ${mb(samplers.nginx.peak)} MB (all processes); portkey peak ${mb(samplers.portkey.peak)} MB`);

  // --- targets ---
  const tg1 = figures['tollgate@1']!;
  const tg32 = figures['tollgate@32']!;
  const kc1 = figures['keychain@1']!;
  const kc32 = figures['keychain@32']!;
  const pk1 = figures['portkey@1']!;
  const pk32 = figures['portkey@32']!;
  const num = (v: unknown) => v as number;
  const satT = saturation.get('tollgate')!.rps;
  const satK = saturation.get('keychain')!.rps;
  const peakMb = mb(Math.max(load.hwm ?? 0, load.peakSampled))!;
  const rows: TargetRow[] = [
    row('added p50 − keychain p50, c=1', num(tg1.addedP50) - num(kc1.p50), `≤ ${TARGET_OVERHEAD_MS} ms`, (v) => v <= TARGET_OVERHEAD_MS, 'ms'),
    row('added p50 − keychain p50, c=32', num(tg32.addedP50) - num(kc32.p50), `≤ ${TARGET_OVERHEAD_MS} ms`, (v) => v <= TARGET_OVERHEAD_MS, 'ms'),
    row('added p50 vs Portkey added p50, c=1', num(tg1.addedP50) / num(pk1.addedP50), '≤ 1.00×', (v) => num(tg1.addedP50) <= num(pk1.addedP50), '×',
      `${fx(tg1.addedP50)} vs ${fx(pk1.addedP50)} ms`),
    row('added p50 vs Portkey added p50, c=32', num(tg32.addedP50) / num(pk32.addedP50), '≤ 1.00×', (v) => num(tg32.addedP50) <= num(pk32.addedP50), '×',
      `${fx(tg32.addedP50)} vs ${fx(pk32.addedP50)} ms`),
    row('throughput / keychain read ceiling', satT / satK, `≥ ${TARGET_THROUGHPUT * 100} %`, (v) => v >= TARGET_THROUGHPUT, '%',
      `${satT.toFixed(0)} vs ${satK.toFixed(0)} /s`),
    row('daemon RSS idle', mb(idle.rss)!, `≤ ${TARGET_RSS_IDLE_MB} MB`, (v) => v <= TARGET_RSS_IDLE_MB, 'MB'),
    row('daemon RSS under load (peak)', peakMb, `≤ ${TARGET_RSS_LOAD_MB} MB`, (v) => v <= TARGET_RSS_LOAD_MB, 'MB'),
    scanRow(scan),
    ...model.targets,
    statusRow(status),
  ];
  logTargets(rows, 'Targets (issue 5; the credential scan, issue 9; the model stream, issue 10; tollgate status, issue 12)');
  const otherMax = Math.max(...phases.map((p) => p.cpu.other / p.cpu.wallSeconds));
  log(`Other work on the machine during the phases: up to ${otherMax.toFixed(2)} of ${CORES} cores (load average now ${loadavg().map((v) => v.toFixed(2)).join(' ')}).`);
  if (variants.length) {
    log('Diagnostics (not Tollgate as shipped: one piece swapped through the daemon\'s injection points)');
    for (const v of variants) {
      const f1 = figures[`${v.name}@1`]!;
      const f32 = figures[`${v.name}@32`]!;
      const sat = saturation.get(v.name)!;
      log(`  ${v.name}: added p50 ${fx(f1.addedP50)} ms at c=1 (tollgate ${fx(tg1.addedP50)}), ${fx(f32.addedP50)} ms at c=32 (tollgate ${fx(tg32.addedP50)}); ` +
        `p99 at c=32 ${fx(f32.p99)} ms (tollgate ${fx(tg32.p99)}); ${sat.rps.toFixed(0)} req/s at saturation (tollgate ${satT.toFixed(0)}), ${fx(cpuPerRequest(sat).target)} CPU ms per call (tollgate ${fx(cpuPerRequest(saturation.get('tollgate')!).target)}); ` +
        `peak RSS ${mb(variantPeaks.get(v.name) ?? null)} MB`);
      const m = v.memoryPeaks();
      // The output kept is the last 20 KB: about the last minute of samples, which covers the saturation phases.
      if (m) log(`    its memory at the end of the run (peaks over the last minute): V8 heap ${mb(m.heapTotal)} MB (${mb(m.heapUsed)} MB used), external ${mb(m.external)} MB, RSS ${mb(m.rss)} MB: ${mb(m.rss - m.heapTotal)} MB outside the V8 heap`);
    }
  }
  if (rows.some((x) => !x.pass)) log('Where a target is missed: npm run bench -- --profile shows where the daemon\'s time goes.');

  const file = writeResults(stamp(), {
    kind: 'suite', startedAt: started.toISOString(), finishedAt: new Date().toISOString(), machine: machine(),
    peers: { nginx: nginxVersion, portkey: portkeyVersion }, daemonEnv: DAEMON_ENV, counts: { ...COUNTS, saturationConcurrency: SAT_CONCURRENCY },
    tollgate: { settings, idle, load, after, metered, outputTail: tg.daemon.output.slice(-6000) },
    memory: {
      nginxPeak: samplers.nginx.peak, portkeyPeak: samplers.portkey.peak, variantPeaks: Object.fromEntries(variantPeaks),
      variantMemory: Object.fromEntries(variants.map((v) => [v.name, v.memoryPeaks()])),
    },
    figures, saturation: Object.fromEntries([...saturation].map(([k, p]) => [k, { ...p, cpuMsPerRequest: cpuPerRequest(p) }])),
    scan, model, status, targets: rows, phases,
  });
  log(`raw figures: ${file}`);
}

function logTargets(rows: TargetRow[], title = 'Targets (issue 5)'): void {
  log();
  log(title);
  log(table(['check', 'measured', 'target', ''], rows.map((x) => [x.check, x.shown, x.target, x.pass ? 'PASS' : 'MISS'])));
}

function scanRow(scan: ScanResult): TargetRow {
  return row('credential scan of a 1 MiB request body, p50', scan.full.p50, `≤ ${TARGET_SCAN_MS} ms`, (v) => v <= TARGET_SCAN_MS, 'ms');
}

function statusRow(status: StatusResult): TargetRow {
  return row('tollgate status, wall time, p50', status.wallMs.p50, `≤ ${TARGET_STATUS_MS} ms`, (v) => v <= TARGET_STATUS_MS, 'ms',
    `max ${fx(status.wallMs.max)} ms`);
}

// --- --status: the operator's glance alone ---------------------------------------------------------------

async function statusOnly(cleanup: Cleanup): Promise<void> {
  log(`Tollgate bench --status, ${new Date().toISOString()}: ${CORES} cores (${cpus()[0]?.model ?? '?'}), load average ${loadavg().map((v) => v.toFixed(2)).join(' ')}`);
  const r = await rig(cleanup);
  const tg = await startTollgate({ home: join(r.tmp, 'home'), service: r.service, caFile: r.pki.caCertPath, env: DAEMON_ENV, integration: { baseUrl: r.upstreamUrl, key: r.key } });
  cleanup.add('stop the daemon', () => tg.daemon.stop().catch(() => tg.daemon.kill9()));
  cleanup.add('close the control client', () => tg.control.close());
  log(`tollgate daemon pid ${tg.daemon.pid}; the command ${daemonBuild()}`);
  const status = await runStatus({ home: join(r.tmp, 'home'), daemonPid: tg.daemon.pid, quick: args.quick, log });
  const rows = [statusRow(status)];
  logTargets(rows, 'Targets (issue 12)');
  log(`raw figures: ${writeResults(`${stamp()}-status`, { kind: 'status', machine: machine(), status, targets: rows })}`);
}

// --- --ledger: the shared ledger (issue 13) -----------------------------------------------------------------

async function ledgerOnly(cleanup: Cleanup): Promise<void> {
  const started = new Date();
  log(`Tollgate bench --ledger, ${started.toISOString()}: ${CORES} cores (${cpus()[0]?.model ?? '?'}), load average ${loadavg().map((v) => v.toFixed(2)).join(' ')}`);
  const r = await rig(cleanup);
  log(`upstream ${r.upstreamUrl} (pid ${r.upstream.pid}); the daemons ${daemonBuild()}`);
  const caller = (agentSocket: string) => {
    const { target, agent } = agentTarget('tollgate', agentSocket, 0);
    return { call: target.call, close: () => agent.close() };
  };
  const ledger = await runLedger({ tmp: r.tmp, service: r.service, upstreamUrl: r.upstreamUrl, key: r.key, caFile: r.pki.caCertPath, env: DAEMON_ENV, caller },
    { quick: args.quick, log, cleanup: (what, fn) => cleanup.add(what, fn) });
  log(`raw figures: ${writeResults(`${stamp()}-ledger`, { kind: 'ledger', startedAt: started.toISOString(), finishedAt: new Date().toISOString(), machine: machine(), ledger })}`);
}

// --- profile -----------------------------------------------------------------------------------------

async function profile(cleanup: Cleanup): Promise<void> {
  const started = new Date();
  log(`Tollgate bench --profile, ${started.toISOString()}: load average ${loadavg().map((v) => v.toFixed(2)).join(' ')}`);
  const r = await rig(cleanup);
  const keyringPids = Object.values(keyringProcesses()).flat();
  const name = stamp();
  mkdirSync(RESULTS, { recursive: true });
  // One daemon per load, so that each profile shows one regime: c=1 (latency), c=32 (throughput).
  const loads = args.quick
    ? [{ concurrency: 1, warmup: 200, requests: 1000 }, { concurrency: 32, warmup: 500, requests: 4000 }]
    : [{ concurrency: 1, warmup: 300, requests: 4000 }, { concurrency: 32, warmup: 1000, requests: 15_000 }];
  const results = [];
  for (const l of loads) {
    const profDir = join(r.tmp, `prof-c${l.concurrency}`);
    mkdirSync(profDir);
    const tg = await startTollgate({
      home: join(r.tmp, `home-c${l.concurrency}`), service: r.service, caFile: r.pki.caCertPath,
      nodeOptions: `--cpu-prof --cpu-prof-dir=${profDir} --cpu-prof-interval=250`,
      integration: { baseUrl: r.upstreamUrl, key: r.key },
    });
    cleanup.add('stop a daemon', () => tg.daemon.stop().catch(() => tg.daemon.kill9()));
    const { target, agent } = tollgateTarget(tg);
    await runLoad({ concurrency: l.concurrency, requests: l.warmup, maxMs: PHASE_MAX_MS, call: target.call });
    const before = await r.stats();
    const watch = new CpuWatch({ daemon: [tg.daemon.pid], keyring: keyringPids, upstream: [r.upstream.pid], client: [process.pid] });
    const res = await runLoad({ concurrency: l.concurrency, requests: l.requests, maxMs: 180_000, call: target.call });
    const cpu = watch.finish();
    const upstreamConnections = (await r.stats()).connections - before.connections;
    const calls = l.warmup + res.ok + res.errors;
    const s = summarize(res.latencies);
    const per = Object.fromEntries(Object.entries(cpu.groups).map(([k, v]) => [k, round((v * 1000) / Math.max(1, res.ok), 3)]));
    log(`c=${l.concurrency}: ${res.ok} calls (after ${l.warmup} unmeasured), p50 ${s.p50.toFixed(3)} ms, p99 ${s.p99.toFixed(3)} ms, ${res.rps.toFixed(0)}/s; ` +
      `CPU ms per call ${JSON.stringify(per)}; ${upstreamConnections} new upstream TLS connections; other load ${(cpu.other / cpu.wallSeconds).toFixed(2)} cores`);
    await agent.close();
    await tg.control.close();
    await tg.daemon.stop(); // SIGTERM: a clean exit writes the profile
    const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error(`the daemon wrote no CPU profile:\n${tg.daemon.output}`);
    const kept = join(RESULTS, `${name}-daemon-c${l.concurrency}.cpuprofile`);
    copyFileSync(join(profDir, file), kept);
    const summary: ProfileSummary = summarizeProfile(kept, 25);
    const perCall = (summary.busyMs - summary.startupMs) / calls;
    log(`  daemon main thread: ${summary.wallMs} ms profiled, ${summary.busyMs} ms busy, of which start-up ${summary.startupMs} ms; ` +
      `${perCall.toFixed(3)} ms busy per call over ${calls} calls; GC ${summary.gcMs} ms`);
    const show = (title: string, costs: ProfileSummary['topSelf'], n: number) => {
      log();
      log(`  ${title}`);
      log(table(['', 'ms', '% of busy', 'µs per call'], costs.slice(0, n).map((c) => [c.name.slice(0, 100), c.ms.toFixed(1), c.pct.toFixed(1), ((c.ms * 1000) / calls).toFixed(0)])));
    };
    show('By area (self time)', summary.byArea, 15);
    show('Top functions (self time)', summary.topSelf, 20);
    show('Tollgate functions (inclusive time)', summary.tollgateInclusive, 20);
    log();
    log('  Who calls the heaviest functions');
    for (const c of summary.callers) {
      for (const ch of c.chains) log(`    ${c.fn} (${ch.ms} ms) ← ${ch.callers.slice(0, 5).join(' ← ')}`);
    }
    log(`  profile: ${kept} (open it in Chrome DevTools → Performance)`);
    log();
    results.push({ ...l, latencyMs: s, rps: round(res.rps, 1), errors: res.errors, upstreamConnections, cpuMsPerCall: per, otherCores: round(cpu.other / cpu.wallSeconds, 2), busyMsPerCall: round(perCall, 3), profile: summary });
  }

  // What the resident memory is made of, in a fresh process.
  const probe = new Child('memory probe', process.execPath, ['--expose-gc', join(BENCH, 'lib', 'memory-probe.mjs')], { env: { ...process.env, NODE_OPTIONS: '' } });
  await probe.exited;
  const memory = JSON.parse(probe.output.trim().split('\n').at(-1) ?? '{}') as { steps?: { what: string; rssMb: number; addedMb: number; ms?: number; msEach?: number }[] };
  log('Resident memory at start-up, step by step (a fresh process loading what the daemon loads)');
  log(table(['step', 'RSS MB', 'added MB', 'ms'], (memory.steps ?? []).map((m) => [m.what, m.rssMb.toFixed(1), m.addedMb.toFixed(1), m.ms !== undefined ? m.ms.toFixed(1) : m.msEach !== undefined ? `${m.msEach} each` : ''])));
  const out = writeResults(`${name}-profile`, { kind: 'profile', startedAt: started.toISOString(), machine: machine(), loads: results, memory });
  log(`summary: ${out}`);
}

// --- --soak: memory over many calls ---------------------------------------------------------------------

/**
 * The daemon's resident memory over a long run at c=64 (sampled after every tenth of it, then
 * after a minute idle), and the keychain read's own growth per thousand reads in a fresh process:
 * whether memory levels off or keeps growing, and what of it is the keychain's.
 */
async function soak(cleanup: Cleanup): Promise<void> {
  const started = new Date();
  const calls = args.quick ? 15_000 : 60_000;
  log(`Tollgate bench --soak, ${started.toISOString()}: ${calls.toLocaleString('en')} calls at c=${SAT_CONCURRENCY}`);
  const r = await rig(cleanup);
  const tg = await startTollgate({ home: join(r.tmp, 'home'), service: r.service, caFile: r.pki.caCertPath, env: DAEMON_ENV, integration: { baseUrl: r.upstreamUrl, key: r.key } });
  cleanup.add('stop the daemon', () => tg.daemon.stop().catch(() => tg.daemon.kill9()));
  cleanup.add('close the control client', () => tg.control.close());
  const { target, agent } = tollgateTarget(tg);
  cleanup.add('close the client', () => agent.destroy());
  const pid = tg.daemon.pid;
  const samples: { calls: number; rss: number | null }[] = [{ calls: 0, rss: rss(pid) }];
  let done = 0;
  for (let part = 1; part <= 10; part++) {
    const res = await runLoad({ concurrency: SAT_CONCURRENCY, requests: calls / 10, maxMs: 600_000, call: (i) => target.call(done + i) });
    if (res.errors) throw new Error(`${res.errors} calls failed: ${res.errorSamples.join('; ')}`);
    done += calls / 10;
    samples.push({ calls: done, rss: rss(pid) });
    log(`  ${done.toLocaleString('en')} calls: VmRSS ${mb(samples.at(-1)!.rss)} MB`);
  }
  await new Promise((resolve) => setTimeout(resolve, 60_000));
  const idleAfter = rss(pid);
  log(`  a minute idle after: VmRSS ${mb(idleAfter)} MB (VmHWM ${mb(peakRss(pid))} MB)`);
  // Growth over the second half, where start-up and the heap's first growth are behind.
  const half = samples[5]!;
  const last = samples.at(-1)!;
  const daemonKbPer1000 = ((last.rss! - half.rss!) / 1024) / ((last.calls - half.calls) / 1000);

  const probe = new Child('keychain soak', process.execPath, ['--expose-gc', join(BENCH, 'lib', 'keychain-soak.mjs'), String(calls / 3)], { env: { ...process.env, NODE_OPTIONS: '' } });
  await probe.exited;
  const k = JSON.parse(probe.output.trim().split('\n').at(-1) ?? '{}') as { reads: number; beforeKb: number; afterKb: number; missingAfterKb: number };
  const keychainKbPer1000 = (k.afterKb - k.beforeKb) / (k.reads / 1000);
  const missingKbPer1000 = (k.missingAfterKb - k.afterKb) / (k.reads / 1000);
  log();
  log(table(['', 'KB per 1 000'], [
    ['daemon, calls over the second half', daemonKbPer1000.toFixed(0)],
    ['keytar.getPassword alone, an existing item', keychainKbPer1000.toFixed(0)],
    ['keytar.getPassword alone, a missing item', missingKbPer1000.toFixed(0)],
  ]));
  const file = writeResults(`${stamp()}-soak`, {
    kind: 'soak', startedAt: started.toISOString(), machine: machine(), calls, samples, idleAfter, peak: peakRss(pid),
    daemonKbPer1000: round(daemonKbPer1000, 1), keychain: { ...k, kbPer1000: round(keychainKbPer1000, 2), missingKbPer1000: round(missingKbPer1000, 2) },
  });
  log(`raw figures: ${file}`);
}

// --- --scan: the credential scan alone -------------------------------------------------------------------

function scanOnly(): void {
  log(`Tollgate bench --scan, ${new Date().toISOString()}: ${CORES} cores (${cpus()[0]?.model ?? '?'}), load average ${loadavg().map((v) => v.toFixed(2)).join(' ')}`);
  const scan = runScan({ quick: args.quick, log });
  const rows = [scanRow(scan)];
  logTargets(rows, 'Targets (issue 9)');
  log(`raw figures: ${writeResults(`${stamp()}-scan`, { kind: 'scan', machine: machine(), scan, targets: rows })}`);
}

// --- --model: the model-provider phase alone -------------------------------------------------------------

function modelRig(r: Rig, tg: TollgateUnderBench, portkey: { url: string; pid: number } | null, keyringPids: number[]): ModelRig {
  return {
    upstreamUrl: r.upstreamUrl, upstreamPid: r.upstream.pid, caPem: r.pki.caPem, key: r.key,
    control: tg.control, agentSocket: tg.agentSocket, daemonPid: tg.daemon.pid, portkey, keyringPids,
  };
}

async function modelOnly(cleanup: Cleanup): Promise<void> {
  const started = new Date();
  log(`Tollgate bench --model, ${started.toISOString()}: ${CORES} cores (${cpus()[0]?.model ?? '?'}), ${round(totalmem() / 2 ** 30, 1)} GiB, load average ${loadavg().map((v) => v.toFixed(2)).join(' ')}`);
  const portkeyVersion = ensurePortkey(log);
  log(`peer: @portkey-ai/gateway ${portkeyVersion}`);
  const r = await rig(cleanup);
  const keyringPids = Object.values(keyringProcesses()).flat();
  const tg = await startTollgate({ home: join(r.tmp, 'home'), service: r.service, caFile: r.pki.caCertPath, env: DAEMON_ENV });
  cleanup.add('stop the daemon', () => tg.daemon.stop().catch(() => tg.daemon.kill9()));
  cleanup.add('close the control client', () => tg.control.close());
  const portkey = await startPortkey({ caFile: r.pki.caCertPath });
  cleanup.add('stop portkey', () => portkey.stop());
  log(`upstream ${r.upstreamUrl} (pid ${r.upstream.pid}); tollgate daemon pid ${tg.daemon.pid} (${daemonBuild()}); portkey at ${portkey.url} (pid ${portkey.pid})`);
  const model: ModelResult = await runModel(modelRig(r, tg, portkey, keyringPids), { quick: args.quick, log, onCleanup: (what, fn) => cleanup.add(what, fn) });
  logTargets(model.targets, 'Targets (issue 10)');
  log(`raw figures: ${writeResults(`${stamp()}-model`, {
    kind: 'model', startedAt: started.toISOString(), finishedAt: new Date().toISOString(), machine: machine(), peers: { portkey: portkeyVersion }, daemonEnv: DAEMON_ENV,
    model, targets: model.targets, daemonOutputTail: tg.daemon.output.slice(-4000),
  })}`);
}

// --- main ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  if (args.help) {
    log('usage: npm run bench [-- --scale [--records N] [--verify] | --profile | --soak | --scan | --model | --status | --ledger] [--quick] [--rounds N] [--diagnose] [--daemon-env KEY=VALUE ...]');
    return;
  }
  if (args.rounds) COUNTS.rounds = Math.max(1, Math.min(10, Number(args.rounds) || 1));
  const cleanup = new Cleanup();
  let interrupted = false;
  const onSignal = (signal: string) => {
    if (interrupted) return;
    interrupted = true;
    console.error(`bench: ${signal}: cleaning up`);
    void cleanup.run().then(() => process.exit(130));
  };
  process.once('SIGINT', () => onSignal('SIGINT'));
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  try {
    if (args.scale) {
      const records = args.records ? Number(args.records) : 10_000_000;
      if (!Number.isInteger(records) || records < 1000 || records > 50_000_000) throw new Error('--records must be an integer from 1000 to 50000000');
      const result = await runScale({ records, verify: args.verify, log, cleanup: (what, fn) => cleanup.add(what, fn) });
      const file = writeResults(`${stamp()}-scale`, { kind: 'scale', machine: machine(), ...result });
      log(`raw figures: ${file}`);
    } else if (args.profile) {
      await profile(cleanup);
    } else if (args.soak) {
      await soak(cleanup);
    } else if (args.scan) {
      scanOnly();
    } else if (args.model) {
      await modelOnly(cleanup);
    } else if (args.status) {
      await statusOnly(cleanup);
    } else if (args.ledger) {
      await ledgerOnly(cleanup);
    } else {
      await suite(cleanup);
    }
  } finally {
    await cleanup.run();
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exit(1);
  },
);
