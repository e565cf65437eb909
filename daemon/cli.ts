// The `tollgate` command. The daemon runs here; every other command is a client of the
// control socket (the CLI never opens the database or the keychain itself).
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { nativeNotifier } from './alerts/notifier.ts';
import { systemClock } from './clock.ts';
import { ControlClient, DaemonNotRunning } from './client/control-client.ts';
import { VERSION } from './daemon.ts';
import { keytarKeychain } from './keychain/keytar-keychain.ts';
import { AUDIT_KEY_ACCOUNT, KEYCHAIN_SERVICE, KeychainUnavailableError } from './keychain/keychain.ts';
import { resolvePaths } from './paths.ts';
import { AlreadyRunning } from './process/pid-file.ts';
import { canOfferKeyringSession, promptSecret, runInKeyringSession } from './process/keyring-session.ts';
import { serve } from './process/serve.ts';

const program = new Command('tollgate').version(VERSION).description('A local gate between an AI assistant and the APIs it calls.');

async function runDaemon(): Promise<void> {
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
  return keytarKeychain(process.env.TOLLGATE_KEYCHAIN_SERVICE || KEYCHAIN_SERVICE);
}

function noKeychain(e: KeychainUnavailableError): never {
  fail(`no usable OS keychain (${e.message}); Tollgate will not start without one. Unlock your keychain, or on a Linux machine without a desktop session run "npm start" from a terminal to unlock a gnome-keyring for Tollgate.`);
}

function fail(message: string): never {
  console.error(`tollgate: ${message}`);
  process.exit(1);
}

program.command('daemon').description('run the daemon in the foreground').action(runDaemon);

program.command('start').description('start the daemon (and the tray app, where there is one)').action(async () => {
  const paths = resolvePaths();
  if (await new ControlClient(paths.controlSocket, 'cli').isRunning()) {
    console.log('tollgate: the daemon is already running');
    return;
  }
  console.log('tollgate: no tray app in this build; the daemon runs in this terminal. Use "npx tollgate --help" in another terminal to manage it.');
  try {
    await keychain().get(AUDIT_KEY_ACCOUNT);
  } catch (e) {
    if (!(e instanceof KeychainUnavailableError)) throw e;
    if (!canOfferKeyringSession()) noKeychain(e);
    console.log(`tollgate: no OS keychain answers here (${e.message}).`);
    console.log('tollgate: Tollgate can run your gnome-keyring for itself, in a private session. Keys are stored there, encrypted with this password (choose one the first time).');
    const password = await promptSecret('Keyring password: ');
    process.exit(await runInKeyringSession(password, [process.execPath, fileURLToPath(new URL('./bin.mjs', import.meta.url)), 'daemon']));
  }
  await runDaemon();
});

const audit = program.command('audit').description('the audit log');
audit.command('verify').description('check the audit chain; exit 1 at the first broken record').action(async () => {
  const result = await control().verifyAudit();
  if (result.ok) console.log(`audit chain intact: ${result.records} records`);
  else fail(`audit chain broken at record ${result.firstBad} (${result.records} records before it verify)`);
});

function control(): ControlClient {
  return new ControlClient(resolvePaths().controlSocket, 'cli');
}

program.parseAsync().catch((e: unknown) => {
  if (e instanceof DaemonNotRunning) fail(e.message);
  fail(e instanceof Error ? e.message : String(e));
});
