// `tollgate sandbox -- <command> [args]`: runs the assistant so that its only way out is Tollgate.
// Each run is a session (its own agent socket, purpose, budget and integrations), started here over
// the control socket and stopped when the command exits, with its spend printed in one line. Inside,
// the session's socket is at AGENT_SOCKET_INSIDE and, through the forwarder (forwarder.ts), on plain
// HTTP at TOLLGATE_AGENT_URL; an assistant profile (profiles.ts) points the assistant's own model
// at its governed integration. Where no sandbox can be built it refuses, in one line: the command
// never runs unsandboxed.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants as fsConstants, existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, statSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { constants, tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { ControlClient } from '../client/control-client.ts';
import type { CreateSession, IntegrationView, SessionView } from '../control-types.ts';
import { usd } from '../money.ts';
import { resolvePaths, type Paths } from '../paths.ts';
import { sandboxEnv } from './env.ts';
import { operatorFolders, realOrNull, under } from './folders.ts';
import { AGENT_SOCKET_INSIDE, alwaysHidden, bwrapArgs, forwarderInside, type Hidden, linuxSandbox, NODE_INSIDE, OWN, probeBwrap } from './linux.ts';
import { macosAlwaysHidden, macosProfile, macosSandbox, SANDBOX_EXEC } from './macos.ts';
import { type Applied, applyProfile, chooseProfile, loadProfiles, type Profile, type StandIn, standIns } from './profiles.ts';

export interface SandboxOptions {
  work: string[];
  ro: string[];
  /** The session's purpose; default: the command line. */
  purpose?: string;
  budget?: number;
  /** The integrations the session may reach; empty: every approved one. */
  allow: string[];
  assistant?: string;
  /** The integration that carries the assistant's model; default: the approved one of its template. */
  integration?: string;
  /** Default: DEFAULT_AGENT_PORT on Linux, a free one on macOS (whose loopback is the host's). */
  agentPort?: number;
}

export const DEFAULT_AGENT_PORT = 8787;

// Passed on to the command as a terminal would send them (SIGWINCH: a resized window).
const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGWINCH'];
// Folders the Linux sandbox replaces with empty ones: a program there cannot run inside.
const REPLACED = ['/tmp', '/run', '/dev/shm'];
// How often a sandbox is built again when a host socket it was to cover went away meanwhile.
const ATTEMPTS = 8;

// The forwarder next to this module: forwarder.ts in the sources, forwarder.js in their build.
const FORWARDER = fileURLToPath(new URL(`./forwarder${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url));

const say = (line: string): void => {
  process.stderr.write(`tollgate: ${line}\n`);
};

/** Runs the command in the sandbox, as a session, and exits with its exit code (128+n when signal n ended it). */
export async function runSandbox(command: string, args: string[], opts: SandboxOptions): Promise<never> {
  const paths = resolvePaths();
  if (process.platform === 'linux') {
    const refusal = probeBwrap();
    if (refusal) throw new Error(refusal);
  } else if (process.platform === 'darwin') {
    if (!existsSync(SANDBOX_EXEC)) throw new Error(`the sandbox needs ${SANDBOX_EXEC}, which this macOS does not have; the command was not run`);
  } else {
    throw new Error(`the sandbox runs on Linux (bubblewrap) and macOS (sandbox-exec), not on ${process.platform}; the command was not run`);
  }
  await agentListening(paths.agentSocket);
  const client = new ControlClient(paths.controlSocket, 'sandbox');

  const chosen = chooseProfile(loadProfiles(), command, opts.assistant);
  const profile = chosen?.profile ?? null;
  if (chosen?.byName) say(`running ${command} as ${chosen.profile.displayName} (assistant profile "${chosen.profile.id}"; --assistant <profile> picks another)`);
  const integration = profile ? await modelIntegration(client, profile, opts) : null;
  const stand = profile && integration ? modelStandIns(profile, integration, args) : [];

  const body: CreateSession = { purpose: opts.purpose ?? sessionPurpose(command, args), owner: process.pid };
  if (opts.budget !== undefined) body.budgetUsd = opts.budget;
  if (opts.allow.length) body.integrations = opts.allow;

  let code: number;
  if (process.platform === 'linux') {
    const forbidden = [...alwaysHidden(paths, process.env).map((p) => realOrNull(p) ?? p), ...OWN];
    const work = operatorFolders('--work', opts.work, forbidden);
    const ro = operatorFolders('--ro', opts.ro, forbidden);
    refuseReplacedProgram(command, [...work, ...ro]);
    const port = opts.agentPort ?? DEFAULT_AGENT_PORT;
    const url = `http://127.0.0.1:${port}`;
    const applied = profile && integration ? applyProfile(profile, url, integration.name, stand) : null;
    const session = await client.startSession(body);
    const run: Run = { work, ro, applied, url, port, ran: false };
    try {
      code = await runLinux(paths, session, command, args, run);
    } finally {
      await endSession(client, session, run.ran);
    }
  } else {
    const forbidden = macosAlwaysHidden(paths).map((p) => realOrNull(p) ?? p);
    const work = operatorFolders('--work', opts.work, forbidden);
    const ro = operatorFolders('--ro', opts.ro, forbidden);
    // No private loopback here: the port is the host's, so its URL carries a token of this run.
    const token = randomBytes(24).toString('base64url');
    const port = opts.agentPort ?? await freePort();
    const url = `http://127.0.0.1:${port}/${token}`;
    const applied = profile && integration ? applyProfile(profile, url, integration.name, stand) : null;
    const session = await client.startSession(body);
    const run = { work, ro, applied, url, port, token, ran: false };
    try {
      code = await runMacos(paths, session, command, args, run);
    } finally {
      await endSession(client, session, run.ran);
    }
  }
  process.exit(code);
}

