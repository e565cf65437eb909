// Issue #11: the assistants people use, run under Tollgate with one command. The real Claude Code
// and Codex CLI (pinned, installed from npm into a cache outside the repository: see
// test/helpers/assistants.ts) run in `tollgate sandbox` next to a real daemon, against an HTTPS
// mock of Anthropic's Messages API and OpenAI's Responses API (streamed, with usage). Nothing is
// set by hand but the integration: the profile points each at TOLLGATE_AGENT_URL with a
// placeholder key. Also: the generic SDK profiles, with a small program using the official SDK.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { usdOfMicros } from '../../../daemon/money.ts';
import { assistantBins } from '../../helpers/assistants.ts';
import { BIN, haveCommands, PROJECT_ROOT, runCli, SHOWN_IN_SANDBOX, Testbed, waitFor } from '../../helpers/daemon-process.ts';
import { json } from '../../helpers/upstream.ts';
import { anthropicStream, anthropicMessage, response, responsesStream, sse, TEXT } from '../pricing/streams.ts';

const NODE = process.execPath;
const ANSWER = TEXT.join('');
const ANTHROPIC_USAGE = { input_tokens: 1000, output_tokens: 200, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 };
const RESPONSES_USAGE = { input_tokens: 900, input_tokens_details: { cached_tokens: 0 }, output_tokens: 400, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 1300 };

/** The Responses stream, with the message item's done events too (Codex prints the item it announces). */
function responsesEvents(model: string): [string, unknown][] {
  const events = responsesStream(RESPONSES_USAGE, 'response.completed', model);
  const last = events.pop()!;
  const item = { id: 'msg_1', type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: ANSWER, annotations: [] }] };
  events.push(
    ['response.content_part.done', { type: 'response.content_part.done', item_id: 'msg_1', output_index: 1, content_index: 0, part: item.content[0] }],
    ['response.output_item.done', { type: 'response.output_item.done', output_index: 1, item }],
    last,
  );
  return events;
}

// A turn in which the model has Codex run a shell command, through its `exec` tool (JavaScript
// calling the nested exec_command tool, as Codex declares it in the request).
const COMMAND_PROMPT = 'Write the marker file';
// The file it writes: in the test's work folder (set once that exists).
let marker = '';
const command = (): string => `echo written-by-an-assistant > ${marker} && cat ${marker}`;

function toolCallEvents(model: string): [string, unknown][] {
  const item = { id: 'ctc_1', type: 'custom_tool_call', status: 'completed', call_id: 'call_1', name: 'exec', input: `const r = await tools.exec_command({ cmd: ${JSON.stringify(command())} });\ntext(r.output);` };
  const done = { ...response(RESPONSES_USAGE, model), output: [item] };
  return [
    ['response.created', { type: 'response.created', response: { ...done, status: 'in_progress', output: [], usage: null } }],
    ['response.output_item.added', { type: 'response.output_item.added', output_index: 0, item: { ...item, status: 'in_progress', input: '' } }],
    ['response.output_item.done', { type: 'response.output_item.done', output_index: 0, item }],
    ['response.completed', { type: 'response.completed', response: done }],
  ];
}

