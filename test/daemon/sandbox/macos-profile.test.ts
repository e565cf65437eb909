// The Seatbelt profile `tollgate sandbox` hands to sandbox-exec on macOS. It cannot run here, so
// its text is checked: every rule, in an order where the denials and the one allowed socket win.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolvePaths } from '../../../daemon/paths.ts';
import { macosProfile, macosSandbox } from '../../../daemon/sandbox/macos.ts';

const home = '/Users/ada';
const data = `${home}/Library/Application Support/Tollgate`;

describe('the macOS sandbox profile', () => {
  const profile = macosProfile({
    agentSocket: `${data}/run/agent.sock`,
    work: ['/Users/ada/project'],
    tmp: '/private/var/folders/xy/T/tollgate-sandbox-abc',
    hidden: [`${home}/.ssh`, data, `${data}/run`, `${home}/Library/Keychains`, '/Library/Keychains'],
  });

  it('denies the network but for the agent socket, reading Tollgate\'s data and the keychains, and writing outside the work folders', () => {
    expect(profile).toBe(`(version 1)
(allow default)
(deny network*)
(deny file-write*)
(allow file-write* (subpath "/Users/ada/project") (subpath "/private/var/folders/xy/T/tollgate-sandbox-abc") (regex #"^/dev/(null|zero|tty[a-z0-9]*|fd/[0-9]+|dtracehelper)$"))
(deny file-read* file-write* (subpath "/Users/ada/.ssh") (subpath "${data}") (subpath "${data}/run") (subpath "/Users/ada/Library/Keychains") (subpath "/Library/Keychains"))
(deny mach-lookup (global-name "com.apple.SecurityServer") (global-name "com.apple.securityd.xpc") (global-name "com.apple.nsurlsessiond") (global-name "com.apple.coreservices.launchservicesd"))
(deny appleevent-send)
(deny signal)
(allow signal (target same-sandbox))
(allow network-outbound (remote unix-socket (path-literal "${data}/run/agent.sock")))
(allow file-read* file-write* (literal "${data}/run/agent.sock"))
`);
  });

  it('puts each allowance after the denial it narrows (a later rule wins)', () => {
    const at = (rule: string) => profile.indexOf(rule);
    expect(at('(allow network-outbound')).toBeGreaterThan(at('(deny network*)'));
    expect(at('(allow file-write*')).toBeGreaterThan(at('(deny file-write*)'));
    // A work folder holding Tollgate's data folder does not make it writable.
    expect(at('(deny file-read* file-write*')).toBeGreaterThan(at('(allow file-write*'));
    // The agent socket is inside the hidden data folder: it is allowed last.
    expect(profile.trimEnd().split('\n').at(-1)).toContain('agent.sock');
  });

  it('quotes paths so that none can end a string early', () => {
    const odd = macosProfile({ agentSocket: '/a"b\\c/agent.sock', work: ['/w"))(allow network*)'], tmp: '/t', hidden: ['/d'] });
    expect(odd).toContain('(subpath "/w\\"))(allow network*)")');
    expect(odd).toContain('(path-literal "/a\\"b\\\\c/agent.sock")');
  });
});

describe('what the macOS profile hides', () => {
  const saved = process.env.HOME;
  let dir: string;
  afterEach(() => {
    process.env.HOME = saved;
    rmSync(dir, { recursive: true, force: true });
  });

  it("hides the home folder's credential stores that exist, unless the operator names one", () => {
    dir = mkdtempSync(join(tmpdir(), 'tollgate-mac-home-'));
    process.env.HOME = dir;
    for (const d of ['.ssh', '.aws', '.config/gh']) mkdirSync(join(dir, d), { recursive: true });
    writeFileSync(join(dir, '.netrc'), 'machine x password y');
    const paths = resolvePaths({ TOLLGATE_HOME: join(dir, 'tollgate') }, 'darwin');
    const s = macosSandbox(paths, [dir], [join(dir, '.aws')], '/t');
    expect(s.hidden).toEqual([
      join(dir, '.ssh'), join(dir, '.config/gh'), join(dir, '.netrc'),
      paths.dataDir, paths.runDir, join(dir, 'Library', 'Keychains'), '/Library/Keychains', '/Network/Library/Keychains',
    ]);
    expect(s.work).toEqual([dir]);
  });
});
