// Talking to the person at the terminal. A change that widens the assistant's authority is made
// only after someone there said yes to exactly what describeChange() says it does: no flag, pipe
// or environment variable can stand in for that person.
import { createInterface } from 'node:readline';
import type { ChangeDescription } from '../client/changes.ts';

/** Someone can read the question and answer it: stdin and stdout are both a terminal. */
export function interactive(): boolean {
  return Boolean(process.stdin.isTTY && process.stdout.isTTY);
}

/** Reads a line from the terminal without echoing it. */
export function promptSecret(question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    // Echo goes off before the question shows, so nothing typed after it can be echoed.
    stdin.setRawMode(true);
    process.stdout.write(question);
    stdin.resume();
    let value = '';
    const onData = (chunk: Buffer): void => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done(null);
        if (ch === '\u0003' || ch === '\u0004') return done(new Error('cancelled'));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    const done = (err: Error | null): void => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stdout.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    stdin.on('data', onData);
  });
}

/** Asks a question on the terminal; only "y" or "yes" is a yes (end of input is a no). */
export function askYes(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: false });
  return new Promise((resolve) => {
    rl.once('close', () => resolve(false));
    rl.question(question, (answer) => {
      resolve(/^y(es)?$/i.test(answer.trim()));
      rl.close();
    });
  });
}

/**
 * Shows what a change will do and asks before it is made. Widening needs a person at a terminal
 * every time; narrowing may run unattended with `yes` (a kill switch must work from a script).
 * Throws when the change must not go ahead.
 */
export async function confirmChange(change: ChangeDescription, yes = false): Promise<void> {
  if (yes && !change.widens) return;
  if (!interactive()) {
    throw new Error(change.widens
      ? `refused: "${change.title}" gives the assistant more authority, so a person must confirm it at an interactive terminal, and this is not one`
      : `"${change.title}" needs confirmation: run it at a terminal, or add --yes`);
  }
  process.stdout.write(`${change.title}\n${change.details.map((d) => `  ${d}\n`).join('')}`);
  if (!(await askYes('Proceed? [y/N] '))) throw new Error('nothing changed');
}

export const yesOption = ['--yes', 'when it only narrows authority: skip the confirmation (for scripts)'] as const;
