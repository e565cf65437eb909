// The operator's folders (--work, --ro) and what they may not reach into.
import { realpathSync, statSync } from 'node:fs';
import { resolve } from 'node:path';

// Credential stores in the home folder, hidden unless the operator names one (or a folder in it).
export const HOME_SECRETS = [
  '.ssh', '.gnupg', '.aws', '.azure', '.config/gcloud', '.kube', '.docker', '.password-store',
  '.config/gh', '.netrc', '.git-credentials', '.npmrc', '.pypirc',
];

export const under = (path: string, dir: string): boolean => path === dir || path.startsWith(dir === '/' ? '/' : `${dir}/`);

export function realOrNull(path: string): string | null {
  try {
    return realpathSync(path);
  } catch {
    return null;
  }
}

/** The real paths of `dirs`; throws (one line) on one that is missing or inside `forbidden`. */
export function operatorFolders(option: string, dirs: string[], forbidden: string[]): string[] {
  return dirs.map((dir) => {
    const real = realOrNull(resolve(dir));
    if (!real || !statSync(real).isDirectory()) throw new Error(`${option} ${dir}: no such folder`);
    if (real === '/') throw new Error(`${option} /: the whole file system cannot be a sandbox folder; name a narrower one`);
    const inside = forbidden.find((f) => under(real, f));
    if (inside) throw new Error(`${option} ${dir}: inside ${inside}, which the sandbox always hides`);
    return real;
  });
}
