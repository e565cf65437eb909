// A command line loads only the module of the command it names (issue 12: `tollgate status` in
// at most 300 ms), and the table that says which module adds which commands stays true.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { COMMAND_MODULES } from '../../../daemon/cli/commands.ts';
import { BIN, overlay, PROJECT_ROOT } from '../../helpers/daemon-process.ts';

// Prints the URL of every module loaded, on stderr.
const LOG_LOADS = `data:text/javascript,${encodeURIComponent(
  "import { registerHooks } from 'node:module'; import { writeSync } from 'node:fs';"
  + " registerHooks({ load(url, context, next) { writeSync(2, url + '\\n'); return next(url, context); } });",
)}`;

describe('the CLI\'s commands, module by module', () => {
  it.each(COMMAND_MODULES.map((m) => [m.names.join(', '), m] as const))('%s: the module adds exactly these', async (_, m) => {
    const program = new Command();
    (await m.load())(program);
    expect(program.commands.map((c) => c.name())).toEqual(m.names);
  });

  it('tollgate --help lists every command, each once', () => {
    const r = spawnSync(process.execPath, [BIN, '--help'], { cwd: PROJECT_ROOT, encoding: 'utf8', env: overlay(process.env, { NODE_OPTIONS: undefined }) });
    expect(r.status).toBe(0);
    const listed = [...r.stdout.slice(r.stdout.indexOf('Commands:')).matchAll(/^ {2}([a-z-]+)/gm)].map((m) => m[1]);
    expect(listed).toEqual(['daemon', 'start', 'mcp', ...COMMAND_MODULES.flatMap((m) => m.names), 'help']);
  });

  it('tollgate status loads its own module, not the others (nor zod)', () => {
    const home = mkdtempSync(join(tmpdir(), 'tollgate-cli-'));
    try {
      const r = spawnSync(process.execPath, ['--import', LOG_LOADS, BIN, 'status'], { cwd: PROJECT_ROOT, encoding: 'utf8', env: overlay(process.env, { TOLLGATE_HOME: home, NODE_OPTIONS: undefined }) });
      expect(r.status).toBe(1); // no daemon runs there
      const loaded = r.stderr.split('\n').filter((l) => l.startsWith('file:'));
      const cli = loaded.filter((u) => /\/cli\/[^/]+\.[jt]s$/.test(u)).map((u) => u.replace(/^.*\/cli\//, '').replace(/\.[jt]s$/, ''));
      expect(cli.sort()).toEqual(['client', 'commands', 'format', 'status']);
      expect(loaded.filter((u) => u.includes('/node_modules/zod/'))).toEqual([]);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
