// Tollgate under bench: a real daemon process (node daemon/bin.mjs daemon, via the tests'
// DaemonProcess) with its own TOLLGATE_HOME and keychain service, the test CA trusted, and one
// integration with costPointer pricing against the bench upstream, created and keyed over the
// control socket as an operator would.
import { fileURLToPath } from 'node:url';
import { ControlClient } from '../daemon/client/control-client.ts';
import type { CreateIntegration } from '../daemon/control-types.ts';
import { resolvePaths } from '../daemon/paths.ts';
import { DaemonProcess } from '../test/helpers/daemon-process.ts';
import { Child } from './lib/proc.ts';

export const INTEGRATION = 'bench-search';
export const PURPOSE = 'bench: find sources on SQLite WAL mode';

/** Like Exa: a provider-reported cost read from the answer, a maximum reserved per call. */
export function benchIntegration(baseUrl: string): CreateIntegration {
  return {
    name: INTEGRATION,
    purpose: 'Benchmark of the call path (npm run bench)',
    account: 'bench@example.org',
    baseUrl,
    auth: { type: 'header', name: 'x-api-key' },
    routes: [{ method: 'POST', path: '/search' }],
    pricing: { costPointer: '/costDollars/total', maxPerRequestUsd: 0.01 },
    // High enough for every call of a run; the rate limit too (its highest allowed values).
    monthlyCapUsd: 1_000_000,
    rateLimit: { perMinute: 100_000, concurrent: 1_000 },
  };
}

export const MODEL_INTEGRATION = 'bench-anthropic';
export const MODEL_PURPOSE = 'bench: review the change to the reservation bound';

/**
 * The model-provider phase's integration: from the `anthropic` template, as an operator creates
 * it (POST /v1/integrations with the template's id), pointed at the bench's mock of the Messages
 * API; a cap and a rate limit high enough for every call of a run (the template's 120 a minute
 * would refuse the bench), and the key stored. Returns the largest request body it forwards.
 */
export async function createModelIntegration(control: ControlClient, baseUrl: string, key: string): Promise<number> {
  const view = await control.createIntegration({
    template: 'anthropic',
    name: MODEL_INTEGRATION,
    purpose: 'Benchmark of a model provider\'s streamed calls (npm run bench -- --model)',
    account: 'bench@example.org',
    baseUrl,
    monthlyCapUsd: 1_000_000,
    rateLimit: { perMinute: 100_000, concurrent: 1_000 },
  });
  await control.setKey(MODEL_INTEGRATION, key);
  return view.spec.maxRequestBytes ?? (await control.settings()).maxRequestBytes;
}

export interface TollgateUnderBench {
  daemon: DaemonProcess;
  control: ControlClient;
  agentSocket: string;
}

/** Starts the daemon; with `integration`, creates it and stores `key` for it. */
export async function startTollgate(opts: {
  home: string;
  service: string;
  caFile?: string;
  /** Extra NODE_OPTIONS for the daemon (e.g. --cpu-prof). */
  nodeOptions?: string;
  /** Extra environment variables. */
  env?: Record<string, string>;
  integration?: { baseUrl: string; key: string };
}): Promise<TollgateUnderBench> {
  const daemon = await DaemonProcess.start({
    home: opts.home,
    service: opts.service,
    caFile: opts.caFile,
    env: { ...opts.env, ...(opts.nodeOptions ? { NODE_OPTIONS: `${opts.env?.NODE_OPTIONS ?? ''} ${opts.nodeOptions}`.trim() } : {}) },
  }, 60_000);
  const control = new ControlClient(daemon.paths.controlSocket, 'bench');
  if (opts.integration) {
    await control.createIntegration(benchIntegration(opts.integration.baseUrl));
    await control.setKey(INTEGRATION, opts.integration.key);
  }
  return { daemon, control, agentSocket: daemon.paths.agentSocket };
}

/** The diagnostic variants of bench/lib/daemon-variant.ts. */
export type DaemonVariant = 'memory-keychain' | 'shared-tls';

/**
 * Diagnostic: the daemon with one piece swapped (bench/lib/daemon-variant.ts), set up the same
 * way. Not Tollgate as shipped: it measures what that piece costs.
 */
export async function startDaemonVariant(variant: DaemonVariant, opts: {
  home: string; service: string; caFile: string; env?: Record<string, string>; integration: { baseUrl: string; key: string };
}) {
  const script = fileURLToPath(new URL('./lib/daemon-variant.ts', import.meta.url));
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.NODE_OPTIONS;
  Object.assign(env, opts.env, { TOLLGATE_HOME: opts.home, TOLLGATE_KEYCHAIN_SERVICE: opts.service, NODE_EXTRA_CA_CERTS: opts.caFile, BENCH_VARIANT: variant });
  const child = new Child(`tollgate (${variant})`, process.execPath, [script], { env });
  await child.waitForOutput(/running \(pid \d+\)/, 60_000);
  const paths = resolvePaths({ TOLLGATE_HOME: opts.home });
  const control = new ControlClient(paths.controlSocket, 'bench');
  await control.createIntegration(benchIntegration(opts.integration.baseUrl));
  await control.setKey(INTEGRATION, opts.integration.key);
  return { child, control, agentSocket: paths.agentSocket, memoryPeaks: () => memoryPeaks(child.output) };
}

export interface MemoryPeaks {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

/** The highest of each figure in the "memory {...}" lines a variant printed (its last 20 KB of output). */
function memoryPeaks(output: string): MemoryPeaks | null {
  let peaks: MemoryPeaks | null = null;
  for (const m of output.matchAll(/^memory (\{.*\})$/gm)) {
    const v = JSON.parse(m[1]!) as MemoryPeaks;
    peaks = peaks
      ? { rss: Math.max(peaks.rss, v.rss), heapTotal: Math.max(peaks.heapTotal, v.heapTotal), heapUsed: Math.max(peaks.heapUsed, v.heapUsed), external: Math.max(peaks.external, v.external), arrayBuffers: Math.max(peaks.arrayBuffers, v.arrayBuffers) }
      : v;
  }
  return peaks;
}
