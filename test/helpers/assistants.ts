// The real assistants, for tests: Claude Code and Codex CLI at pinned versions, installed from the
// npm registry into a cache outside the repository (never dependencies of Tollgate's). Both ship
// their native programs as npm packages. Installed once; later runs find them there.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export const ASSISTANTS = {
  claude: { pkg: '@anthropic-ai/claude-code', version: '2.1.332', bin: 'claude' },
  codex: { pkg: '@openai/codex', version: '0.171.0', bin: 'codex' },
} as const;

export const ASSISTANTS_DIR = process.env.TOLLGATE_TEST_ASSISTANTS ?? join(homedir(), '.cache', 'tollgate-test-assistants');

const installed = (a: (typeof ASSISTANTS)[keyof typeof ASSISTANTS]): boolean => {
  try {
    const manifest = JSON.parse(readFileSync(join(ASSISTANTS_DIR, 'node_modules', a.pkg, 'package.json'), 'utf8')) as { version?: string };
    return manifest.version === a.version && existsSync(join(ASSISTANTS_DIR, 'node_modules', '.bin', a.bin));
  } catch {
    return false;
  }
};

/**
 * The folder holding `claude` and `codex` (node_modules/.bin of the cache), installing them first
 * where they are missing; null (with the reason) where they cannot be installed (no registry).
 */
export function assistantBins(): { dir: string } | { dir: null; reason: string } {
  const all = Object.values(ASSISTANTS);
  if (!all.every(installed)) {
    mkdirSync(ASSISTANTS_DIR, { recursive: true });
    // npm runs with the Node the tests run with (its npm-cli.js next to it, or npm on PATH).
    const npmCli = join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');
    const [cmd, pre] = existsSync(npmCli) ? [process.execPath, [npmCli]] : ['npm', []];
    const r = spawnSync(cmd, [...pre, 'install', '--prefix', ASSISTANTS_DIR, '--no-audit', '--no-fund', '--no-save', ...all.map((a) => `${a.pkg}@${a.version}`)], {
      encoding: 'utf8', timeout: 600_000, env: { ...process.env, NODE_OPTIONS: undefined },
    });
    if (r.status !== 0 || !all.every(installed)) return { dir: null, reason: `npm install into ${ASSISTANTS_DIR} failed: ${(r.stderr || r.error?.message || '').trim().split('\n').pop()}` };
  }
  return { dir: join(ASSISTANTS_DIR, 'node_modules', '.bin') };
}
