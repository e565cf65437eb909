#!/usr/bin/env node
// Entry point of `npx tollgate`. Plain JavaScript so it can check the Node version first. It runs
// the JavaScript build in out/lib/ when that is current (daemon/build.mjs); otherwise the
// TypeScript sources themselves, which Node runs by stripping their types.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BUILD, staleSource } from './build.mjs';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  console.error(`tollgate: Node ${process.versions.node} is too old; Tollgate needs Node 22.12 or later. In the project folder run it as "resources/with-node npx tollgate …" (bash resources/setup.sh installs one).`);
  process.exit(1);
}

if (staleSource() === null) {
  await import(pathToFileURL(join(BUILD, 'cli.js')).href);
} else if (!process.features.typescript) {
  // Node 22.12–22.17 strip types only behind a flag.
  const r = spawnSync(process.execPath, [...process.execArgv, '--experimental-strip-types', '--no-warnings', ...process.argv.slice(1)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
} else {
  await import('./cli.ts');
}
