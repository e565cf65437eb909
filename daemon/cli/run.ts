// The two commands that run things: `daemon` (the daemon in the foreground) and `start` (the
// daemon in the background, then the tray). Loaded only by them: every other command is a client
// and needs neither the daemon's native modules nor the keychain.
import { nativeNotifier } from '../alerts/notifier.ts';
import { systemClock } from '../clock.ts';
import { ControlClient } from '../client/control-client.ts';
import { BIN, PROJECT_ROOT } from '../install.ts';
import { withDeadline } from '../keychain/deadline.ts';
import { keytarKeychain } from '../keychain/keytar-keychain.ts';
import { AUDIT_KEY_ACCOUNT, KEYCHAIN_SERVICE, KeychainUnavailableError } from '../keychain/keychain.ts';
import { resolvePaths } from '../paths.ts';
import { canOfferKeyringSession, KEYRING_SESSION_ENV, keyringFolder, startInKeyringSession } from '../process/keyring-session.ts';
import { startDaemonDetached, startTray } from '../process/launch.ts';
import { AlreadyRunning } from '../process/pid-file.ts';
import { serve } from '../process/serve.ts';
import { VERSION } from '../version.ts';
import { promptSecret } from './prompt.ts';

export async function runDaemon(): Promise<void> {
  const paths = resolvePaths();
  let running;
  try {
    running = await serve({
      paths,
      clock: systemClock,
      keychain: keychain(),
      notifier: nativeNotifier,
    });
  } catch (e) {
    if (e instanceof KeychainUnavailableError) noKeychain(e);
    if (e instanceof AlreadyRunning) fail(e.message);
    throw e;
  }
  const { daemon } = running;
  console.log(`tollgate ${VERSION}: daemon running (pid ${process.pid}); agent socket ${paths.agentSocket}; control socket ${paths.controlSocket}; data ${paths.dataDir}`);
  if (daemon.recovered > 0) console.log(`tollgate: settled ${daemon.recovered} call(s) left open by an earlier stop at their reserved amount`);
  const shutdown = (signal: string): void => {
    console.log(`tollgate: ${signal}: stopping (in-flight calls finish first)`);
    running.stop().then(() => process.exit(0), (e: unknown) => {
      console.error(`tollgate: stop failed: ${String(e)}`);
      process.exit(1);
    });
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

// TOLLGATE_KEYCHAIN_SERVICE lets tests and side-by-side installs keep their keys apart.
function keychain() {
  return withDeadline(keytarKeychain(process.env.TOLLGATE_KEYCHAIN_SERVICE || KEYCHAIN_SERVICE));
}

function noKeychain(e: KeychainUnavailableError): never {
  if (process.env[KEYRING_SESSION_ENV] === '1') {
    // The keyring session unlocked the login keyring with the typed password, or made a new one with
    // it: one that stays locked was made earlier with another.
    fail(`the password did not unlock the keyring in ${keyringFolder()} (${e.message}). Run "tollgate start" again and type the password chosen when it was made; to begin a new keyring instead, move that folder away (the keys in it are lost).`);
  }
  fail(`no usable OS keychain (${e.message}); Tollgate will not start without one. Unlock your keychain, or on a Linux machine without a desktop session run "tollgate start" from a terminal to unlock a gnome-keyring for Tollgate.`);
}

function fail(message: string): never {
  console.error(`tollgate: ${message}`);
  process.exit(1);
}

export async function start(): Promise<void> {
  const paths = resolvePaths();
  const client = new ControlClient(paths.controlSocket, 'cli');
  let daemon = 'the daemon is already running';
  if (!(await client.isRunning())) {
    try {
      await keychain().get(AUDIT_KEY_ACCOUNT);
    } catch (e) {
      if (!(e instanceof KeychainUnavailableError)) throw e;
      if (!canOfferKeyringSession()) noKeychain(e);
      console.log(`tollgate: no OS keychain answers here (${e.message}).`);
      // No tray here: a machine without a Secret Service has no desktop session either.
      const term = { secret: promptSecret, out: (line: string) => console.log(line) };
      process.exit(await startInKeyringSession({ command: [process.execPath, BIN, 'daemon'], answers: () => client.isRunning(), term }));
    }
    const { pid, log } = await startDaemonDetached({ root: PROJECT_ROOT, node: process.execPath, paths, answers: () => client.isRunning() });
    daemon = `daemon started in the background (pid ${pid}, output in ${log})`;
  }
  await client.close();
  process.exit(await startTray({ root: PROJECT_ROOT, node: process.execPath, daemon, out: (line) => console.log(line) }));
}
