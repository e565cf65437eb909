// The keyring daemon killed, or its keyring locked, with calls in flight. The daemon process gets a Secret Service of its
// own (a private D-Bus session with its own gnome-keyring-daemon, started and killed here by pid),
// so the keyring this test run shares with other test files is never touched.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { haveCommands, Testbed, waitFor } from '../helpers/daemon-process.ts';
import { json, late } from '../helpers/upstream.ts';
import { alertsOf, code, expectConsistent, settled } from './invariants.ts';

const IN_FLIGHT = 10;
const CAP_USD = 10;

const haveTools = haveCommands('dbus-run-session', 'gnome-keyring-daemon', 'dbus-send');

interface PrivateKeyring {
  address: string;
  keyringPid: number;
  session: ChildProcess;
  dir: string;
}

/** A private session bus with an unlocked gnome-keyring on it; reports the bus address and the keyring's pid. */
async function startPrivateKeyring(): Promise<PrivateKeyring> {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-faults-keyring-'));
  const script = `
    mkdir -p "$D/home" "$D/data" "$D/run" && chmod 700 "$D/run"
    printf '%s' tollgate-test | env HOME="$D/home" XDG_DATA_HOME="$D/data" XDG_RUNTIME_DIR="$D/run" \\
      gnome-keyring-daemon --foreground --unlock --components=secrets --control-directory="$D/run/keyring" >"$D/log" 2>&1 &
    echo "KEYRING $! $DBUS_SESSION_BUS_ADDRESS"
    wait`;
  const session = spawn('dbus-run-session', ['--', 'bash', '-c', script], { env: { ...process.env, D: dir }, stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  session.stdout!.setEncoding('utf8').on('data', (s: string) => { out += s; });
  await waitFor(() => /KEYRING \d+ \S+/.test(out), 'the private keyring to start');
  const [, pid, address] = /KEYRING (\d+) (\S+)/.exec(out)!;
  const k = { address: address!, keyringPid: Number(pid), session, dir };
  // Ready once its default collection (the login keyring) exists AND is unlocked: the alias can
  // answer while the unlock is still under way, and a write then fails on a locked collection.
  await waitFor(() => {
    try {
      const collection = defaultCollection(k);
      return /boolean false/.test(ask(k, collection, 'org.freedesktop.DBus.Properties.Get', 'string:org.freedesktop.Secret.Collection', 'string:Locked'));
    } catch {
      return false;
    }
  }, 'the private keyring to hold an unlocked default collection');
  return k;
}

/** A Secret Service method call on the private keyring's bus; its reply as dbus-send prints it. */
function ask(k: PrivateKeyring, path: string, method: string, ...args: string[]): string {
  return execFileSync('dbus-send',
    ['--session', '--print-reply', '--reply-timeout=1000', '--dest=org.freedesktop.secrets', path, method, ...args],
    { env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: k.address }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
}

function defaultCollection(k: PrivateKeyring): string {
  const path = /object path "(\/org\/freedesktop\/secrets\/collection\/[^"]+)"/.exec(
    ask(k, '/org/freedesktop/secrets', 'org.freedesktop.Secret.Service.ReadAlias', 'string:default'))?.[1];
  if (!path) throw new Error('the keyring has no default collection yet');
  return path;
}

/**
 * Ends the keyring; its script then ends, and dbus-run-session with it, taking its bus along (a
 * signal to dbus-run-session itself would leave the bus behind).
 */
async function stopPrivateKeyring(k: PrivateKeyring): Promise<void> {
  const ended = k.session.exitCode !== null || k.session.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => k.session.once('exit', () => r()));
  try { process.kill(k.keyringPid, 'SIGKILL'); } catch { /* gone */ }
  await ended;
  rmSync(k.dir, { recursive: true, force: true });
}

describe.skipIf(!haveTools && !process.env.CI)('the keyring killed or locked with calls in flight', () => {
  let t: Testbed | undefined;
  let k: PrivateKeyring | undefined;
  afterEach(async () => {
    await t?.close();
    if (k) await stopPrivateKeyring(k);
    t = undefined;
    k = undefined;
  });

  const FAULTS = [
    // Only the keyring this test started, by its pid.
    { label: 'killed', inflict: (k: PrivateKeyring) => process.kill(k.keyringPid, 'SIGKILL') },
    // Locked as a screen lock would: with no display for its password prompt, a read hangs until
    // D-Bus gives up (25 s) unless the daemon's deadline answers first.
    { label: 'locked', inflict: (k: PrivateKeyring) => ask(k, '/org/freedesktop/secrets', 'org.freedesktop.Secret.Service.Lock', `array:objpath:${defaultCollection(k)}`) },
  ] as const;

  for (const fault of FAULTS) it(`keyring ${fault.label}: calls in flight finish; later calls refused keychain_unavailable, never sent; critical alert; ledger consistent`, async () => {
    k = await startPrivateKeyring();
    t = await Testbed.create({ handler: late(500, json(200, { results: [] })) });
    await t.start({ DBUS_SESSION_BUS_ADDRESS: k.address });
    await t.addIntegration({ pricing: { perRequestUsd: 0.001, maxPerRequestUsd: 0.002 }, monthlyCapUsd: CAP_USD });
    expect((await t.call('search', '/res/v1/web/search?q=before')).status).toBe(200);

    const first = Array.from({ length: IN_FLIGHT }, (_, i) => settled(t!.call('search', `/res/v1/web/search?q=inflight-${i}`)));
    await waitFor(() => t!.upstream.requests.length === 1 + IN_FLIGHT, 'the calls in flight to reach the upstream');
    fault.inflict(k);
    const started = Date.now();
    const second = await Promise.all(Array.from({ length: IN_FLIGHT }, (_, i) => settled(t!.call('search', `/res/v1/web/search?q=dead-${i}`))));
    // Within the keychain deadline (3 s) and some slack, never D-Bus's 25 s.
    expect(Date.now() - started).toBeLessThan(10_000);
    for (const r of await Promise.all(first)) {
      expect(r).not.toBe('cut');
      if (r !== 'cut') expect(r.status).toBe(200);
    }
    for (const r of second) {
      expect(r).not.toBe('cut');
      if (r !== 'cut') {
        expect(code(r)).toBe('keychain_unavailable');
        expect(r.status).toBe(503);
        expect(r.json.error.message).toMatch(/keychain/);
      }
    }
    expect(t.upstream.requests).toHaveLength(1 + IN_FLIGHT);
    expect((await alertsOf(t)).filter((a) => a.kind === 'keychain' && a.tier === 'critical' && a.integration === 'search')).toHaveLength(1);
    expect((await t.control('GET', '/v1/health')).status).toBe(200);
    const records = await expectConsistent(t, 'search', CAP_USD);
    expect(records.filter((r) => r.code === 'keychain_unavailable' && r.outcome === 'refused' && r.cost === 0)).toHaveLength(IN_FLIGHT);
  });
});
