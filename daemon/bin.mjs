#!/usr/bin/env node
// Entry point of `tollgate` (resources/tollgate, which setup.sh puts on PATH; `npx tollgate`;
// `npm start`). Plain JavaScript, so that any Node reads it: one older than 22.12 runs it again
// under resources/with-node, which picks the project's Node (.node/ from setup.sh). It runs the
// JavaScript build in out/lib/ when that is current (daemon/build.mjs); otherwise the TypeScript
// sources themselves, which Node runs by stripping their types.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import module from 'node:module'; // not a named import: Node 20 lacks enableCompileCache
import { constants } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BUILD, SOURCES, staleSource } from './build.mjs';

const ROOT = join(SOURCES, '..');
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 12)) process.exit(await withProjectNode());

// Compiled code, and the sources with their types stripped, are kept for the next start (a
// command's start-up is mostly compiling its modules). In the project's folder, not a shared /tmp
// where another user could plant code; unwritable (a read-only checkout): nothing is kept.
module.enableCompileCache(join(ROOT, 'node_modules', '.cache', 'tollgate-compile'));

if (staleSource() === null) {
  await import(pathToFileURL(join(BUILD, 'cli.js')).href);
} else if (!process.features.typescript) {
  // Node 22.12–22.17 strip types only behind a flag.
  const r = spawnSync(process.execPath, [...process.execArgv, '--experimental-strip-types', '--no-warnings', ...process.argv.slice(1)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
} else {
  await import('./cli.ts');
}

/** Runs this command line again with the Node resources/with-node picks; resolves to its exit code. */
async function withProjectNode() {
  const withNode = join(ROOT, 'resources', 'with-node');
  if (process.platform === 'win32' || !existsSync(withNode)) {
    console.error(`tollgate: Node ${process.versions.node} is too old; Tollgate needs Node 22.12 or later.`);
    return 1;
  }
  const child = spawn(withNode, ['node', ...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit' });
  // A terminal's Ctrl-C and hang-up reach the child as well (the same process group); a kill
  // aimed at this process is passed on.
  process.on('SIGINT', () => {});
  process.on('SIGHUP', () => {});
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  return new Promise((resolve) => {
    child.once('error', (e) => {
      console.error(`tollgate: ${withNode} could not be run (${e.message})`);
      resolve(1);
    });
    child.once('exit', (code, signal) => resolve(code ?? 128 + (constants.signals[signal] ?? 0)));
  });
}
