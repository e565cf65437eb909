// `tollgate/client` as another Node program gets it: the package export, built to JavaScript
// (what `npm install` builds), talking to a real daemon.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staleSource } from '../../../daemon/build.mjs';
import { Harness } from '../../helpers/harness.ts';
import { json } from '../../helpers/upstream.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

describe('the tollgate/client package export', () => {
  let h: Harness;

  beforeAll(async () => {
    // Built by `npm test` before the tests start (rebuilding here would race the daemons other test
    // files start from the same build).
    const stale = staleSource();
    if (stale) throw new Error(`out/lib/ is older than ${stale}: run "npm run build:daemon" first (npm test does)`);
    h = await Harness.start({ handler: json(200, { hits: 1 }) });
    await h.addIntegration();
  });
  afterAll(() => h.close());

  it('imports by its package name, as plain JavaScript, and calls through the agent socket', async () => {
    const script = `
      import { TollgateClient, TollgateRefusal } from 'tollgate/client';
      const client = new TollgateClient({ purpose: 'checking the package' });
      const ok = await client.call({ integration: 'search', path: '/res/v1/web/search', query: { q: 'x' } });
      let refused;
      try { await client.call({ integration: 'nope', path: '/' }); } catch (e) { refused = e instanceof TollgateRefusal ? e.code : String(e); }
      console.log(JSON.stringify({ status: ok.status, body: ok.json(), cost: ok.costUsd, refused }));
      await client.close();
    `;
    // No type stripping: the flag makes Node refuse any .ts the export might still point at.
    // Asynchronous: the daemon answering it runs in this very process.
    const { stdout } = await promisify(execFile)(process.execPath, ['--no-experimental-strip-types', '--input-type=module', '-e', script], {
      cwd: ROOT,
      env: { ...process.env, TOLLGATE_AGENT_SOCKET: h.paths.agentSocket },
    });
    expect(JSON.parse(stdout)).toEqual({ status: 200, body: { hits: 1 }, cost: 0.005, refused: 'not_allowlisted' });
  });
});
