// Sockets as files: an owner-only folder to hold them, a stale file replaced, mode 0600.
import { chmodSync, existsSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import type { Server } from 'node:http';

/** A folder only its owner can enter, even if it already existed with a wider mode. */
export function privateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  if (!st.isDirectory()) throw new Error(`${dir} is not a folder`);
  if (typeof process.getuid === 'function' && st.uid !== process.getuid()) throw new Error(`${dir} belongs to another user; refusing to put sockets there`);
  chmodSync(dir, 0o700);
}

export function listen(server: Server, path: string): Promise<void> {
  // The pid file proves no live daemon owns this socket: a leftover file is stale.
  if (process.platform !== 'win32' && existsSync(path)) unlinkSync(path);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      if (process.platform !== 'win32') chmodSync(path, 0o600);
      resolve();
    });
  });
}
