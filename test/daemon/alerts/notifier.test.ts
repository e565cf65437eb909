import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nativeNotifier } from '../../../daemon/alerts/notifier.ts';

describe('native notifications', () => {
  it('go through notify-send, critical ones with critical urgency', async () => {
    // A stand-in notify-send on PATH records what node-notifier asks of it.
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-notify-'));
    const log = join(dir, 'calls');
    writeFileSync(join(dir, 'notify-send'), `#!/bin/sh\nprintf '%s\\n' "$@" >> ${log}\necho --- >> ${log}\n`);
    chmodSync(join(dir, 'notify-send'), 0o755);
    process.env.PATH = `${dir}:${process.env.PATH}`;
    nativeNotifier.notify({ tier: 'critical', title: 'Key rejected: search', message: 'Set a new key.' });
    for (let i = 0; i < 100 && !existsSync(log); i++) await new Promise((r) => setTimeout(r, 20));
    const args = readFileSync(log, 'utf8');
    expect(args).toContain('Tollgate: Key rejected: search');
    expect(args).toContain('Set a new key.');
    expect(args).toMatch(/--urgency\ncritical|-u\ncritical|--urgency=critical/);
  });
});
