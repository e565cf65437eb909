// The LaunchAgent that starts the daemon at login on macOS: started again when it exits with an
// error, its output appended to daemon.log in the data folder.
import { join } from 'node:path';
import type { DaemonCommand } from './daemon-command.ts';

export const LAUNCHD_LABEL = 'dev.tollgate.daemon';

export const launchAgentFile = (home: string): string => join(home, 'Library', 'LaunchAgents', `${LAUNCHD_LABEL}.plist`);

const xml = (s: string): string => s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
const str = (s: string): string => `<string>${xml(s)}</string>`;

export function launchAgentPlist(c: DaemonCommand, log: string): string {
  const env = Object.entries(c.env);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    '<plist version="1.0">',
    '<dict>',
    `  <key>Label</key>${str(LAUNCHD_LABEL)}`,
    `  <key>ProgramArguments</key><array>${c.argv.map(str).join('')}</array>`,
    `  <key>WorkingDirectory</key>${str(c.root)}`,
    ...(env.length ? [`  <key>EnvironmentVariables</key><dict>${env.map(([k, v]) => `<key>${xml(k)}</key>${str(v)}`).join('')}</dict>`] : []),
    '  <key>RunAtLoad</key><true/>',
    // Started again only after a failure: a stop by SIGTERM (exit 0) stays stopped.
    '  <key>KeepAlive</key><dict><key>SuccessfulExit</key><false/></dict>',
    '  <key>ThrottleInterval</key><integer>10</integer>',
    `  <key>StandardOutPath</key>${str(log)}`,
    `  <key>StandardErrorPath</key>${str(log)}`,
    '</dict>',
    '</plist>',
    '',
  ].join('\n');
}
