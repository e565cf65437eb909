// Reads a V8 CPU profile (node --cpu-prof) and says where the main thread's time went: by
// function (self time), by file or package, and the inclusive time of Tollgate's own functions.
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface Cost {
  name: string;
  ms: number;
  /** Share of the profile's busy (non-idle) time, %. */
  pct: number;
}

export interface CallChain {
  fn: string;
  /** Its heaviest call chains (callers, nearest first), with the self time spent under each. */
  chains: { ms: number; callers: string[] }[];
}

export interface ProfileSummary {
  file: string;
  /** Inclusive time of the entry module's top-level evaluation (loading the daemon). */
  startupMs: number;
  wallMs: number;
  busyMs: number;
  idleMs: number;
  gcMs: number;
  topSelf: Cost[];
  byArea: Cost[];
  tollgateInclusive: Cost[];
  callers: CallChain[];
}

function shortUrl(url: string): string {
  if (!url) return '';
  const u = url.replace(/^file:\/\//, '');
  const nm = u.lastIndexOf('/node_modules/');
  if (nm >= 0) return u.slice(nm + '/node_modules/'.length);
  const d = u.indexOf('/daemon/');
  if (d >= 0) return u.slice(d + 1);
  // The daemon's JavaScript build (out/lib/x.js), named by its source (daemon/x.ts).
  const b = u.indexOf('/out/lib/');
  if (b >= 0) return `daemon/${u.slice(b + '/out/lib/'.length).replace(/\.js$/, '.ts')}`;
  return u;
}

function area(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native / V8 builtins)';
  const s = shortUrl(url);
  if (s.startsWith('daemon/')) return `tollgate ${s.split('/').slice(0, 2).join('/')}`;
  if (url.startsWith('node:')) {
    const m = /^node:internal\/([^/]+)/.exec(url);
    return `node ${m ? m[1] : url.slice(5)}`;
  }
  const pkg = s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]!;
  return `npm ${pkg}`;
}

function key(n: ProfileNode): string {
  const f = n.callFrame;
  const where = shortUrl(f.url);
  return `${f.functionName || '(anonymous)'}${where ? ` ${where}:${f.lineNumber + 1}` : ''}`;
}

export function summarizeProfile(file: string, top = 20): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  // timeDeltas[i] is the time since the sample before: it belongs to that earlier sample.
  for (let i = 0; i < p.samples.length; i++) {
    const us = p.timeDeltas[i + 1] ?? 0;
    self.set(p.samples[i]!, (self.get(p.samples[i]!) ?? 0) + us);
  }
  const wallMs = (p.endTime - p.startTime) / 1000;
  let idle = 0;
  let gc = 0;
  let total = 0;
  const selfByKey = new Map<string, number>();
  const byArea = new Map<string, number>();
  for (const n of p.nodes) {
    const us = self.get(n.id) ?? 0;
    total += us;
    const fn = n.callFrame.functionName;
    if (fn === '(idle)') idle += us;
    if (fn === '(garbage collector)') gc += us;
    if (fn === '(idle)' || fn === '(root)') continue;
    selfByKey.set(key(n), (selfByKey.get(key(n)) ?? 0) + us);
    const a = area(n.callFrame.url, fn);
    byArea.set(a, (byArea.get(a) ?? 0) + us);
  }
  const busy = total - idle;

  // Inclusive time of Tollgate's functions, each counted once per stack (recursion aside).
  const inclusive = new Map<string, number>();
  const root = p.nodes[0]!;
  const inclusiveOf = new Map<number, number>();
  const incl = (n: ProfileNode): number => {
    let t = self.get(n.id) ?? 0;
    for (const c of n.children ?? []) t += incl(byId.get(c)!);
    inclusiveOf.set(n.id, t);
    return t;
  };
  incl(root);
  const walk = (n: ProfileNode, onStack: Set<string>): void => {
    const k = key(n);
    const mine = shortUrl(n.callFrame.url).startsWith('daemon/') && !onStack.has(k);
    if (mine) inclusive.set(k, (inclusive.get(k) ?? 0) + inclusiveOf.get(n.id)!);
    if (mine) onStack.add(k);
    for (const c of n.children ?? []) walk(byId.get(c)!, onStack);
    if (mine) onStack.delete(k);
  };
  walk(root, new Set());

  // Start-up: the top-level evaluation of the entry module (bin.mjs) and what it loads.
  let startup = 0;
  for (const n of p.nodes) {
    if (n.callFrame.functionName === '' && /\/daemon\/bin\.mjs$/.test(n.callFrame.url)) startup += inclusiveOf.get(n.id) ?? 0;
  }

  // Who calls the heaviest functions: a native function's self time means little without it.
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const topKeys = [...selfByKey.entries()].filter(([k]) => !k.startsWith('(')).sort((a, b) => b[1] - a[1]).slice(0, 8).map(([k]) => k);
  const callers: CallChain[] = topKeys.map((fn) => {
    const chains = new Map<string, number>();
    for (const n of p.nodes) {
      if (key(n) !== fn) continue;
      const chain: string[] = [];
      for (let id = parent.get(n.id), d = 0; id !== undefined && d < 6; id = parent.get(id), d++) chain.push(key(byId.get(id)!));
      const k = chain.join('\n');
      chains.set(k, (chains.get(k) ?? 0) + (self.get(n.id) ?? 0));
    }
    return {
      fn,
      chains: [...chains.entries()].sort((a, b) => b[1] - a[1]).slice(0, 2)
        .map(([k, us]) => ({ ms: Number((us / 1000).toFixed(1)), callers: k.split('\n') })),
    };
  });

  const costs = (m: Map<string, number>, n: number): Cost[] => [...m.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, us]) => ({ name, ms: Number((us / 1000).toFixed(1)), pct: Number(((100 * us) / busy).toFixed(1)) }));
  return {
    file,
    startupMs: Number((startup / 1000).toFixed(0)),
    wallMs: Number(wallMs.toFixed(0)),
    busyMs: Number((busy / 1000).toFixed(0)),
    idleMs: Number((idle / 1000).toFixed(0)),
    gcMs: Number((gc / 1000).toFixed(0)),
    topSelf: costs(selfByKey, top),
    byArea: costs(byArea, top),
    tollgateInclusive: costs(inclusive, top),
    callers,
  };
}
