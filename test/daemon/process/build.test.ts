// daemon/bin.mjs runs the JavaScript build only while it is current: a source edited after the
// build, or one the build lacks, sends it back to the TypeScript sources.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const BUILD_MJS = new URL('../../../daemon/build.mjs', import.meta.url);

describe('whether the daemon runs its build or its sources', () => {
  let root: string;
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  /** A project with daemon/build.mjs, sources and a build; each file gets the mtime given (seconds). */
  function project(files: Record<string, number>): void {
    root = mkdtempSync(join(tmpdir(), 'tollgate-build-'));
    mkdirSync(join(root, 'daemon'), { recursive: true });
    copyFileSync(BUILD_MJS, join(root, 'daemon', 'build.mjs'));
    for (const [file, mtime] of Object.entries(files)) {
      const path = join(root, file);
      mkdirSync(join(path, '..'), { recursive: true });
      writeFileSync(path, '');
      utimesSync(path, mtime, mtime);
    }
  }
  const staleSource = async (): Promise<string | null> =>
    ((await import(`${pathToFileURL(join(root, 'daemon', 'build.mjs')).href}?${Math.random()}`)) as typeof import('../../../daemon/build.mjs')).staleSource();

  it('the build, when every source has an older .js beside it in out/lib', async () => {
    project({ 'daemon/cli.ts': 100, 'daemon/db/open.ts': 100, 'daemon/templates/a.json': 900, 'out/lib/cli.js': 200, 'out/lib/db/open.js': 200 });
    expect(await staleSource()).toBeNull();
  });

  it('the sources, when one was changed after the build', async () => {
    project({ 'daemon/cli.ts': 100, 'daemon/db/open.ts': 300, 'out/lib/cli.js': 200, 'out/lib/db/open.js': 200 });
    expect(await staleSource()).toBe(join(root, 'daemon', 'db', 'open.ts'));
  });

  it('the sources, when the build lacks one (a new file, or no build at all)', async () => {
    project({ 'daemon/cli.ts': 100, 'daemon/new.ts': 100, 'out/lib/cli.js': 200 });
    expect(await staleSource()).toBe(join(root, 'daemon', 'new.ts'));
  });
});