interface Run {
  work: string[];
  ro: string[];
  applied: Applied | null;
  url: string;
  port: number;
  /** Set once the command was started (the sandbox stood). */
  ran: boolean;
}

async function runLinux(paths: Paths, session: SessionView, command: string, args: string[], run: Run): Promise<number> {
  const state = run.applied ? assistantState(run.applied) : [];
  const env = commandEnv(AGENT_SOCKET_INSIDE, run, '/tmp');
  const forwarder = [...nodeFlags(), forwarderInside(FORWARDER), '--ready-fd', '5', '--stderr-fd', '4', String(run.port), AGENT_SOCKET_INSIDE, '--'];
  for (let attempt = 1; ; attempt++) {
    const sandbox = linuxSandbox(paths, process.env, run.work, run.ro, {
      agentSocket: session.socket, state, credentials: run.applied?.hidden ?? [], node: process.execPath, forwarder: FORWARDER,
    });
    const child = spawn('bwrap', [...bwrapArgs(sandbox), '--info-fd', '3', '--', NODE_INSIDE, ...forwarder, command, ...(run.applied?.args ?? []), ...args], {
      env,
      // fd 2: bubblewrap's own messages, read here; fd 4: the terminal's stderr, for the command;
      // fd 5: one byte from the forwarder once the sandbox stands.
      stdio: ['inherit', 'inherit', 'pipe', 'pipe', 2, 'pipe'],
      detached: true,
    });
    let ready = false;
    let bwrapSaid = '';
    (child.stdio as unknown as Readable[])[5]!.once('data', () => {
      ready = true;
      run.ran = true;
    });
    (child.stdio[2] as Readable).setEncoding('utf8').on('data', (s: string) => {
      if (ready) process.stderr.write(s);
      else bwrapSaid += s;
    });
    const code = await passThrough(child, sandboxInit(child));
    if (ready) return code;
    await new Promise<void>((done) => {
      (child.stdio[2] as Readable).once('close', done);
      setTimeout(done, 500).unref();
    });
    const reason = bwrapSaid.trim().split('\n').pop() ?? '';
    // A host socket it was to cover went away (or appeared) while the sandbox was being built.
    const covered = /Can't (?:create file at|find source path|bind mount \S+ on) (\S+?):/.exec(reason)?.[1];
    if (covered && sandbox.sockets.some((s) => covered.endsWith(s)) && attempt < ATTEMPTS) continue;
    if (bwrapSaid && !reason.startsWith('bwrap:')) process.stderr.write(bwrapSaid);
    if (reason.startsWith('bwrap:') || code === 1) throw new Error(`bubblewrap could not build the sandbox (${reason || `exit ${code}`}); the command was not run`);
    return code;
  }
}

