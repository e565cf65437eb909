// The systemd user unit that starts the daemon at login: restarted when it fails (a keyring still
// locked at login makes it exit until the session unlocks it), its output in the journal.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { DaemonCommand } from './daemon-command.ts';

export const SYSTEMD_UNIT = 'tollgate.service';

/** Where systemd looks for the user's own units. */
export const systemdUnitFile = (home: string, env: NodeJS.ProcessEnv): string =>
  join(env.XDG_CONFIG_HOME || join(home, '.config'), 'systemd', 'user', SYSTEMD_UNIT);

// systemd expands specifiers (%) in every setting, and variables ($) in command lines: both are
// kept literal, and a quoted value has its backslashes and quotes escaped.
const literal = (s: string): string => s.replaceAll('%', '%%');
const quoted = (s: string): string => `"${literal(s).replace(/[\\"]/g, '\\$&')}"`;
const execWord = (s: string): string => quoted(s).replaceAll('$', '$$$$');

export function systemdUnit(c: DaemonCommand): string {
  return [
    '[Unit]',
    'Description=Tollgate daemon: a local gate between an AI assistant and the APIs it calls',
    `Documentation=${literal(pathToFileURL(join(c.root, 'README.md')).href)}`,
    '',
    '[Service]',
    `ExecStart=${c.argv.map(execWord).join(' ')}`,
    `WorkingDirectory=${literal(c.root)}`,
    ...Object.entries(c.env).map(([k, v]) => `Environment=${quoted(`${k}=${v}`)}`),
    // Every 10 s, so the default start limit (5 in 10 s) never gives up on a keyring unlocked late.
    'Restart=on-failure',
    'RestartSec=10',
    // SIGTERM lets in-flight calls finish (up to 30 s) before the daemon exits.
    'TimeoutStopSec=45',
    '',
    '[Install]',
    'WantedBy=default.target',
    '',
  ].join('\n');
}
