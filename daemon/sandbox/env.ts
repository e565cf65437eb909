// The environment the sandboxed command gets: the caller's, minus every variable that names a
// way out (a socket, a bus, a display, a proxy) or looks like a secret, plus the agent socket.
// The sandbox hides those places anyway; dropping the variables also keeps secrets from being
// read out of the environment and smuggled through the agent socket.
import { lstatSync } from 'node:fs';

const WAYS_OUT = new Set([
  'DBUS_SESSION_BUS_ADDRESS', 'DBUS_SYSTEM_BUS_ADDRESS', 'DBUS_STARTER_ADDRESS', 'DBUS_STARTER_BUS_TYPE',
  'XDG_RUNTIME_DIR', 'DISPLAY', 'WAYLAND_DISPLAY', 'XAUTHORITY', 'SESSION_MANAGER',
  'GPG_AGENT_INFO', 'GNOME_KEYRING_CONTROL', 'GNOME_KEYRING_PID', 'SSH_AGENT_PID', 'KRB5CCNAME',
  'DOCKER_HOST', 'CONTAINER_HOST', 'TMUX', 'TMUX_PANE', 'STY', 'PULSE_SERVER', 'PIPEWIRE_REMOTE',
  'NOTIFY_SOCKET', 'LISTEN_FDS', 'LISTEN_PID', 'LISTEN_FDNAMES', 'VSCODE_IPC_HOOK', 'VSCODE_IPC_HOOK_CLI',
]);

// Stems that mark a secret or a socket anywhere in a name (GITHUB_TOKEN, npm_config__authToken,
// SSH_AUTH_SOCK)…
const SECRET_STEMS = /TOKEN|SECRET|PASSW|PASSPHRASE|CREDENTIAL|COOKIE|SOCK|API_?KEY|PRIVATE_?KEY/i;
// …and words that do only as a whole part of it (AWS_ACCESS_KEY_ID, but not MONKEY or GIT_AUTHOR_NAME).
const SECRET_WORDS = new Set(['KEY', 'AUTH', 'PASS', 'PAT', 'PROXY', 'PROXIES']);

/** The variables of `env` the sandboxed command may see, and TOLLGATE_AGENT_SOCKET. */
export function sandboxEnv(env: NodeJS.ProcessEnv, agentSocket: string): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || !keep(name, value)) continue;
    out[name] = value;
  }
  out.TOLLGATE_AGENT_SOCKET = agentSocket;
  return out;
}

function keep(name: string, value: string): boolean {
  const upper = name.toUpperCase();
  if (WAYS_OUT.has(upper) || upper.startsWith('TOLLGATE_')) return false;
  if (SECRET_STEMS.test(upper) || upper.split(/[^A-Z0-9]+/).some((w) => SECRET_WORDS.has(w))) return false;
  // D-Bus style addresses, credentials in a URL (https://user:pass@host), a path to a live socket.
  if (/(^|[;,])unix:/.test(value) || /^[a-z][a-z0-9+.-]*:\/\/[^/\s@]*:[^/\s@]*@/i.test(value)) return false;
  return !(value.startsWith('/') && isSocket(value));
}

function isSocket(path: string): boolean {
  try {
    return lstatSync(path).isSocket();
  } catch {
    return false;
  }
}