async function runMacos(paths: Paths, session: SessionView, command: string, args: string[], run: Run & { token: string }): Promise<number> {
  const tmp = realpathSync(mkdtempSync(join(tmpdir(), 'tollgate-sandbox-')));
  try {
    const state = run.applied ? assistantState(run.applied) : [];
    const sandbox = macosSandbox(paths, [...run.work, ...state.map((s) => s.path)], run.ro, tmp);
    const profile = macosProfile({ ...sandbox, agentSocket: realOrNull(session.socket) ?? session.socket, agentPort: run.port, hidden: [...sandbox.hidden, ...(run.applied?.hidden ?? []).map((p) => realOrNull(p) ?? p)] });
    const probe = spawnSync(SANDBOX_EXEC, ['-p', profile, '/usr/bin/true'], { encoding: 'utf8' });
    if (probe.status !== 0) throw new Error(`sandbox-exec refused the profile (${(probe.stderr || probe.error?.message || '').trim()}); the command was not run`);
    const child = spawn(SANDBOX_EXEC, ['-p', profile, process.execPath, ...nodeFlags(), FORWARDER, String(run.port), session.socket, '--', command, ...(run.applied?.args ?? []), ...args], {
      env: { ...commandEnv(session.socket, run, tmp), TOLLGATE_FORWARDER_TOKEN: run.token },
      stdio: 'inherit',
      detached: true,
    });
    // sandbox-exec becomes the forwarder, the leader of its own process group.
    run.ran = true;
    return await passThrough(child, Promise.resolve(child.pid));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** The command's environment: the caller's, minus ways out and secrets, plus the agent's addresses and the profile's. */
function commandEnv(socket: string, run: Run, tmp: string): NodeJS.ProcessEnv {
  // The caller's TMPDIR may be read-only or gone inside; the sandbox has its own.
  const env: NodeJS.ProcessEnv = { ...sandboxEnv(process.env, socket), TMPDIR: tmp, TOLLGATE_AGENT_URL: run.url };
  for (const name of run.applied?.unset ?? []) delete env[name];
  return { ...env, ...run.applied?.env };
}

// Node 22.12–22.17 strip TypeScript types only behind a flag (bin.mjs then runs with it).
function nodeFlags(): string[] {
  return [...process.execArgv.filter((a) => a === '--experimental-strip-types'), '--no-warnings'];
}

/** The assistant's state folders and files as they are on the host (folders made when missing). */
function assistantState(applied: Applied): Hidden[] {
  const out: Hidden[] = [];
  for (const s of applied.state) {
    if (s.dir) mkdirSync(s.path, { recursive: true, mode: 0o700 });
    const real = realOrNull(s.path);
    if (real) out.push({ path: real, dir: statSync(real).isDirectory() });
  }
  return out;
}

/** The approved integration of the profile's template that carries the assistant's model, or a one-line refusal. */
async function modelIntegration(client: ControlClient, profile: Profile, opts: SandboxOptions): Promise<IntegrationView> {
  const all = await client.integrations();
  const usable = (i: IntegrationView): boolean => i.status !== 'decommissioned';
  let name: string;
  if (opts.integration) {
    const i = all.find((x) => x.name === opts.integration && usable(x));
    if (!i) throw new Error(`--integration ${opts.integration}: no such approved integration (see "tollgate integrations"); the command was not run`);
    name = i.name;
  } else {
    const ofTemplate = all.filter((i) => usable(i) && i.spec.template === profile.template);
    const candidates = opts.allow.length ? ofTemplate.filter((i) => opts.allow.includes(i.name)) : ofTemplate;
    if (ofTemplate.length && !candidates.length) {
      throw new Error(`--allow leaves out ${ofTemplate.map((i) => `"${i.name}"`).join(', ')}, which can carry ${profile.displayName}'s model: add --allow ${ofTemplate[0]!.name}; the command was not run`);
    }
    if (!candidates.length) {
      const taken = new Set(all.map((i) => i.name));
      const suggested = taken.has(profile.template) ? `${profile.template}-${profile.id}` : profile.template;
      throw new Error(`${profile.displayName} calls its model through an integration of the "${profile.template}" template, and none is approved: add one with tollgate add --template ${profile.template} --name ${suggested} --purpose "${profile.displayName}'s own model" --account <you>; the command was not run`);
    }
    const active = candidates.filter((i) => i.status === 'active');
    name = (active[0] ?? candidates[0]!).name;
    if (candidates.length > 1) say(`${profile.displayName}'s model goes through "${name}" (of ${candidates.map((i) => i.name).join(', ')}; --integration <name> picks another)`);
  }
  if (opts.allow.length && !opts.allow.includes(name)) {
    throw new Error(`--allow leaves out "${name}", which carries ${profile.displayName}'s model: add --allow ${name}; the command was not run`);
  }
  return all.find((i) => i.name === name)!;
}

/** The stand-ins for the assistant's models its integration does not price (profiles.ts), said in one line. */
function modelStandIns(profile: Profile, integration: IntegrationView, args: readonly string[]): StandIn[] {
  const pricing = integration.spec.pricing;
  const listed = 'tokens' in pricing && pricing.tokens ? Object.keys(pricing.tokens.models) : [];
  const stand = standIns(profile, args, listed, process.env);
  if (stand.length) {
    const each = (f: (m: StandIn) => string): string => stand.map(f).join(', ');
    say(`"${integration.name}" does not price ${profile.displayName}'s ${each((m) => `${m.alias} model (${m.own})`)}: ${each((m) => m.model)} ${stand.length === 1 ? 'stands' : 'stand'} in (${[...new Set(stand.map((m) => m.hint))].join('; ')})`);
  }
  return stand;
}

function sessionPurpose(command: string, args: string[]): string {
  const line = [command, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}

/** Stops the session and, where the command ran, prints its spend in one line. */
async function endSession(client: ControlClient, session: SessionView, ran: boolean): Promise<void> {
  try {
    await client.stopSession(session.id);
  } catch {
    // It may have ended already (its owner is this process; the operator may have stopped it).
  }
  if (!ran) return;
  try {
    const s = await client.session(session.id);
    say(`session ${s.id} spent ${usd(s.spentUsd)} in ${s.calls} call${s.calls === 1 ? '' : 's'}${s.reservedUsd > 0 ? ` (+${usd(s.reservedUsd)} in flight)` : ''}`);
  } catch (e) {
    say(`session ${session.id}: its spend could not be read (${(e as Error).message})`);
  }
}

/**
 * Refuses (one line) a program that lives where the Linux sandbox puts an empty folder of its own
 * (/tmp, /run), unless a --work or --ro folder shows it: inside, it would not be there.
 */
function refuseReplacedProgram(command: string, shown: string[]): void {
  const found = whichOnHost(command);
  if (!found) return; // not found here either: the forwarder says so from inside
  const real = realOrNull(found) ?? found;
  for (const p of new Set([found, real])) {
    const replaced = REPLACED.find((d) => under(p, d));
    if (replaced && !shown.some((s) => under(p, s))) {
      throw new Error(`${command} is ${p}, under ${replaced}, which the sandbox replaces with an empty folder of its own: show its folder with --ro ${dirname(real)} (or install it elsewhere); the command was not run`);
    }
  }
}

function whichOnHost(command: string): string | null {
  const candidates = command.includes('/') ? [resolve(command)] : (process.env.PATH ?? '').split(delimiter).filter(Boolean).map((d) => join(resolve(d), command));
  for (const c of candidates) {
    try {
      accessSync(c, fsConstants.X_OK);
      if (statSync(c).isFile()) return c;
    } catch {
      // not here
    }
  }
  return null;
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolvePort(port));
    });
  });
}

