// Assistant profiles are data (daemon/sandbox/profiles/*.json): each shipped one loads, is chosen by
// the program's name, and fills in the agent's URL and the integration; a bad one is refused by name.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTemplates } from '../../../daemon/integrations/templates.ts';
import { applyProfile, chooseModel, chooseProfile, loadProfiles } from '../../../daemon/sandbox/profiles.ts';

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
    const a = applyProfile(profiles.get('claude-code')!, 'http://127.0.0.1:8787', 'anthropic', null, '/home/ada');
    expect(a.env).toMatchObject({
      ANTHROPIC_BASE_URL: 'http://127.0.0.1:8787/v1/call/anthropic', ANTHROPIC_AUTH_TOKEN: 'tollgate-placeholder-not-a-key', CLAUDE_CONFIG_DIR: '/home/ada/.claude',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1', DISABLE_TELEMETRY: '1', DISABLE_ERROR_REPORTING: '1', DISABLE_AUTOUPDATER: '1',
    });
    expect(a.state).toEqual([{ path: '/home/ada/.claude', dir: true }]);
    expect(a.unset).toContain('ANTHROPIC_API_KEY');
    expect(a.hidden).toEqual(['/home/ada/.claude/.credentials.json']);
  });

  it('points Codex at the integration with a provider of its own (Responses API, no retries), by -c overrides', () => {
    const a = applyProfile(profiles.get('codex')!, 'http://127.0.0.1:8787', 'openai', null, '/home/ada');
    expect(a.args).toContain('model_providers.tollgate.base_url="http://127.0.0.1:8787/v1/call/openai/v1"');
    expect(a.args).toContain('model_providers.tollgate.wire_api="responses"');
    expect(a.args).toContain('model_providers.tollgate.stream_max_retries=0');
    // Its own sandbox cannot nest in Tollgate's (no user namespaces inside): Tollgate's contains it.
    expect(a.args).toContain('sandbox_mode="danger-full-access"');
    expect(a.env).toEqual({ TOLLGATE_PLACEHOLDER_KEY: 'tollgate-placeholder-not-a-key' });
    expect(a.hidden).toEqual(['/home/ada/.codex/auth.json']);
  });

  it("names Codex's model when the operator names none: the first preferred one the integration prices", () => {
    const codex = profiles.get('codex')!;
    const home = mkdtempSync(join(tmpdir(), 'tollgate-home-'));
    try {
      const listed = loadTemplates().get('openai')!.pricing.tokens!.models;
      const model = chooseModel(codex, ['exec', 'Say hello'], Object.keys(listed), home);
      expect(model).toBe('gpt-6-sol');
      expect(applyProfile(codex, 'http://127.0.0.1:8787', 'openai', model, home).args.slice(-2)).toEqual(['-c', 'model="gpt-6-sol"']);
      expect(chooseModel(codex, ['exec', 'Say hello'], ['gpt-6.2-sol', 'gpt-6-sol'], home)).toBe('gpt-6.2-sol');
      expect(chooseModel(codex, ['exec', 'Say hello'], ['gpt-4o'], home)).toBeNull();
      // The operator's own choice stands: an argument, a config profile, or the config file.
      for (const args of [['-m', 'o3', 'exec', 'x'], ['--model=o3', 'exec'], ['-mo3'], ['exec', '-c', 'model="o3"', 'x'], ['--profile', 'work'], ['-c', 'model = "o3"']]) {
        expect(chooseModel(codex, args, Object.keys(listed), home), args.join(' ')).toBeNull();
      }
      mkdirSync(join(home, '.codex'));
      writeFileSync(join(home, '.codex', 'config.toml'), '[profiles.work]\nmodel = "o3"\n');
      expect(chooseModel(codex, ['exec', 'x'], Object.keys(listed), home)).toBe('gpt-6-sol');
      writeFileSync(join(home, '.codex', 'config.toml'), '# mine\nmodel = "o3"\n[profiles.work]\n');
      expect(chooseModel(codex, ['exec', 'x'], Object.keys(listed), home)).toBeNull();
      // Claude Code's default is in the template: its profile names none.
      expect(chooseModel(profiles.get('claude-code')!, ['-p', 'x'], ['claude-opus-5-5'], home)).toBeNull();
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('refuses a bad profile file, naming it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-profiles-'));
    try {
      writeFileSync(join(dir, 'x.json'), JSON.stringify({ ...profiles.get('codex'), id: 'x', state: ['/etc'] }));
      expect(() => loadProfiles(dir)).toThrow(/^assistant profile x\.json: state\.0: /);
      writeFileSync(join(dir, 'x.json'), JSON.stringify({ ...profiles.get('codex') }));
      expect(() => loadProfiles(dir)).toThrow(/its id is "codex"; the file must be named codex\.json/);
      writeFileSync(join(dir, 'x.json'), JSON.stringify({ ...profiles.get('codex'), id: 'x', model: { ...profiles.get('codex')!.model, namedBy: ['(-m'] } }));
      expect(() => loadProfiles(dir)).toThrow(/^assistant profile x\.json: model\.namedBy\.0: a regular expression/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
