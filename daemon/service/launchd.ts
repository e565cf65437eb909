// LaunchAgents: what launchd starts in the user's login session on macOS. The daemon's is started
// again when it exits with an error, its output appended to daemon.log in the data folder; the
// tray's (electron/login-item.ts) only at login, in the graphical session.
import { join } from 'node:path';

export const LAUNCHD_LABEL = 'dev.tollgate.daemon';

export const launchAgentFile = (home: string, label: string = LAUNCHD_LABEL): string => join(home, 'Library', 'LaunchAgents', `${label}.plist`);

export interface LaunchAgent {
  label: string;
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  /** Started again when it exits with an error (a stop by SIGTERM, exit 0, stays stopped). */
  restartOnFailure: boolean;
  /** Where its stdout and stderr go; null: nowhere. */
  log: string | null;
  /** Only in the graphical login session (launchd's "Aqua"), not over ssh. */
  graphical?: boolean;
}

const xml = (s: string): string => s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
const str = (s: string): string => `<string>${xml(s)}</string>`;

export function launchAgentPlist(a: LaunchAgent): string {
  const env = Object.entries(a.env);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    '<plist version="1.0">',
    '<dict>',
    `  <key>Label</key>${str(a.label)}`,
    `  <key>ProgramArguments</key><array>${a.argv.map(str).join('')}</array>`,
    `  <key>WorkingDirectory</key>${str(a.cwd)}`,
    ...(env.length ? [`  <key>EnvironmentVariables</key><dict>${env.map(([k, v]) => `<key>${xml(k)}</key>${str(v)}`).join('')}</dict>`] : []),
    '  <key>RunAtLoad</key><true/>',
    ...(a.restartOnFailure ? ['  <key>KeepAlive</key><dict><key>SuccessfulExit</key><false/></dict>', '  <key>ThrottleInterval</key><integer>10</integer>'] : []),
    ...(a.graphical ? ['  <key>LimitLoadToSessionType</key><string>Aqua</string>'] : []),
    ...(a.log ? [`  <key>StandardOutPath</key>${str(a.log)}`, `  <key>StandardErrorPath</key>${str(a.log)}`] : []),
    '</dict>',
    '</plist>',
    '',
  ].join('\n');
}
