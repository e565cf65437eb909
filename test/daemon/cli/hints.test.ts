// Every command Tollgate prints runs as printed (issue 12): each "tollgate <command> [--option]"
// in the text of the daemon, the CLI, the tray and the window names a command and options that
// the program really has.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { COMMAND_MODULES } from '../../../daemon/cli/commands.ts';
import { BIN, overlay, PROJECT_ROOT } from '../../helpers/daemon-process.ts';

/** Where Tollgate's own words are: everything it prints or shows comes from these folders. */
const SOURCES = ['daemon', 'electron', 'renderer'];
/** What tells the operator which commands to type. */
const DOCS = ['README.md', 'docs/RUNBOOK.md'];

interface Hint {
  where: string;
  /** The words after "tollgate": a command path, then its arguments. */
  words: string[];
  options: string[];
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return /\.(ts|tsx|mts)$/.test(e.name) && !e.name.endsWith('.d.ts') ? [path] : [];
  });
}

// One word of a printed command line: an option, a <placeholder>, an interpolation, a "quoted value", or a plain value.
const TOKEN = /^(?:--[a-z][a-z-]*|<[^<>]+>|&lt;[^&]+&gt;|\$\{[^}]*\}|\{[^}]*\}|"[^"]*"|'[^']*'|\[[^\]]*\]|[A-Za-z0-9_.:/@#*=-]+)/;

/** The command lines in one line of text: "tollgate" and the words that follow, up to where the sentence goes on. */
function hintsIn(line: string, where: string): Hint[] {
  const hints: Hint[] = [];
  for (const m of line.matchAll(/(?<![\w./-])tollgate (?=[a-z])/g)) {
    let rest = line.slice(m.index + m[0].length);
    const words: string[] = [];
    const options: string[] = [];
    for (;;) {
      const token = TOKEN.exec(rest)?.[0];
      // A lone "--" hands the rest of the line to another program (tollgate sandbox -- <command>).
      if (!token || token === '--') break;
      if (token.startsWith('--')) options.push(token);
      else if (options.length === 0) words.push(token.replace(/[.,;:]+$/, ''));
      rest = rest.slice(token.length);
      // Words are separated by spaces; anything else (a closing quote, a bracket) ends the command line.
      const space = /^ +/.exec(rest);
      if (!space) break;
      rest = rest.slice(space[0].length);
    }
    hints.push({ where, words, options });
  }
  return hints;
}

/** Each line of the sources' and docs' text, comments dropped (they describe the code; they are not printed). */
function printedLines(files: string[]): { where: string; text: string }[] {
  return files.flatMap((file) =>
    readFileSync(file, 'utf8').split('\n').map((line, n) => ({
      where: `${relative(PROJECT_ROOT, file)}:${n + 1}`,
      text: line.replace(/^\s*(\/\/|\/?\*).*$/, '').replace(/\s\/\/\s.*$/, ''),
    })));
}

const sources = () => SOURCES.flatMap((dir) => sourceFiles(join(PROJECT_ROOT, dir)));

function hints(): Hint[] {
  return printedLines([...sources(), ...DOCS.map((f) => join(PROJECT_ROOT, f))]).flatMap(({ where, text }) => hintsIn(text, where));
}

/** The program as the CLI builds it: every module's commands (daemon/cli/commands.ts). */
async function program(): Promise<Command> {
  const p = new Command('tollgate');
  for (const m of COMMAND_MODULES) (await m.load())(p);
  return p;
}

/** The commands the program itself defines beside the modules' (daemon, start, mcp), as `tollgate --help` lists them. */
function topLevel(): string[] {
  const r = spawnSync(process.execPath, [BIN, '--help'], { cwd: PROJECT_ROOT, env: overlay(process.env, { NODE_OPTIONS: undefined }), encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return (r.stdout.split('\nCommands:\n')[1] ?? '').split('\n').map((l) => /^ {2}([a-z][a-z-]*)/.exec(l)?.[1]).filter((c): c is string => c !== undefined);
}

/** Options a command takes as printed: its own, and those of its default subcommand ("tollgate alerts --open" runs "alerts list"). */
function optionsOf(c: Command): string[] {
  // commander keeps the default subcommand's name in a field it does not type.
  const fallback = (c as unknown as { _defaultCommandName?: string })._defaultCommandName;
  const sub = fallback ? c.commands.find((s) => s.name() === fallback) : undefined;
  return [c, ...(sub ? [sub] : [])].flatMap((x) => x.options.map((o) => o.long).filter((o): o is string => o !== undefined)).concat('--help');
}

describe('every command Tollgate prints exists, with the options it prints', () => {
  const found = hints();

  it('finds the command lines Tollgate prints', () => {
    const lines = found.map((h) => [...h.words, ...h.options].join(' '));
    expect(lines).toEqual(expect.arrayContaining(['set-key ${name}', 'audit list --before', 'templates --json', 'add --template --name --purpose --account', 'audit verify']));
  });

  it('names only commands and options that exist', async () => {
    const top = topLevel();
    const root = await program();
    const problems: string[] = [];
    for (const hint of found) {
      const name = hint.words[0]!;
      if (!top.includes(name)) {
        problems.push(`${hint.where}: "tollgate ${hint.words.join(' ')}": no command ${name}`);
        continue;
      }
      let command = root.commands.find((c) => c.name() === name);
      // daemon, start and mcp take no options.
      if (!command) {
        if (hint.options.length) problems.push(`${hint.where}: "tollgate ${name}" takes no option ${hint.options.join(', ')}`);
        continue;
      }
      const path = [name];
      // Down into subcommands while the next word names one.
      for (const word of hint.words.slice(1)) {
        const sub: Command | undefined = command.commands.find((c) => c.name() === word);
        if (!sub) break;
        command = sub;
        path.push(word);
      }
      for (const option of hint.options) {
        if (!optionsOf(command).includes(option)) problems.push(`${hint.where}: "tollgate ${path.join(' ')}" has no option ${option}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('prints the tollgate command on the PATH, never one that works only in the project folder', () => {
    const folderBound = printedLines(sources()).filter(({ text }) => /npx tollgate|npm start/.test(text));
    expect(folderBound.map(({ where, text }) => `${where}: ${text.trim()}`)).toEqual([]);
  });
});
