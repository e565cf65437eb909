// Assistant profiles: data files in ./profiles/, one per assistant. A profile says which
// integration carries the assistant's own model (by template), the environment and arguments that
// point it at that integration through TOLLGATE_AGENT_URL with a placeholder credential (never the
// key: Tollgate drops it and attaches the real one), its non-essential traffic switched off, the
// state folders it must be able to write, and its stored credentials, hidden inside the sandbox.
import { readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { PROJECT_ROOT } from '../install.ts';

export const PROFILES_DIR = join(PROJECT_ROOT, 'daemon', 'sandbox', 'profiles');

// "~/…" in the home folder; a trailing "/" marks a folder (made when missing), else a file.
const homePath = z.string().regex(/^~\/[^\0]+$/, 'a path in the home folder, "~/…"').refine((p) => !p.split('/').includes('..'), 'no ".." in a path');
// The values may use {agentUrl}, {integration}, {placeholder}, {home} and (model.args) {model}.
const templated = z.string().max(2000);

const compiles = (r: string): boolean => {
  try {
    new RegExp(r);
    return true;
  } catch {
    return false;
  }
};

export const profileSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/),
  displayName: z.string().min(1).max(100),
  docsUrl: z.string().url(),
  /** Program names (basenames) the profile is chosen for by itself. */
  commands: z.array(z.string().regex(/^[A-Za-z0-9._-]+$/)),
  /** The template of the integration that carries the assistant's model. */
  template: z.string().min(1).max(100),
  env: z.record(z.string().regex(/^[A-Z_][A-Z0-9_]*$/), templated),
  /** Variables removed from the command's environment (other ways to a model or a credential). */
  unset: z.array(z.string().regex(/^[A-Z_][A-Z0-9_]*$/)),
  /** Arguments put right after the program name, before the operator's. */
  args: z.array(templated),
  /** What the assistant sends as its key: it must look like nothing Tollgate would take for a credential. */
  placeholder: z.string().min(8).max(200),
  state: z.array(homePath),
  hidden: z.array(homePath),
  /**
   * For an assistant whose built-in default model can be newer than Tollgate's prices: when the
   * operator names no model, the first of `prefer` the integration lists is given by `args`.
   */
  model: z.strictObject({
    /** Arguments that name the model, with {model}; put after the profile's own. */
    args: z.array(templated).min(1),
    /** Patterns (regular expressions) of an operator's argument that already names a model. */
    namedBy: z.array(z.string().min(1).refine(compiles, 'a regular expression')),
    /** The assistant's TOML config file, whose top-level `model` key also names one. */
    config: homePath.optional(),
    prefer: z.array(z.string().min(1)).min(1),
  }).optional(),
});

export type Profile = z.infer<typeof profileSchema>;

/** Every `*.json` in `dir`, validated, keyed by id; throws on the first bad file, naming it. */
export function loadProfiles(dir: string = PROFILES_DIR): ReadonlyMap<string, Profile> {
  const profiles = new Map<string, Profile>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    } catch (e) {
      throw new Error(`assistant profile ${file}: not readable JSON: ${(e as Error).message}`, { cause: e });
    }
    const parsed = profileSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new Error(`assistant profile ${file}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
    }
    if (`${parsed.data.id}.json` !== file) throw new Error(`assistant profile ${file}: its id is "${parsed.data.id}"; the file must be named ${parsed.data.id}.json`);
    profiles.set(parsed.data.id, parsed.data);
  }
  return profiles;
}

/** The profile named by --assistant, else the one whose commands include the program's name, else none. */
export function chooseProfile(profiles: ReadonlyMap<string, Profile>, command: string, named?: string): { profile: Profile; byName: boolean } | null {
  if (named) {
    const p = profiles.get(named);
    if (!p) throw new Error(`--assistant ${named}: no such assistant profile (there are: ${[...profiles.keys()].join(', ')})`);
    return { profile: p, byName: false };
  }
  const program = basename(command);
  for (const p of profiles.values()) if (p.commands.includes(program)) return { profile: p, byName: true };
  return null;
}

export interface Applied {
  env: Record<string, string>;
  unset: string[];
  args: string[];
  /** Real paths on the host, with whether each is a folder. */
  state: { path: string; dir: boolean }[];
  hidden: string[];
}

const inHomeOf = (home: string, s: string): string => join(home, s.slice(2)).replace(/\/$/, '');

/**
 * The model the sandbox names for the assistant: none when the profile has no `model`, the operator
 * named one (an argument, or the assistant's config file), or the integration lists none preferred.
 */
export function chooseModel(p: Profile, args: readonly string[], listed: readonly string[], home: string = homedir()): string | null {
  if (!p.model) return null;
  const named = p.model.namedBy.map((r) => new RegExp(r));
  if (args.some((a) => named.some((r) => r.test(a)))) return null;
  if (p.model.config && topLevelKey(inHomeOf(home, p.model.config), 'model')) return null;
  return p.model.prefer.find((m) => listed.includes(m)) ?? null;
}

/** Whether a TOML file sets `key` before its first table. */
function topLevelKey(file: string, key: string): boolean {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return false;
  }
  for (const line of text.split('\n')) {
    if (/^\s*\[/.test(line)) return false;
    if (new RegExp(`^\\s*"?${key}"?\\s*=`).test(line)) return true;
  }
  return false;
}

/** The profile filled in for one run: the agent's URL inside the sandbox, the integration and the model chosen. */
export function applyProfile(p: Profile, agentUrl: string, integration: string, model: string | null = null, home: string = homedir()): Applied {
  const values: Record<string, string> = { agentUrl, integration: encodeURIComponent(integration), placeholder: p.placeholder, home, model: model ?? '' };
  const fill = (s: string): string => s.replace(/\{(agentUrl|integration|placeholder|home|model)\}/g, (_, k: string) => values[k]!);
  const inHome = (s: string): string => inHomeOf(home, s);
  return {
    env: Object.fromEntries(Object.entries(p.env).map(([k, v]) => [k, fill(v)])),
    unset: p.unset,
    args: [...p.args, ...(model && p.model ? p.model.args : [])].map(fill),
    state: p.state.map((s) => ({ path: inHome(s), dir: s.endsWith('/') })),
    hidden: p.hidden.map(inHome),
  };
}
