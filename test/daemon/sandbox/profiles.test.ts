// Assistant profiles are data (daemon/sandbox/profiles/*.json): each shipped one loads, is chosen by
// the program's name, and fills in the agent's URL and the integration; a bad one is refused by name.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyProfile, chooseProfile, loadProfiles } from '../../../daemon/sandbox/profiles.ts';

describe('assistant profiles', () => {
  const profiles = loadProfiles();

  it('ships claude-code, codex, openai-sdk and anthropic-sdk, each on the template of its provider', () => {
    expect([...profiles.keys()].sort()).toEqual(['anthropic-sdk', 'claude-code', 'codex', 'openai-sdk']);
    expect(Object.fromEntries([...profiles.values()].map((p) => [p.id, p.template]))).toEqual({
      'anthropic-sdk': 'anthropic', 'claude-code': 'anthropic', codex: 'openai', 'openai-sdk': 'openai',
    });
    for (const p of profiles.values()) expect(p.placeholder).toBe('tollgate-placeholder-not-a-key');
  });

  it('is chosen by the program\'s name, or by --assistant', () => {
    expect(chooseProfile(profiles, '/usr/local/bin/claude')).toMatchObject({ profile: { id: 'claude-code' }, byName: true });
    expect(chooseProfile(profiles, 'codex')).toMatchObject({ profile: { id: 'codex' }, byName: true });
    expect(chooseProfile(profiles, 'python3')).toBeNull();
    expect(chooseProfile(profiles, 'python3', 'openai-sdk')).toMatchObject({ profile: { id: 'openai-sdk' }, byName: false });
    expect(() => chooseProfile(profiles, 'x', 'nope')).toThrow(/--assistant nope: no such assistant profile \(there are: .*claude-code/);
  });

  it('points Claude Code at the integration, with a placeholder key and its non-essential traffic off; its login hidden', () => {
    const a = applyProfile(profiles.get('claude-code')!, 'http://127.0.0.1:8787', 'anthropic', '/home/ada');
    expect(a.env).toMatchObject({
      ANTHROPIC_BASE_URL: 'http://127.0.0.1:8787/v1/call/anthropic', ANTHROPIC_AUTH_TOKEN: 'tollgate-placeholder-not-a-key', CLAUDE_CONFIG_DIR: '/home/ada/.claude',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1', DISABLE_TELEMETRY: '1', DISABLE_ERROR_REPORTING: '1', DISABLE_AUTOUPDATER: '1',
    });
    expect(a.state).toEqual([{ path: '/home/ada/.claude', dir: true }]);
    expect(a.unset).toContain('ANTHROPIC_API_KEY');
    expect(a.hidden).toEqual(['/home/ada/.claude/.credentials.json']);
  });

  it('points Codex at the integration with a provider of its own (Responses API, no retries), by -c overrides', () => {
    const a = applyProfile(profiles.get('codex')!, 'http://127.0.0.1:8787', 'openai', '/home/ada');
    expect(a.args).toContain('model_providers.tollgate.base_url="http://127.0.0.1:8787/v1/call/openai/v1"');
    expect(a.args).toContain('model_providers.tollgate.wire_api="responses"');
    expect(a.args).toContain('model_providers.tollgate.stream_max_retries=0');
    // Its own sandbox cannot nest in Tollgate's (no user namespaces inside): Tollgate's contains it.
    expect(a.args).toContain('sandbox_mode="danger-full-access"');
    expect(a.env).toEqual({ TOLLGATE_PLACEHOLDER_KEY: 'tollgate-placeholder-not-a-key' });
    expect(a.hidden).toEqual(['/home/ada/.codex/auth.json']);
  });

  it('refuses a bad profile file, naming it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-profiles-'));
    try {
      writeFileSync(join(dir, 'x.json'), JSON.stringify({ ...profiles.get('codex'), id: 'x', state: ['/etc'] }));
      expect(() => loadProfiles(dir)).toThrow(/^assistant profile x\.json: state\.0: /);
      writeFileSync(join(dir, 'x.json'), JSON.stringify({ ...profiles.get('codex') }));
      expect(() => loadProfiles(dir)).toThrow(/its id is "codex"; the file must be named codex\.json/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
