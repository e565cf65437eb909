// The JavaScript build of the daemon's sources (out/lib/, made by `npm run build:daemon`, which
// `npm install` and `npm test` run): usable only while it is newer than every source file.
import { readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SOURCES = dirname(fileURLToPath(import.meta.url));
export const BUILD = join(SOURCES, '..', 'out', 'lib');

/** The first source file whose .js is missing or older than it; null when the build is current. */
export function staleSource() {
  for (const entry of readdirSync(SOURCES, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
    const source = join(entry.parentPath, entry.name);
    const built = join(BUILD, relative(SOURCES, source)).replace(/\.ts$/, '.js');
    try {
      if (statSync(built).mtimeMs < statSync(source).mtimeMs) return source;
    } catch {
      return source;
    }
  }
  return null;
}
