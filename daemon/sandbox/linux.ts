// Linux: the command runs under bubblewrap with no network but its own loopback, so its one way
// out is the agent socket, bound in at a fixed path. What it could otherwise use to get out or to
// reach a secret is hidden: Tollgate's own folders (control socket, database), the keychain (the
// D-Bus buses, gnome-keyring's control socket, the keyring files), the SSH/GPG agents, the well-known
// credential stores in the home folder, and every other Unix socket the host has bound.
import { spawnSync } from 'node:child_process';
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Paths } from '../paths.ts';
import { HOME_SECRETS, realOrNull, under } from './folders.ts';

export const AGENT_SOCKET_INSIDE = '/run/tollgate/agent.sock';
// Node and the forwarder (forwarder.ts), bound in at fixed places: they run first in the sandbox,
// wherever the operator's Node and Tollgate live (under /tmp, say, which the sandbox replaces).
export const NODE_INSIDE = '/run/tollgate/node';
export const forwarderInside = (script: string): string => `/run/tollgate/forwarder${script.endsWith('.ts') ? '.mts' : '.mjs'}`;

// A network namespace with only its own loopback (which also parts the command from the host's
// abstract Unix sockets); its own pids, so no /proc/<pid> of a host process (whose root or fds would
// lead past every mount below); no capabilities (they would let it unmount what hides things); no
// user namespaces of its own.
const NAMESPACES = [
  '--unshare-user', '--disable-userns', '--unshare-net', '--unshare-pid', '--unshare-ipc', '--unshare-uts',
  '--unshare-cgroup-try', '--cap-drop', 'ALL',
];

// Fresh and empty inside: the host's hold the sockets of X11, tmux, D-Bus, docker, systemd,
// nscd and resolved (DNS through the host), and /run/user.
const FRESH = ['/tmp', '/run'];
// Mounted anew inside: no folder of the operator's may be bound into them (the host's /proc
// would lead to every host process's root).
export const OWN = ['/dev', '/proc'];

export interface Hidden {
  path: string;
  dir: boolean;
}

export interface LinuxSandbox {
  /** The daemon's agent socket on the host. */
  agentSocket: string;
  /** The operator's folders, real paths: writable and read-only. */
  work: string[];
  ro: string[];
  /** Hidden after the operator's folders are bound: folders get an empty tmpfs, files /dev/null. */
  hide: Hidden[];
  /** Host sockets still reachable inside, each covered with /dev/null. */
  sockets: string[];
  /** The assistant's own state (profile): files and folders it may write, bound after the hidden ones. */
  state: Hidden[];
  /** The assistant's stored credentials (profile): covered with /dev/null, after its state. */
  credentials: string[];
  /** The Node binary and the forwarder script on the host. */
  node: string;
  forwarder: string;
}

/** The bubblewrap arguments (before the command) that build the sandbox. */
export function bwrapArgs(s: LinuxSandbox): string[] {
  const args = [
    ...NAMESPACES, '--die-with-parent', '--new-session',
    '--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', ...[...FRESH, '/dev/shm'].flatMap((d) => ['--tmpfs', d]),
  ];
  // Outer folders first, so a folder inside another keeps its own mode.
  const binds = [...s.work.map((p) => ({ p, flag: '--bind' })), ...s.ro.map((p) => ({ p, flag: '--ro-bind' }))]
    .sort((a, b) => a.p.split('/').length - b.p.split('/').length);
  for (const { p, flag } of binds) args.push(flag, p, p);
  for (const h of s.hide) args.push(...(h.dir ? ['--tmpfs', h.path] : ['--ro-bind', '/dev/null', h.path]));
  for (const sock of s.sockets) args.push('--ro-bind', '/dev/null', sock);
  for (const st of s.state) args.push('--bind', st.path, st.path);
  for (const c of s.credentials) args.push('--ro-bind', '/dev/null', c);
  args.push(
    '--dir', '/run/tollgate', '--ro-bind', s.agentSocket, AGENT_SOCKET_INSIDE,
    '--ro-bind', s.node, NODE_INSIDE, '--ro-bind', s.forwarder, forwarderInside(s.forwarder),
  );
  return args;
}

/** Null when bubblewrap can build a sandbox here, else the one line that says what to do. */
export function probeBwrap(): string | null {
  const r = spawnSync('bwrap', [...NAMESPACES, '--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', 'true'], { encoding: 'utf8', timeout: 10_000 });
  if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    return 'the sandbox needs bubblewrap (bwrap), which is not installed: install the package "bubblewrap" (Debian/Ubuntu: sudo apt install bubblewrap; Fedora: sudo dnf install bubblewrap); the command was not run';
  }
  if (r.error || r.status !== 0) {
    const reason = (r.stderr ?? '').trim().split('\n').pop() || r.error?.message || `exit ${r.status}`;
    return `bubblewrap cannot build a sandbox here (${reason}): enable unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1 and user.max_user_namespaces > 0; on Ubuntu 24.04 and later allow them for bwrap in AppArmor); the command was not run`;
  }
  return null;
}

