// Where Tollgate is installed: the folder of its package.json, found from this module, which runs
// either from the sources (daemon/) or from their JavaScript build (out/lib/).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function projectRoot(from: string): string {
  for (let dir = from; ;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === 'tollgate') return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`Tollgate's package.json is not in any folder above ${from}`);
    dir = up;
  }
}

export const PROJECT_ROOT = projectRoot(dirname(fileURLToPath(import.meta.url)));
/** The entry point every Tollgate process starts from. */
export const BIN = join(PROJECT_ROOT, 'daemon', 'bin.mjs');