/** Claude Code's turn: its Bash tool, asked to run the same command. */
function toolUseEvents(model: string): [string, unknown][] {
  const input = JSON.stringify({ command: command(), description: 'Write the marker file' });
  return [
    ['message_start', { type: 'message_start', message: { id: 'msg_tool', type: 'message', role: 'assistant', content: [], model, stop_reason: null, stop_sequence: null, usage: { ...ANTHROPIC_USAGE, output_tokens: 1 } } }],
    ['content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id: 'toolu_1', name: 'Bash', input: {} } }],
    ['content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: input } }],
    ['content_block_stop', { type: 'content_block_stop', index: 0 }],
    ['message_delta', { type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: ANTHROPIC_USAGE.output_tokens } }],
    ['message_stop', { type: 'message_stop' }],
  ];
}

/** The result Claude Code sent back for its tool, if this request carries one. */
const toolResult = (body: any): string | null => {
  const last = (body.messages ?? []).at(-1);
  const result = Array.isArray(last?.content) ? last.content.find((c: any) => c.type === 'tool_result') : undefined;
  return result ? JSON.stringify(result.content) : null;
};

/** The output Codex sent back for the tool call, if this request carries one. */
const toolOutput = (body: any): string | null => {
  const out = (body.input ?? []).find((i: any) => i.type === 'custom_tool_call_output' || i.type === 'function_call_output');
  return out ? JSON.stringify(out.output) : null;
};

/** The mock provider: Anthropic's Messages API and OpenAI's Responses API, streamed and not. */
function provider(req: IncomingMessage, res: ServerResponse, raw: Buffer): void {
  const url = (req.url ?? '').split('?')[0];
  let body: any = {};
  try {
    body = raw.length ? JSON.parse(raw.toString()) : {};
  } catch {
    // not JSON
  }
  const stream = (events: [string | null, unknown][]) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end(sse(events));
  };
  if (url === '/v1/messages') {
    const asked = JSON.stringify(body.messages ?? '').includes(COMMAND_PROMPT);
    if (body.stream && asked && toolResult(body) === null) return stream(toolUseEvents(body.model));
    if (body.stream) return stream(anthropicStream({ ...ANTHROPIC_USAGE, output_tokens: 1 }, { output_tokens: ANTHROPIC_USAGE.output_tokens }, body.model));
    return json(200, anthropicMessage(ANTHROPIC_USAGE, body.model))(req, res, raw) as void;
  }
  if (url === '/v1/messages/count_tokens') return json(200, { input_tokens: 10 })(req, res, raw) as void;
  if (url === '/v1/responses') {
    const asked = JSON.stringify(body.input ?? '').includes(COMMAND_PROMPT);
    if (body.stream && asked && toolOutput(body) === null) return stream(toolCallEvents(body.model));
    if (body.stream) return stream(responsesEvents(body.model));
    return json(200, response(RESPONSES_USAGE, body.model))(req, res, raw) as void;
  }
  if (url === '/v1/models') return json(200, { object: 'list', data: [] })(req, res, raw) as void;
  return json(404, { error: { message: `no ${url}` } })(req, res, raw) as void;
}

const bins = process.platform === 'linux' ? assistantBins() : { dir: null, reason: 'Linux only' };