export interface Extra {
  /** The socket bound in at AGENT_SOCKET_INSIDE (a session's); default: the daemon's agent socket. */
  agentSocket?: string;
  state?: Hidden[];
  credentials?: string[];
  node: string;
  forwarder: string;
}

/** Works out, from the host as it is now, what the sandbox hides. */
export function linuxSandbox(paths: Paths, env: NodeJS.ProcessEnv, work: string[], ro: string[], extra: Extra): LinuxSandbox {
  const home = homedir();
  const binds = [...work, ...ro];
  const visible = (p: string): boolean => ![...FRESH, ...OWN].some((d) => under(p, d)) || binds.some((b) => under(p, b));

  const hide: Hidden[] = [];
  const add = (real: string): void => {
    if (visible(real) && !hide.some((h) => under(real, h.path))) hide.push({ path: real, dir: statSync(real).isDirectory() });
  };
  for (const real of HOME_SECRETS.map((s) => realOrNull(join(home, s)))) {
    if (real && !binds.some((b) => under(b, real))) add(real);
  }
  for (const p of alwaysHidden(paths, env)) {
    const real = realOrNull(p);
    if (real) add(real);
  }

  const candidates = [...new Set(hostSockets().map(realOrNull).filter((p): p is string => !!p))]
    .filter((p) => isSocket(p) && visible(p) && !hide.some((h) => under(p, h.path)));
  return {
    agentSocket: realpathSync(extra.agentSocket ?? paths.agentSocket), work, ro, hide, sockets: reachableInside(candidates, extra.node),
    state: extra.state ?? [], credentials: (extra.credentials ?? []).filter((c) => realOrNull(c) !== null), node: realpathSync(extra.node), forwarder: realpathSync(extra.forwarder),
  };
}

/**
 * The sockets among `candidates` a process of the sandbox could connect to: asked of a process
 * with the sandbox's own credentials (a user namespace, no capabilities), since the runner's may
 * differ (root's reach everywhere). One it cannot reach needs no cover: it may be another user's, in
 * a folder bubblewrap could not even look into to cover it.
 */
export function reachableInside(candidates: string[], node: string): string[] {
  if (!candidates.length) return [];
  const script = `const fs = require('node:fs'); for (const p of process.argv.slice(1)) { try { fs.accessSync(p, fs.constants.W_OK); if (fs.statSync(p).isSocket()) process.stdout.write(p + '\\0'); } catch {} }`;
  const r = spawnSync('bwrap', [...NAMESPACES, '--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--', node, '-e', script, ...candidates], { encoding: 'utf8', timeout: 10_000 });
  // Where the probe itself fails, every candidate is taken as reachable: covering too much is safe.
  if (r.status !== 0) return candidates;
  return r.stdout.split('\0').filter(Boolean);
}

/** What no folder of the operator's may reach into: Tollgate's own folders, the keychain's, the buses. */
export function alwaysHidden(paths: Paths, env: NodeJS.ProcessEnv): string[] {
  const data = env.XDG_DATA_HOME || join(homedir(), '.local', 'share');
  return [
    paths.dataDir, paths.runDir, join(data, 'keyrings'), join(data, 'kwalletd'), '/run/dbus', '/run/user',
    env.XDG_RUNTIME_DIR, env.GNOME_KEYRING_CONTROL, env.SSH_AUTH_SOCK, ...busSockets(env.DBUS_SESSION_BUS_ADDRESS),
  ].filter((p): p is string => !!p);
}

// "unix:path=/run/user/1000/bus,guid=…;…": the socket files among a D-Bus address's entries.
function busSockets(address: string | undefined): string[] {
  return [...(address ?? '').matchAll(/unix:(?:[^;]*,)?path=([^,;]+)/g)]
    .map((m) => m[1]!.replace(/%([0-9a-f]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))));
}

// Every Unix socket bound to a path in this network namespace (the kernel's list; abstract ones,
// "@…", stay behind in the host's namespace anyway).
function hostSockets(): string[] {
  let table: string;
  try {
    table = readFileSync('/proc/net/unix', 'utf8');
  } catch {
    return [];
  }
  return table.split('\n').slice(1).map((l) => /^\S+:\s+(?:\S+\s+){5}\d+ (\/.*)$/.exec(l)?.[1]).filter((p): p is string => !!p);
}

function isSocket(path: string): boolean {
  try {
    return statSync(path).isSocket();
  } catch {
    return false;
  }
}
