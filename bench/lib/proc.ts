// Processes of a bench run: a registry that ends every child this run started (by its own pid,
// never by name), and readers of /proc for memory (VmRSS, VmHWM) and CPU time, so that a figure
// can say how much of the machine each party used and how much went to other people's work.
import { type ChildProcess, spawn, type SpawnOptions } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A child this run started; its output is kept (bounded) for error messages. */
export class Child {
  readonly proc: ChildProcess;
  readonly pid: number;
  readonly name: string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private out = '';
  private done = false;

  constructor(name: string, command: string, args: string[], opts: SpawnOptions = {}) {
    this.name = name;
    this.proc = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    if (this.proc.pid === undefined) throw new Error(`could not start ${name} (${command})`);
    this.pid = this.proc.pid;
    const keep = (s: string) => {
      this.out = (this.out + s).slice(-20_000);
    };
    this.proc.stdout?.setEncoding('utf8').on('data', keep);
    this.proc.stderr?.setEncoding('utf8').on('data', keep);
    this.exited = new Promise((resolve) => {
      this.proc.once('close', (code, signal) => {
        this.done = true;
        live.delete(this);
        resolve({ code, signal });
      });
    });
    live.add(this);
  }

  get output(): string {
    return this.out;
  }

  get running(): boolean {
    return !this.done;
  }

  /** Waits until the output matches `pattern`; throws if the child exits first or time runs out. */
  async waitForOutput(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.out.match(pattern);
      if (m) return m;
      if (this.done) throw new Error(`${this.name} exited before printing ${pattern}:\n${this.out}`);
      if (Date.now() > deadline) throw new Error(`${this.name} did not print ${pattern} within ${timeoutMs} ms:\n${this.out}`);
      await sleep(20);
    }
  }

  /** Sends `signal`, waits up to `timeoutMs`, then SIGKILL. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 10_000): Promise<void> {
    if (this.done) return;
    this.proc.kill(signal);
    const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), timeoutMs).unref());
    if ((await Promise.race([this.exited, timer])) === 'timeout') {
      this.proc.kill('SIGKILL');
      await this.exited;
    }
  }
}

const live = new Set<Child>();
// Whatever happens to this process, its children do not outlive it.
process.once('exit', () => {
  for (const c of live) c.proc.kill('SIGKILL');
});

/** Stops every child still running (in parallel). */
export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((c) => c.stop()));
}

function status(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
}

function kb(text: string | null, field: string): number | null {
  const m = text?.match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
  return m ? Number(m[1]) * 1024 : null;
}

/** Resident set size now, in bytes (null once the process is gone). */
export function rss(pid: number): number | null {
  return kb(status(pid), 'VmRSS');
}

/** Peak resident set size since the process started (VmHWM), in bytes. */
export function peakRss(pid: number): number | null {
  return kb(status(pid), 'VmHWM');
}

interface Stat {
  ppid: number;
  comm: string;
  /** user + system CPU time, in clock ticks. */
  ticks: number;
}

function stat(pid: number): Stat | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const open = s.indexOf('(');
    const close = s.lastIndexOf(')');
    const rest = s.slice(close + 2).split(' ');
    // Fields after the comm: state(3) ppid(4) ... utime(14) stime(15), so rest[0] is field 3.
    return { comm: s.slice(open + 1, close), ppid: Number(rest[1]), ticks: Number(rest[11]) + Number(rest[12]) };
  } catch {
    return null;
  }
}

function allPids(): number[] {
  return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number);
}

/** Pids whose parent is `ppid`. */
export function childrenOf(ppid: number): number[] {
  return allPids().filter((p) => stat(p)?.ppid === ppid);
}

/**
 * The private keyring and D-Bus daemon that test/with-keyring.sh started for this run (children of
 * one of this process's ancestors), or none when an existing Secret Service was used.
 */
export function keyringProcesses(): { keyring: number[]; dbus: number[] } {
  const ancestors = new Set<number>();
  let p = process.ppid;
  for (let i = 0; i < 8 && p > 1; i++) {
    ancestors.add(p);
    p = stat(p)?.ppid ?? 0;
  }
  const keyring: number[] = [];
  const dbus: number[] = [];
  for (const pid of allPids()) {
    const s = stat(pid);
    if (!s || !ancestors.has(s.ppid)) continue;
    if (s.comm.startsWith('gnome-keyring')) keyring.push(pid);
    if (s.comm === 'dbus-daemon') dbus.push(pid);
  }
  return { keyring, dbus };
}

const TICKS_PER_SECOND = 100; // Linux USER_HZ on every architecture Node supports

/** CPU seconds used so far by these processes together (those still alive). */
export function cpuSeconds(pids: number[]): number {
  let ticks = 0;
  for (const p of pids) ticks += stat(p)?.ticks ?? 0;
  return ticks / TICKS_PER_SECOND;
}

/** CPU seconds of this process's children that have ended and been waited for (cutime + cstime). */
export function endedChildrenCpuSeconds(): number {
  const s = readFileSync('/proc/self/stat', 'utf8');
  const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[13]) + Number(rest[14])) / TICKS_PER_SECOND; // fields 16 and 17
}

/** Busy CPU seconds of the whole machine so far, all cores together. */
export function machineBusySeconds(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal
  const busy = (v[0] ?? 0) + (v[1] ?? 0) + (v[2] ?? 0) + (v[5] ?? 0) + (v[6] ?? 0) + (v[7] ?? 0);
  return busy / TICKS_PER_SECOND;
}

export const CORES = cpus().length;

/**
 * Watches CPU use over an interval: of named groups of processes, and of the machine. Whatever the
 * machine used beyond the groups is "other" (other people's tests, the OS).
 */
export class CpuWatch {
  private readonly groups: Record<string, number[]>;
  private readonly start: Record<string, number> = {};
  private readonly machine0 = machineBusySeconds();
  private readonly t0 = performance.now();

  constructor(groups: Record<string, number[]>) {
    this.groups = groups;
    for (const [k, pids] of Object.entries(groups)) this.start[k] = cpuSeconds(pids);
  }

  /** CPU seconds of each group, of the machine, and of everything else, over the interval. */
  finish(): { wallSeconds: number; groups: Record<string, number>; machine: number; other: number } {
    const wallSeconds = (performance.now() - this.t0) / 1000;
    const groups: Record<string, number> = {};
    let ours = 0;
    for (const [k, pids] of Object.entries(this.groups)) {
      groups[k] = cpuSeconds(pids) - this.start[k]!;
      ours += groups[k];
    }
    const machine = machineBusySeconds() - this.machine0;
    return { wallSeconds, groups, machine, other: Math.max(0, machine - ours) };
  }
}

/** Samples the RSS of a process every `everyMs` until stopped; keeps the peak. */
export class RssSampler {
  private readonly pid: () => number[];
  private timer: NodeJS.Timeout | null = null;
  peak = 0;
  samples = 0;

  constructor(pids: () => number[]) {
    this.pid = pids;
  }

  sample(): number {
    let total = 0;
    for (const p of this.pid()) total += rss(p) ?? 0;
    this.peak = Math.max(this.peak, total);
    this.samples++;
    return total;
  }

  start(everyMs = 50): void {
    this.timer ??= setInterval(() => this.sample(), everyMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
