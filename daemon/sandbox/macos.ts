// macOS: sandbox-exec (Seatbelt) with a profile made for each run. Everything is allowed but
// what the profile denies: the network (IP and Unix sockets alike) except the agent socket,
// Tollgate's folders, the keychains, the credential stores in the home folder, writes outside
// the work folders, and signals to processes outside. Apple calls sandbox-exec deprecated, and
// the system services the command can still ask for things (Mach, XPC) run outside the sandbox:
// see README, "The sandbox".
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Paths } from '../paths.ts';
import { HOME_SECRETS, realOrNull, under } from './folders.ts';

export const SANDBOX_EXEC = '/usr/bin/sandbox-exec';

export interface MacosSandbox {
  /** Real paths throughout: Seatbelt matches the kernel's paths (/private/var, not /var). */
  agentSocket: string;
  work: string[];
  /** A fresh temporary folder of this run (the command's TMPDIR). */
  tmp: string;
  /** Neither readable nor writable. */
  hidden: string[];
  /** The forwarder's port on the host's loopback (its requests must carry the run's token). */
  agentPort?: number;
}

/** What no folder of the operator's may reach into: Tollgate's folders and the keychains. */
export function macosAlwaysHidden(paths: Paths): string[] {
  return [paths.dataDir, paths.runDir, join(homedir(), 'Library', 'Keychains'), '/Library/Keychains', '/Network/Library/Keychains'];
}

/** Works out, from the host as it is now, what the profile hides. */
export function macosSandbox(paths: Paths, work: string[], ro: string[], tmp: string): MacosSandbox {
  const named = [...work, ...ro];
  const secrets = HOME_SECRETS.map((p) => realOrNull(join(homedir(), p))).filter((p): p is string => !!p && !named.some((n) => under(n, p)));
  const always = macosAlwaysHidden(paths).map((p) => realOrNull(p) ?? p);
  return { agentSocket: realOrNull(paths.agentSocket) ?? paths.agentSocket, work, tmp, hidden: [...secrets, ...always] };
}

// Services that would act for the command outside the sandbox: the keychain's, downloads in the
// background, opening URLs and apps.
const DENIED_SERVICES = [
  'com.apple.SecurityServer', 'com.apple.securityd.xpc', 'com.apple.nsurlsessiond', 'com.apple.coreservices.launchservicesd',
];

const q = (s: string): string => `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
const subpaths = (paths: string[]): string => paths.map((p) => `(subpath ${q(p)})`).join(' ');

/** The Seatbelt profile (SBPL); a later rule wins over an earlier one. */
export function macosProfile(s: MacosSandbox): string {
  return [
    '(version 1)',
    '(allow default)',
    '(deny network*)',
    '(deny file-write*)',
    `(allow file-write* ${subpaths([...s.work, s.tmp])} (regex #"^/dev/(null|zero|tty[a-z0-9]*|fd/[0-9]+|dtracehelper)$"))`,
    // Never empty: Tollgate's folders are always in it (an empty filter list would match everything).
    `(deny file-read* file-write* ${subpaths(s.hidden)})`,
    `(deny mach-lookup ${DENIED_SERVICES.map((n) => `(global-name ${q(n)})`).join(' ')})`,
    '(deny appleevent-send)',
    // No signals to processes outside (the daemon included).
    '(deny signal)',
    '(allow signal (target same-sandbox))',
    `(allow network-outbound (remote unix-socket (path-literal ${q(s.agentSocket)})))`,
    `(allow file-read* file-write* (literal ${q(s.agentSocket)}))`,
    ...(s.agentPort ? [
      `(allow network-bind network-inbound (local ip "localhost:${s.agentPort}"))`,
      `(allow network-outbound (remote ip "localhost:${s.agentPort}"))`,
    ] : []),
    '',
  ].join('\n');
}
