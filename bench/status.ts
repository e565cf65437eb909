// `tollgate status` as the operator types it (issue 12): the command setup.sh puts on PATH
// (resources/tollgate, which runs daemon/bin.mjs with the project's Node) against a running daemon,
// timed from spawn to exit. Each run is a whole new process, as at a terminal.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../daemon/install.ts';
import { CORES, CpuWatch, endedChildrenCpuSeconds } from './lib/proc.ts';
import { fx } from './lib/report.ts';
import { summarize, type Summary } from './lib/stats.ts';

/** Issue 12's budget for `tollgate status`, wall time. */
export const TARGET_STATUS_MS = 300;
const LAUNCHER = join(PROJECT_ROOT, 'resources', 'tollgate');

export interface StatusResult {
  command: string;
  /** The first run: it may fill Node's compile cache after a change of the sources. */
  firstMs: number;
  /** The runs after it. */
  wallMs: Summary;
  /** CPU ms a run: the command's own processes (launcher, Node), and the daemon answering it. */
  cpuMsPerRun: { command: number; daemon: number };
  /** Cores other work on the machine kept busy meanwhile, on average (a busy machine slows every run). */
  otherCores: number;
}

/** One `tollgate status` against the daemon of `home`: its wall time in ms; throws unless it printed the status. */
function once(home: string): Promise<number> {
  const env: NodeJS.ProcessEnv = { ...process.env, TOLLGATE_HOME: home };
  delete env.NODE_OPTIONS;
  const started = performance.now();
  const child = spawn(LAUNCHER, ['status'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => { out += s; });
  child.stderr.setEncoding('utf8').on('data', (s: string) => { out += s; });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      const ms = performance.now() - started;
      if (code === 0 && out.startsWith('Period from')) resolve(ms);
      else reject(new Error(`tollgate status exited ${code}: ${out}`));
    });
  });
}

export async function runStatus(o: { home: string; daemonPid: number; quick: boolean; log: (line: string) => void }): Promise<StatusResult> {
  const runs = o.quick ? 10 : 30;
  const firstMs = await once(o.home);
  const times: number[] = [];
  const watch = new CpuWatch({ daemon: [o.daemonPid], bench: [process.pid] });
  const children0 = endedChildrenCpuSeconds();
  for (let i = 0; i < runs; i++) times.push(await once(o.home));
  const children = endedChildrenCpuSeconds() - children0;
  const cpu = watch.finish();
  const wallMs = summarize(times);
  const cpuMsPerRun = { command: (children * 1000) / runs, daemon: (cpu.groups.daemon! * 1000) / runs };
  const otherCores = Math.max(0, cpu.other - children) / cpu.wallSeconds;
  o.log(`tollgate status (${LAUNCHER} status): first run ${fx(firstMs)} ms; then over ${runs} runs p50 ${fx(wallMs.p50)} ms, p90 ${fx(wallMs.p90)} ms, ` +
    `max ${fx(wallMs.max)} ms (wall, spawn to exit); CPU a run ${cpuMsPerRun.command.toFixed(0)} ms (the daemon's answer ${cpuMsPerRun.daemon.toFixed(1)} ms); ` +
    `other work on the machine meanwhile ${otherCores.toFixed(2)} of ${CORES} cores`);
  return { command: `${LAUNCHER} status`, firstMs, wallMs, cpuMsPerRun, otherCores };
}
