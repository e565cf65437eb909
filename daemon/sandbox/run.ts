// `tollgate sandbox -- <command> [args]`: runs the assistant so that its only way out is the agent
// socket. Where no sandbox can be built it refuses, in one line: the command never runs unsandboxed.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { resolvePaths } from '../paths.ts';
import { sandboxEnv } from './env.ts';
import { operatorFolders, realOrNull } from './folders.ts';
import { AGENT_SOCKET_INSIDE, alwaysHidden, bwrapArgs, linuxSandbox, OWN, probeBwrap } from './linux.ts';
import { macosAlwaysHidden, macosProfile, macosSandbox, SANDBOX_EXEC } from './macos.ts';

export interface SandboxOptions {
  work: string[];
  ro: string[];
}

// Passed on to the command as a terminal would send them (SIGWINCH: a resized window).
const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGWINCH'];

/** Runs the command in the sandbox and exits with its exit code (128+n when signal n ended it). */
export async function runSandbox(command: string, args: string[], opts: SandboxOptions): Promise<never> {
  const paths = resolvePaths();
  if (process.platform === 'linux') {
    const refusal = probeBwrap();
    if (refusal) throw new Error(refusal);
    await agentListening(paths.agentSocket);
    const forbidden = [...alwaysHidden(paths, process.env).map((p) => realOrNull(p) ?? p), ...OWN];
    const sandbox = linuxSandbox(paths, process.env, operatorFolders('--work', opts.work, forbidden), operatorFolders('--ro', opts.ro, forbidden));
    const child = spawn('bwrap', [...bwrapArgs(sandbox), '--info-fd', '3', '--', command, ...args], {
      // The caller's TMPDIR may be read-only or gone inside; /tmp is the sandbox's own.
      env: { ...sandboxEnv(process.env, AGENT_SOCKET_INSIDE), TMPDIR: '/tmp' },
      stdio: ['inherit', 'inherit', 'inherit', 'pipe'],
      detached: true,
    });
    process.exit(await passThrough(child, sandboxInit(child)));
  }
  if (process.platform === 'darwin') {
    if (!existsSync(SANDBOX_EXEC)) throw new Error(`the sandbox needs ${SANDBOX_EXEC}, which this macOS does not have; the command was not run`);
    await agentListening(paths.agentSocket);
    const forbidden = macosAlwaysHidden(paths).map((p) => realOrNull(p) ?? p);
    const work = operatorFolders('--work', opts.work, forbidden);
    const ro = operatorFolders('--ro', opts.ro, forbidden);
    const tmp = realpathSync(mkdtempSync(join(tmpdir(), 'tollgate-sandbox-')));
    let code: number;
    try {
      const profile = macosProfile(macosSandbox(paths, work, ro, tmp));
      const probe = spawnSync(SANDBOX_EXEC, ['-p', profile, '/usr/bin/true'], { encoding: 'utf8' });
      if (probe.status !== 0) throw new Error(`sandbox-exec refused the profile (${(probe.stderr || probe.error?.message || '').trim()}); the command was not run`);
      const child = spawn(SANDBOX_EXEC, ['-p', profile, command, ...args], {
        env: { ...sandboxEnv(process.env, paths.agentSocket), TMPDIR: tmp },
        stdio: 'inherit',
        detached: true,
      });
      // sandbox-exec becomes the command, the leader of its own process group.
      code = await passThrough(child, Promise.resolve(child.pid));
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    process.exit(code);
  }
  throw new Error(`the sandbox runs on Linux (bubblewrap) and macOS (sandbox-exec), not on ${process.platform}; the command was not run`);
}

async function agentListening(socket: string): Promise<void> {
  const listening = await new Promise<boolean>((resolve) => {
    const s = connect(socket, () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
  if (!listening) throw new Error(`Tollgate is not running (nothing answers on its agent socket ${socket}): start it first (npx tollgate daemon, or npm start); the command was not run`);
}

// bubblewrap's pid 1 inside the sandbox, in the host's numbering: it leads the session, and so the
// process group, the command runs in (it gets no signal itself that it has no handler for).
function sandboxInit(child: ChildProcess): Promise<number | undefined> {
  return new Promise((resolve) => {
    let info = '';
    const fd3 = child.stdio[3] as Readable;
    fd3.setEncoding('utf8');
    fd3.on('data', (s: string) => { info += s; });
    fd3.on('close', () => {
      const m = /"child-pid":\s*(\d+)/.exec(info);
      resolve(m ? Number(m[1]) : undefined);
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
    return await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code, signal) => resolve(code ?? 128 + (signal ? constants.signals[signal] : 0)));
    });
  } finally {
    for (const s of FORWARDED) process.off(s, forward);
  }
}
