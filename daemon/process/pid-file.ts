// One daemon per data folder: run/daemon.pid holds the running daemon's pid.
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';

function isRunningDaemon(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  // A reused pid belongs to some other program: only a Tollgate daemon holds the folder.
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return /tollgate|daemon/.test(cmdline);
  } catch {
    return true; // no /proc (macOS): trust the pid
  }
}

export class AlreadyRunning extends Error {}

/** Takes the pid file, replacing a stale one; throws AlreadyRunning when a live daemon holds it. */
export function acquirePidFile(file: string): () => void {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      return () => {
        try {
          if (readFileSync(file, 'utf8').trim() === String(process.pid)) unlinkSync(file);
        } catch {
          // already gone
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const pid = Number(readFileSync(file, 'utf8').trim());
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isRunningDaemon(pid)) {
      throw new AlreadyRunning(`another Tollgate daemon (pid ${pid}) is already running with this data folder; stop it first (kill ${pid})`);
    }
    try {
      unlinkSync(file);
    } catch {
      // another starter removed it first; try again
    }
  }
  throw new AlreadyRunning(`could not take ${file}: another daemon is starting at the same time`);
}
