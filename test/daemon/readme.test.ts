import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERRORS } from '../../daemon/errors.ts';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('the README', () => {
  it('documents exactly the error codes of daemon/errors.ts, with their statuses', () => {
    const table = readme.slice(readme.indexOf('<!-- error-table:start'), readme.indexOf('<!-- error-table:end'));
    const rows = [...table.matchAll(/^\| (\d{3}) \| `([a-z_]+)` \|/gm)].map((m) => [m[2], Number(m[1])]);
    expect(Object.fromEntries(rows)).toEqual(Object.fromEntries(Object.entries(ERRORS).map(([code, e]) => [code, e.status])));
    expect(rows.length).toBe(Object.keys(ERRORS).length);
  });

  it('opens with the install-and-start and the test command that .ci/run uses', () => {
    const block = /```sh\n([\s\S]*?)```/.exec(readme)![1]!;
    const [start, test] = block.trim().split('\n').map((l) => l.replace(/\s+#.*$/, ''));
    expect(start).toBe('bash resources/setup.sh && resources/with-node npm start');
    expect(test).toBe('resources/with-node npm test');
    expect(readFileSync(new URL('../../.ci/run', import.meta.url), 'utf8')).toContain(`\n${test}\n`);
  });
});
