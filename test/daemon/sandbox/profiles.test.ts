// Assistant profiles are data (daemon/sandbox/profiles/*.json): each shipped one loads, is chosen by
// the program's name, and fills in the agent's URL and the integration; a bad one is refused by name.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTemplates } from '../../../daemon/integrations/templates.ts';
import { applyProfile, chooseProfile, loadProfiles, standIns } from '../../../daemon/sandbox/profiles.ts';

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
    const a = applyProfile(profiles.get('claude-code')!, 'http://127.0.0.1:8787', 'anthropic', [], '/home/ada');
    expect(a.env).toMatchObject({
      ANTHROPIC_BASE_URL: 'http://127.0.0.1:8787/v1/call/anthropic', ANTHROPIC_AUTH_TOKEN: 'tollgate-placeholder-not-a-key', CLAUDE_CONFIG_DIR: '/home/ada/.claude',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1', DISABLE_TELEMETRY: '1', DISABLE_ERROR_REPORTING: '1', DISABLE_AUTOUPDATER: '1',
    });
    expect(a.state).toEqual([{ path: '/home/ada/.claude', dir: true }]);
    expect(a.unset).toContain('ANTHROPIC_API_KEY');
    expect(a.hidden).toEqual(['/home/ada/.claude/.credentials.json']);
  });

  it('points Codex at the integration with a provider of its own (Responses API, no retries), by -c overrides', () => {
    const a = applyProfile(profiles.get('codex')!, 'http://127.0.0.1:8787', 'openai', [], '/home/ada');
    expect(a.args).toContain('model_providers.tollgate.base_url="http://127.0.0.1:8787/v1/call/openai/v1"');
    expect(a.args).toContain('model_providers.tollgate.wire_api="responses"');
    expect(a.args).toContain('model_providers.tollgate.stream_max_retries=0');
    // Its own sandbox cannot nest in Tollgate's (no user namespaces inside): Tollgate's contains it.
    expect(a.args).toContain('sandbox_mode="danger-full-access"');
    expect(a.env).toEqual({ TOLLGATE_PLACEHOLDER_KEY: 'tollgate-placeholder-not-a-key' });
    expect(a.hidden).toEqual(['/home/ada/.codex/auth.json']);
  });

  it("stands in for Codex's default model when the integration does not price it and the operator names none", () => {
    const codex = profiles.get('codex')!;
    const home = mkdtempSync(join(tmpdir(), 'tollgate-home-'));
    try {
      const listed = Object.keys(loadTemplates().get('openai')!.pricing.tokens!.models);
      const stand = standIns(codex, ['exec', 'Say hello'], listed, {}, home);
      expect(stand).toEqual([{ alias: 'default', own: 'gpt-6.2-sol', model: 'gpt-6-sol', args: ['-c', 'model="{model}"'], hint: '-m <model> chooses another' }]);
      expect(applyProfile(codex, 'http://127.0.0.1:8787', 'openai', stand, home).args.slice(-2)).toEqual(['-c', 'model="gpt-6-sol"']);
      // Its own model, once priced, needs no stand-in; one the integration prices none of gets none.
      expect(standIns(codex, ['exec', 'x'], ['gpt-6.2-sol', 'gpt-6-sol'], {}, home)).toEqual([]);
      expect(standIns(codex, ['exec', 'x'], ['gpt-4o'], {}, home)).toEqual([]);
      // The operator's own choice stands: an argument, a config profile, or the config file.
      for (const args of [['-m', 'o3', 'exec', 'x'], ['--model=o3', 'exec'], ['-mo3'], ['exec', '-c', 'model="o3"', 'x'], ['--profile', 'work'], ['-c', 'model = "o3"']]) {
        expect(standIns(codex, args, listed, {}, home), args.join(' ')).toEqual([]);
      }
      mkdirSync(join(home, '.codex'));
      writeFileSync(join(home, '.codex', 'config.toml'), '[profiles.work]\nmodel = "o3"\n');
      expect(standIns(codex, ['exec', 'x'], listed, {}, home)).toHaveLength(1);
      writeFileSync(join(home, '.codex', 'config.toml'), '# mine\nmodel = "o3"\n[profiles.work]\n');
      expect(standIns(codex, ['exec', 'x'], listed, {}, home)).toEqual([]);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it("stands in for Claude Code's aliases the integration does not price, by their variables, unless the operator set them", () => {
    const claude = profiles.get('claude-code')!;
    const listed = Object.keys(loadTemplates().get('anthropic')!.pricing.tokens!.models);
    expect(listed).toContain('claude-opus-5-5');
    const stand = standIns(claude, ['-p', 'x'], listed, {});
    expect(stand.map((m) => [m.alias, m.own, m.model])).toEqual([['sonnet', 'claude-sonnet-5-5', 'claude-sonnet-5'], ['haiku', 'claude-haiku-5-5', 'claude-haiku-4-5']]);
    expect(applyProfile(claude, 'http://127.0.0.1:8787', 'anthropic', stand, '/home/ada').env).toMatchObject({ ANTHROPIC_DEFAULT_SONNET_MODEL: 'claude-sonnet-5', ANTHROPIC_DEFAULT_HAIKU_MODEL: 'claude-haiku-4-5' });
    expect(standIns(claude, ['-p', 'x'], listed, { ANTHROPIC_DEFAULT_SONNET_MODEL: 'claude-sonnet-4-5' }).map((m) => m.alias)).toEqual(['haiku']);
  });

  it('refuses a bad profile file, naming it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-profiles-'));
    try {
      writeFileSync(join(dir, 'x.json'), JSON.stringify({ ...profiles.get('codex'), id: 'x', state: ['/etc'] }));
      expect(() => loadProfiles(dir)).toThrow(/^assistant profile x\.json: state\.0: /);
      writeFileSync(join(dir, 'x.json'), JSON.stringify({ ...profiles.get('codex') }));
      expect(() => loadProfiles(dir)).toThrow(/its id is "codex"; the file must be named codex\.json/);
      const [choice] = profiles.get('codex')!.models;
      writeFileSync(join(dir, 'x.json'), JSON.stringify({ ...profiles.get('codex'), id: 'x', models: [{ ...choice, namedBy: ['(-m'] }] }));
      expect(() => loadProfiles(dir)).toThrow(/^assistant profile x\.json: models\.0\.namedBy\.0: a regular expression/);
      writeFileSync(join(dir, 'x.json'), JSON.stringify({ ...profiles.get('codex'), id: 'x', models: [{ ...choice, env: 'X_MODEL' }] }));
      expect(() => loadProfiles(dir)).toThrow(/^assistant profile x\.json: models\.0: either env or args, not both/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