describe.skipIf(process.platform !== 'linux')('assistants under tollgate sandbox (issue #11)', () => {
  const base = mkdtempSync('/var/tmp/tollgate-assistants-test-');
  let t: Testbed;
  const keys: Record<string, string> = {};
  let work: string;
  let home: string;

  // A HOME of the test's own (the assistants keep state there), with stored credentials to hide.
  const env = (extra: Record<string, string | undefined> = {}) => t.env({ HOME: home, PATH: `${bins.dir}:${dirname(NODE)}:/usr/bin:/bin`, ...extra });
  const sandbox = (args: string[], extra: Record<string, string | undefined> = {}) => runCli(['sandbox', '--work', work, ...SHOWN_IN_SANDBOX, ...args], env(extra), 120_000);
  const records = async (query = '') => (await t.control('GET', `/v1/audit?limit=100${query}`)).json.records as any[];

  beforeAll(async () => {
    t = await Testbed.create({ tmpRoot: base, handler: provider });
    await t.start();
    for (const template of ['anthropic', 'openai']) {
      const created = await t.control('POST', '/v1/integrations', { template, name: template, purpose: "the assistant's own model", account: 'me@example.org', baseUrl: t.upstream.url, monthlyCapUsd: 50 });
      expect(created.status, created.text).toBe(200);
      keys[template] = `tg-model-key-${template}-${'k'.repeat(24)}`;
      expect((await t.control('PUT', `/v1/integrations/${template}/key`, { key: keys[template] })).status).toBe(200);
    }
    work = mkdtempSync(join(base, 'work-'));
    marker = join(work, 'marker.txt');
    home = mkdtempSync(join(base, 'home-'));
    mkdirSync(join(home, '.claude'));
    writeFileSync(join(home, '.claude', '.credentials.json'), '{"claudeAiOauth":{"accessToken":"sk-ant-oat01-secret-of-the-host"}}');
    mkdirSync(join(home, '.codex'));
    writeFileSync(join(home, '.codex', 'auth.json'), '{"OPENAI_API_KEY":"sk-proj-secret-of-the-host"}');
    chmodSync(join(home, '.codex', 'auth.json'), 0o600);
  }, 600_000);
  afterAll(async () => {
    await t?.close();
    rmSync(base, { recursive: true, force: true });
  });

  /** The session a `tollgate sandbox` run printed at its end, and what it said. */
  const ended = (stderr: string) => /^tollgate: session ([0-9a-f]+) spent (\$[\d,]+\.\d+) in (\d+) calls?$/m.exec(stderr);
  const price = async (integration: string, model: string) => (await t.control('GET', `/v1/integrations/${integration}`)).json.integration.spec.pricing.tokens.models[model];

  describe.skipIf(!bins.dir)('the real assistants', () => {
    it('claude -p prints the mock\'s answer; the mock gets the key Tollgate holds, never the placeholder; the audit shows the session, its purpose and the exact cost', async () => {
      const before = t.upstream.requests.length;
      const r = await sandbox(['--', 'claude', '-p', 'Say hello']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(ANSWER);
      expect(r.stderr).toMatch(/^tollgate: running claude as Claude Code \(assistant profile "claude-code"/m);
      const sent = t.upstream.requests.slice(before);
      expect(sent.map((q) => `${q.method} ${q.url.split('?')[0]}`)).toEqual(['POST /v1/messages']);
      expect(sent[0]!.headers['x-api-key']).toBe(keys.anthropic);
      expect(JSON.stringify(sent[0]!.rawHeaders)).not.toContain('tollgate-placeholder');
      const p = await price('anthropic', 'claude-opus-5-5');
      const cost = Math.round(ANTHROPIC_USAGE.input_tokens * p.input + ANTHROPIC_USAGE.output_tokens * p.output);
      const end = ended(r.stderr)!;
      expect(end, r.stderr).toBeTruthy();
      expect([end[2], end[3]]).toEqual([usdOfMicros(cost), '1']);
      const [record] = await records(`&session=${end[1]}`);
      expect(record).toMatchObject({ integration: 'anthropic', outcome: 'ok', status: 200, session: end[1], purpose: 'claude -p "Say hello"', costUsd: cost / 1e6 });
      // Its state went where it keeps it (writable inside); its stored login stayed as it was.
      expect(readdirSync(join(home, '.claude'))).toContain('projects');
      expect(readFileSync(join(home, '.claude', '.credentials.json'), 'utf8')).toContain('secret-of-the-host');
      const session = (await t.control('GET', `/v1/sessions/${end[1]}`)).json;
      expect(session).toMatchObject({ status: 'ended', calls: 1, purpose: 'claude -p "Say hello"' });
    });

    it('claude --model sonnet: the alias Claude Code resolves to a model newer than the prices gets a priced stand-in, said in one line', async () => {
      const before = t.upstream.requests.length;
      const r = await sandbox(['--', 'claude', '-p', 'Say hello', '--model', 'sonnet']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(ANSWER);
      expect(r.stderr).toMatch(/^tollgate: "anthropic" does not price Claude Code's sonnet model \(claude-sonnet-5-5\), haiku model \(claude-haiku-5-5\): claude-sonnet-5, claude-haiku-4-5 stand in \(the ANTHROPIC_DEFAULT_\*_MODEL variables choose others\)$/m);
      const models = t.upstream.requests.slice(before).map((q) => JSON.parse(q.body.toString()).model);
      expect(models).toEqual(['claude-sonnet-5']);
    });

    it('codex exec prints the mock\'s answer over the Responses API, streamed; the mock gets the key Tollgate holds; the audit shows the session and the exact cost', async () => {
      const before = t.upstream.requests.length;
      const r = await sandbox(['--purpose', 'codex, asked to say hello', '--', 'codex', 'exec', '--skip-git-repo-check', 'Say hello']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(ANSWER);
      const sent = t.upstream.requests.slice(before);
      expect(sent.map((q) => `${q.method} ${q.url}`)).toEqual(['POST /v1/responses']);
      // Its built-in default is newer than the price dataset: the profile named a listed one, and said so.
      expect(JSON.parse(sent[0]!.body.toString())).toMatchObject({ stream: true, model: 'gpt-6-sol' });
      expect(r.stderr).toMatch(/^tollgate: "openai" does not price Codex CLI's default model \(gpt-6\.2-sol\): gpt-6-sol stands in \(-m <model> chooses another\)$/m);
      expect(sent[0]!.headers.authorization).toBe(`Bearer ${keys.openai}`);
      expect(JSON.stringify(sent[0]!.rawHeaders)).not.toContain('tollgate-placeholder');
      const p = await price('openai', 'gpt-6-sol');
      const cost = Math.round(RESPONSES_USAGE.input_tokens * p.input + RESPONSES_USAGE.output_tokens * p.output);
      const end = ended(r.stderr)!;
      expect([end[2], end[3]]).toEqual([usdOfMicros(cost), '1']);
      const [record] = await records(`&session=${end[1]}`);
      expect(record).toMatchObject({ integration: 'openai', outcome: 'ok', session: end[1], purpose: 'codex, asked to say hello', costUsd: cost / 1e6 });
    });

    // What a terminal emulator answers when a program asks (Codex asks before it draws anything).
    const TERMINAL_ANSWERS: [string, string][] = [['\x1b[?1007$p', '\x1b[?1007;2$y'], ['\x1b[c', '\x1b[?62;22c'], ['\x1b[6n', '\x1b[1;1R']];

    /**
     * `tollgate sandbox -- <command>` as people run it, on a terminal: a pseudo-terminal (script)
     * sized with stty, answering what the program asks the terminal. Once the screen shows `ready`
     * and has been still for a moment, "Say hello" is typed; Enter is pressed again only while the
     * prompt was not taken (a second Enter on an empty prompt does nothing); then the mock's answer
     * must show on the screen. Resolves with the requests that reached the mock meanwhile.
     */
    async function sayHelloOnTerminal(command: string[], ready: (screen: string) => boolean, route: string) {
      const before = t.upstream.requests.length;
      const full = { ...process.env, TOLLGATE_HOME: t.home, TOLLGATE_KEYCHAIN_SERVICE: t.service, NODE_EXTRA_CA_CERTS: t.pki.caCertPath, ...env().env, NODE_OPTIONS: undefined, TERM: 'xterm-256color' };
      const line = `stty rows 40 cols 120; exec ${[NODE, BIN, 'sandbox', '--work', work, ...SHOWN_IN_SANDBOX, '--', ...command].map((a) => `'${a}'`).join(' ')}`;
      const p = spawn('script', ['-qfec', line, '/dev/null'], { env: full as NodeJS.ProcessEnv, cwd: work, stdio: ['pipe', 'pipe', 'pipe'] });
      const name = command[0];
      let screen = '';
      let changedAt = Date.now();
      const seen = (d: Buffer) => {
        const text = d.toString();
        for (const [asked, answer] of TERMINAL_ANSWERS) if (text.includes(asked)) p.stdin!.write(answer);
        screen += text.replace(/\x1b(\[[0-9;?<>$]*[a-zA-Z]|\][^\x07\x1b]*(\x07|\x1b\\)|.)/g, '').replace(/\s+/g, '');
        changedAt = Date.now();
      };
      p.stdout!.on('data', seen);
      p.stderr!.on('data', seen);
      const still = () => waitFor(() => Date.now() - changedAt > 1_500, `${name}'s screen to settle`, 60_000);
      const sentNow = () => t.upstream.requests.slice(before).filter((q) => q.url.startsWith(route) && q.body.toString().includes('Say hello'));
      try {
        await waitFor(() => ready(screen), `${name}'s prompt; it shows: ${screen.slice(-500)}`, 60_000);
        await still();
        p.stdin!.write('Say hello');
        await waitFor(() => screen.includes('Sayhello'), `the prompt typed on ${name}'s screen; it shows: ${screen.slice(-500)}`, 30_000);
        await still();
        await waitFor(() => {
          if (sentNow().length) return true;
          if (Date.now() - changedAt > 3_000) p.stdin!.write('\r');
          return false;
        }, `the prompt sent; ${name}'s screen shows: ${screen.slice(-500)}`, 60_000);
        await waitFor(() => screen.includes(ANSWER.replace(/\s+/g, '')), `the answer on ${name}'s screen; it shows: ${screen.slice(-500)}`, 30_000);
      } finally {
        p.kill('SIGKILL');
      }
      return t.upstream.requests.slice(before);
    }

    // Claude Code's first-run screens (theme, trusting the folder) are its own and were passed once
    // before: they are recorded in ~/.claude/.claude.json, as after a first run.
    it.skipIf(!haveCommands('script', 'stty'))('claude on a terminal: the prompt, the mock\'s answer on screen, the key Tollgate holds', async () => {
      writeFileSync(join(home, '.claude', '.claude.json'), JSON.stringify({
        hasCompletedOnboarding: true, theme: 'dark', projects: { [work]: { hasTrustDialogAccepted: true, allowedTools: [] } },
      }));
      const sent = await sayHelloOnTerminal(['claude'], (screen) => /tollgate:runningclaudeasClaudeCode/.test(screen) && screen.length > 200, '/v1/messages');
      for (const q of sent) {
        expect(q.headers['x-api-key']).toBe(keys.anthropic);
        expect(JSON.stringify(q.rawHeaders)).not.toContain('tollgate-placeholder');
      }
    }, 180_000);

    it.skipIf(!haveCommands('script', 'stty'))('codex on a terminal: the prompt, the mock\'s answer on screen, the key Tollgate holds', async () => {
      const sent = (await sayHelloOnTerminal(['codex', '-C', work], (screen) => screen.includes('AskCodextodoanything'), '/v1/responses'))
        .filter((q) => q.url.startsWith('/v1/responses'));
      expect(sent.length).toBeGreaterThan(0);
      for (const q of sent) {
        expect(q.headers.authorization).toBe(`Bearer ${keys.openai}`);
        expect(JSON.parse(q.body.toString()).model).toBe('gpt-6-sol');
      }
    }, 180_000);

    it('claude -p runs a shell command the model asks for (its Bash tool, allowed), inside the sandbox, in the work folder', async () => {
      rmSync(marker, { force: true });
      const before = t.upstream.requests.length;
      const r = await sandbox(['--', 'claude', '-p', COMMAND_PROMPT, '--allowedTools', 'Bash']);
      expect(r.code, r.stderr).toBe(0);
      expect(readFileSync(marker, 'utf8')).toBe('written-by-an-assistant\n');
      const sent = t.upstream.requests.slice(before).map((q) => JSON.parse(q.body.toString()));
      expect(sent.filter((b) => JSON.stringify(b.messages).includes(COMMAND_PROMPT))).toHaveLength(2);
      expect(toolResult(sent.at(-1))).toContain('written-by-an-assistant');
      expect(r.stdout).toContain(ANSWER);
    });

    it('codex exec runs a shell command the model asks for, inside the sandbox, in the work folder; both turns metered', async () => {
      rmSync(marker, { force: true });
      const before = t.upstream.requests.length;
      const r = await sandbox(['--', 'codex', 'exec', '--skip-git-repo-check', '-C', work, COMMAND_PROMPT]);
      expect(r.code, r.stderr).toBe(0);
      expect(readFileSync(marker, 'utf8')).toBe('written-by-an-assistant\n');
      const sent = t.upstream.requests.slice(before).map((q) => JSON.parse(q.body.toString()));
      expect(sent).toHaveLength(2);
      expect(toolOutput(sent[1])).toContain('written-by-an-assistant');
      expect(r.stdout).toContain(ANSWER);
      const end = ended(r.stderr)!;
      expect(end[3]).toBe('2');
      expect((await records(`&session=${end[1]}`)).map((c) => c.outcome)).toEqual(['ok', 'ok']);
    });

    it.each([
      ['claude', ['claude', '-p', 'Say hello']],
      ['codex', ['codex', 'exec', '--skip-git-repo-check', 'Say hello']],
    ])('%s stops with Tollgate\'s message after one attempt when the session budget is spent; nothing reaches the mock', async (_, command) => {
      const before = t.upstream.requests.length;
      const r = await sandbox(['--budget', '0.000001', '--', ...command]);
      expect(r.code).not.toBe(0);
      expect(r.stdout + r.stderr).toMatch(/budget/i);
      expect(t.upstream.requests.length).toBe(before);
      const end = ended(r.stderr)!;
      expect(end[2]).toBe(usdOfMicros(0));
      const calls = await records(`&session=${end[1]}`);
      expect(calls.map((c) => c.code)).toEqual(['budget_exhausted']);
    });
  });

  it('from inside: the mock cannot be reached directly, the agent answers at TOLLGATE_AGENT_URL, the stored credentials cannot be read, the state folders are writable', async () => {
    const script = `
      const net = require('node:net'), fs = require('node:fs');
      const connectTo = (...a) => new Promise((r) => { const s = net.connect(...a); s.once('connect', () => { s.destroy(); r('connected'); }); s.once('error', (e) => r(e.code)); });
      const read = (p) => { try { return fs.readFileSync(p, 'utf8'); } catch (e) { return e.code; } };
      const write = (p) => { try { fs.writeFileSync(p, 'x'); return 'ok'; } catch (e) { return e.code; } };
      (async () => {
        const health = await fetch(process.env.TOLLGATE_AGENT_URL + '/v1/health').then((r) => r.status, (e) => String(e));
        console.log(JSON.stringify({
          url: process.env.TOLLGATE_AGENT_URL, base: process.env.ANTHROPIC_BASE_URL, key: process.env.ANTHROPIC_AUTH_TOKEN, config: process.env.CLAUDE_CONFIG_DIR,
          mock: await connectTo(${t.upstream.port}, '127.0.0.1'), health,
          credentials: read(process.env.HOME + '/.claude/.credentials.json'), codexAuth: read(process.env.HOME + '/.codex/auth.json'),
          state: write(process.env.HOME + '/.claude/state-probe'), elsewhere: write(process.env.HOME + '/elsewhere-probe'),
        }));
      })();`;
    const r = await sandbox(['--assistant', 'claude-code', '--agent-port', '18787', '--', NODE, '-e', script]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim().split('\n').pop()!)).toEqual({
      url: 'http://127.0.0.1:18787', base: 'http://127.0.0.1:18787/v1/call/anthropic', key: 'tollgate-placeholder-not-a-key', config: join(home, '.claude'),
      mock: 'ECONNREFUSED', health: 200, credentials: 'EACCES', codexAuth: '{"OPENAI_API_KEY":"sk-proj-secret-of-the-host"}', state: 'ok', elsewhere: 'EROFS',
    });
    // Codex's profile puts its -c overrides first, so the probe is a program that ignores its arguments.
    const probe = join(work, 'probe');
    writeFileSync(probe, `#!/usr/bin/env node\ntry { console.log(JSON.stringify(require('node:fs').readFileSync(process.env.HOME + '/.codex/auth.json', 'utf8'))); } catch (e) { console.log(e.code); }\n`, { mode: 0o755 });
    const codex = await sandbox(['--assistant', 'codex', '--', probe]);
    expect(codex.stdout.trim()).toBe('EACCES');
  });

  it("the sandbox's loopback port is not reachable from the host", async () => {
    const { TollgateProcess } = await import('../../helpers/daemon-process.ts');
    const p = new TollgateProcess(['sandbox', '--agent-port', '18788', ...SHOWN_IN_SANDBOX, '--', NODE, '-e', `
      fetch(process.env.TOLLGATE_AGENT_URL + '/v1/health').then((r) => console.log('inside', r.status)); setInterval(() => {}, 1000);`], env());
    try {
      await p.waitForOutput(/inside 200/, 20_000);
      const net = await import('node:net');
      const outcome = await new Promise((done) => {
        const s = net.connect(18788, '127.0.0.1');
        s.once('connect', () => { s.destroy(); done('connected'); });
        s.once('error', (e: NodeJS.ErrnoException) => done(e.code));
      });
      expect(outcome).toBe('ECONNREFUSED');
    } finally {
      p.signal('SIGTERM');
      await p.waitForExit();
    }
  });

  it.each([['openai-sdk', 'openai', 'OpenAI', 'new OpenAI().responses.create({ model: "gpt-5.1", input: "hello" }).then((r) => console.log(r.output_text))'],
    ['anthropic-sdk', 'anthropic', 'Anthropic', 'new Anthropic().messages.create({ model: "claude-sonnet-4-5", max_tokens: 100, messages: [{ role: "user", content: "hello" }] }).then((m) => console.log(m.content[0].text))'],
  ])('--assistant %s: a program using the official SDK, configured by the environment alone', async (profile, integration, cls, call) => {
    const pkg = cls === 'OpenAI' ? 'openai' : '@anthropic-ai/sdk';
    const before = t.upstream.requests.length;
    const r = await sandbox(['--assistant', profile, '--', NODE, '-e', `const ${cls} = require(${JSON.stringify(join(PROJECT_ROOT, 'node_modules', pkg))}); ${call};`]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(ANSWER);
    const sent = t.upstream.requests.slice(before);
    expect(sent).toHaveLength(1);
    expect(JSON.stringify(sent[0]!.headers)).toContain(keys[integration]!);
    expect(JSON.stringify(sent[0]!.rawHeaders)).not.toContain('tollgate-placeholder');
  });

  describe('refuses in one line, and never runs the command', () => {
    const marker = join(base, 'ran');
    it('an assistant whose model has no approved integration: with the one command that adds it', async () => {
      const idle = await Testbed.create({ tmpRoot: base });
      try {
        await idle.start();
        const r = await runCli(['sandbox', '--assistant', 'claude-code', '--', NODE, '-e', `require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'x')`], idle.env({ HOME: home }));
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(/^tollgate: Claude Code calls its model through an integration of the "anthropic" template, and none is approved: add one with tollgate add --template anthropic --name anthropic --purpose "Claude Code's own model" --account <you>; the command was not run\n$/);
        expect(existsSync(marker)).toBe(false);
      } finally {
        await idle.close();
      }
    });

    it('a program under /tmp, which the sandbox replaces', async () => {
      const dir = mkdtempSync('/tmp/tollgate-prog-');
      try {
        writeFileSync(join(dir, 'prog'), `#!/bin/sh\ntouch ${marker}\n`, { mode: 0o755 });
        const r = await sandbox(['--', join(dir, 'prog')]);
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(new RegExp(`^tollgate: ${join(dir, 'prog')} is ${join(dir, 'prog')}, under /tmp, which the sandbox replaces with an empty folder of its own: show its folder with --ro ${dir} .*; the command was not run\\n$`));
        expect(existsSync(marker)).toBe(false);
        const shown = await sandbox(['--ro', dir, '--', join(dir, 'prog')]);
        expect(shown.stderr).toMatch(/Read-only file system|EROFS|cannot touch/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe.skipIf(process.getuid?.() !== 0 || !haveCommands('useradd', 'setpriv'))('robust against the machine', () => {
    it("runs next to another user's socket in a folder it cannot look into (no cover needed: unreachable)", async () => {
      if (spawnSync('id', ['tollgate-other']).status !== 0) expect(spawnSync('useradd', ['--system', '--no-create-home', 'tollgate-other']).status).toBe(0);
      const uid = spawnSync('id', ['-u', 'tollgate-other'], { encoding: 'utf8' }).stdout.trim();
      const dir = `/var/tmp/tollgate-other-${process.pid}`;
      const bound = spawn('setpriv', [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', '/usr/bin/python3', '-c',
        `import os, socket, time\nos.makedirs(${JSON.stringify(dir)}, 0o700)\ns = socket.socket(socket.AF_UNIX)\ns.bind(${JSON.stringify(`${dir}/private.sock`)})\ns.listen()\nprint('bound', flush=True)\ntime.sleep(120)\n`], { stdio: ['ignore', 'pipe', 'inherit'] });
      try {
        await new Promise<void>((done) => bound.stdout!.once('data', () => done()));
        const r = await sandbox(['--', NODE, '-e', `require('node:net').connect(${JSON.stringify(`${dir}/private.sock`)}).on('error', (e) => console.log(e.code)).on('connect', () => console.log('connected'))`]);
        expect(r.stderr).not.toContain('bwrap');
        expect(r.code, r.stderr).toBe(0);
        expect(r.stdout.trim()).toBe('EACCES');
      } finally {
        bound.kill('SIGKILL');
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('as a non-root operator: of root\'s sockets, covers only the one it could connect to', async () => {
      if (spawnSync('id', ['tollgate-other']).status !== 0) expect(spawnSync('useradd', ['--system', '--no-create-home', 'tollgate-other']).status).toBe(0);
      const uid = spawnSync('id', ['-u', 'tollgate-other'], { encoding: 'utf8' }).stdout.trim();
      const dir = mkdtempSync(join(base, 'root-sockets-'));
      chmodSync(dir, 0o755);
      const { createServer } = await import('node:net');
      const closed = join(dir, 'closed'), open = join(dir, 'open');
      mkdirSync(closed, { mode: 0o700 });
      mkdirSync(open, { mode: 0o755 });
      const paths = { private: join(closed, 'a.sock'), readOnly: join(open, 'b.sock'), everyone: join(open, 'c.sock') };
      const servers = await Promise.all(Object.values(paths).map((p) => new Promise<import('node:net').Server>((done) => { const s = createServer().listen(p, () => done(s)); })));
      chmodSync(paths.readOnly, 0o755);
      chmodSync(paths.everyone, 0o777);
      chmodSync(base, 0o755);
      try {
        const script = `import('${join(PROJECT_ROOT, 'daemon/sandbox/linux.ts')}').then((m) => console.log(JSON.stringify(m.reachableInside(${JSON.stringify(Object.values(paths))}, process.execPath))))`;
        const r = spawnSync('setpriv', [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', NODE, '--no-warnings', '-e', script], { encoding: 'utf8', cwd: '/' });
        expect(r.status, r.stderr).toBe(0);
        expect(JSON.parse(r.stdout)).toEqual([paths.everyone]);
      } finally {
        for (const s of servers) s.close();
      }
    });

    it('runs while host sockets come and go as it starts', async () => {
      const dir = mkdtempSync(join(base, 'churn-'));
      const churn = spawn(NODE, ['-e', `
        const net = require('node:net'); let i = 0;
        const next = () => { const p = ${JSON.stringify(dir)} + '/s' + (i++ % 50); const s = net.createServer().listen(p, () => setTimeout(() => s.close(next), 1)); s.on('error', next); };
        for (let k = 0; k < 20; k++) next();`], { stdio: 'ignore' });
      try {
        const runs = await Promise.all(Array.from({ length: 6 }, () => sandbox(['--', 'true'])));
        for (const r of runs) {
          if (r.code !== 0) console.log(r.stderr);
          expect(r.stderr).not.toMatch(/bwrap:|could not build/);
          expect(r.code, r.stderr).toBe(0);
        }
      } finally {
        churn.kill('SIGKILL');
      }
    });
  });
});