async function agentListening(socket: string): Promise<void> {
  const listening = await new Promise<boolean>((done) => {
    const s = connect(socket, () => {
      s.destroy();
      done(true);
    });
    s.once('error', () => done(false));
  });
  if (!listening) throw new Error(`Tollgate is not running (nothing answers on its agent socket ${socket}): start it first (tollgate start); the command was not run`);
}

// bubblewrap's pid 1 inside the sandbox, in the host's numbering: it leads the session, and so the
// process group, the command runs in (it gets no signal itself that it has no handler for).
function sandboxInit(child: ChildProcess): Promise<number | undefined> {
  return new Promise((done) => {
    let info = '';
    const fd3 = child.stdio[3] as Readable;
    fd3.setEncoding('utf8');
    fd3.on('data', (s: string) => { info += s; });
    fd3.on('close', () => {
      const m = /"child-pid":\s*(\d+)/.exec(info);
      done(m ? Number(m[1]) : undefined);
    });
  });
}

// Sends the forwarded signals to the command's process group (to the sandbox itself until that is
// known), and resolves with the exit code.
async function passThrough(child: ChildProcess, group: Promise<number | undefined>): Promise<number> {
  let leader: number | undefined;
  void group.then((pid) => { leader = pid; });
  const forward = (signal: NodeJS.Signals): void => {
    try {
      if (leader) process.kill(-leader, signal);
      else child.kill(signal);
    } catch {
      // already gone
    }
  };
  for (const s of FORWARDED) process.on(s, forward);
  try {
    return await new Promise<number>((done, reject) => {
      child.once('error', reject);
      child.once('exit', (code, signal) => done(code ?? 128 + (signal ? constants.signals[signal] : 0)));
    });
  } finally {
    for (const s of FORWARDED) process.off(s, forward);
  }
}
