// The CLI as a person (or a script) runs it. On a terminal: `script` (util-linux) gives the command
// a real pseudo-terminal, echo on as in any terminal, while the test types into it and reads the
// screen through pipes (no native module). Without one: stdin a pipe, whatever is written to it.
import { spawn } from 'node:child_process';
import { BIN, overlay, PROJECT_ROOT } from '../../helpers/daemon-process.ts';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The CLI's environment: the testbed's data folder, `extra` (undefined removes); not the test runner's own Node options. */
function cliEnv(home: string, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  return overlay(process.env, { NODE_OPTIONS: undefined, TOLLGATE_HOME: home, ...extra });
}

const quote = (s: string): string => `'${s.replaceAll("'", `'\\''`)}'`;

export class Terminal {
  /** Everything the terminal showed (with \r\n as \n). */
  screen = '';
  readonly exited: Promise<number | null>;
  private readonly child;

  constructor(args: string[], home: string, env: Record<string, string | undefined> = {}) {
    const command = [process.execPath, BIN, ...args].map(quote).join(' ');
    this.child = spawn('script', ['-qfec', command, '/dev/null'], { cwd: PROJECT_ROOT, env: cliEnv(home, env), stdio: ['pipe', 'pipe', 'pipe'] });
    const show = (s: string) => { this.screen += s.replaceAll('\r\n', '\n'); };
    this.child.stdout.setEncoding('utf8').on('data', show);
    this.child.stderr.setEncoding('utf8').on('data', show);
    this.exited = new Promise((resolve) => this.child.once('close', (code) => resolve(code)));
  }

  /** Waits until the screen shows `text`, then types `answer` (if any). */
  async expect(text: string | RegExp, answer?: string, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const seen = () => (typeof text === 'string' ? this.screen.includes(text) : text.test(this.screen));
    while (!seen()) {
      if (Date.now() > deadline) throw new Error(`the terminal did not show ${String(text)} within ${timeoutMs} ms; it shows:\n${this.screen}`);
      await sleep(20);
    }
    if (answer !== undefined) this.child.stdin.write(answer);
  }

  /** Waits for the command's end; its exit code. */
  async exit(timeoutMs = 20_000): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the command did not end within ${timeoutMs} ms; the terminal shows:\n${this.screen}`)), timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
      this.child.kill('SIGKILL');
    }
  }
}

/** Runs a CLI command with `input` on a pipe as its stdin (no terminal anywhere). */
export function piped(args: string[], home: string, input: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: PROJECT_ROOT, env: cliEnv(home), stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => { stdout += s; });
  child.stderr.setEncoding('utf8').on('data', (s: string) => { stderr += s; });
  child.stdin.on('error', () => undefined); // it may exit before reading
  child.stdin.end(input);
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}
