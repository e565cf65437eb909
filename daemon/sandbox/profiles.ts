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
// The values may use {agentUrl}, {integration}, {placeholder} and {home}; a model's args {model}.
const templated = z.string().max(2000);

const compiles = (r: string): boolean => {
  try {
    new RegExp(r);
    return true;
  } catch {
    return false;
  }
};

const envName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/);

// One of the assistant's own model choices (its default, or an alias such as Claude Code's
// "sonnet"), which can be newer than Tollgate's prices.
const modelChoice = z.strictObject({
  /** What the assistant calls it, for the line said: "default", "sonnet", … */
  alias: z.string().min(1).max(40),
  /** The assistant's own model first, then its stand-ins, best first. */
  prefer: z.array(z.string().min(1)).min(1),
  /** How a stand-in is named: an environment variable the assistant reads, … */
  env: envName.optional(),
  /** … or arguments with {model}, put after the profile's own. */
  args: z.array(templated).min(1).optional(),
  /** The operator's own choice, which stands: an argument matching one of these patterns, … */
  namedBy: z.array(z.string().min(1).refine(compiles, 'a regular expression')).default([]),
  /** … or the top-level `model` key of the assistant's TOML config file. */
  config: homePath.optional(),
  /** How the operator names another, for the line said. */
  hint: z.string().min(1).max(200),
}).refine((m) => (m.env === undefined) !== (m.args === undefined), 'either env or args, not both');

export const profileSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/),
  displayName: z.string().min(1).max(100),
  docsUrl: z.string().url(),
  /** Program names (basenames) the profile is chosen for by itself. */
  commands: z.array(z.string().regex(/^[A-Za-z0-9._-]+$/)),
  /** The template of the integration that carries the assistant's model. */
  template: z.string().min(1).max(100),
  env: z.record(envName, templated),
  /** Variables removed from the command's environment (other ways to a model or a credential). */
  unset: z.array(envName),
  /** Arguments put right after the program name, before the operator's. */
  args: z.array(templated),
  /** What the assistant sends as its key: it must look like nothing Tollgate would take for a credential. */
  placeholder: z.string().min(8).max(200),
  state: z.array(homePath),
  hidden: z.array(homePath),
  /** Its models (its default, aliases): where the integration does not price one, a stand-in it prices. */
  models: z.array(modelChoice).default([]),
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

/** A stand-in for one of the assistant's models (profile `models`). */
export interface StandIn {
  alias: string;
  /** The assistant's own model, which the integration does not price. */
  own: string;
  model: string;
  env?: string;
  args?: string[];
  hint: string;
}

/**
 * The stand-ins for this run: for each of the assistant's models that the integration does not
 * price and the operator did not choose (by argument, variable or config file), the first of its
 * stand-ins that the integration prices. None where the integration prices none of them: its
 * calls are refused with the list.
 */
export function standIns(p: Profile, args: readonly string[], listed: readonly string[], env: NodeJS.ProcessEnv, home: string = homedir()): StandIn[] {
  const out: StandIn[] = [];
  for (const m of p.models) {
    const [own, ...others] = m.prefer as [string, ...string[]];
    if (listed.includes(own)) continue;
    if (m.env && env[m.env] !== undefined) continue;
    if (m.namedBy.some((r) => args.some((a) => new RegExp(r).test(a)))) continue;
    if (m.config && tomlSetsModel(inHomeOf(home, m.config))) continue;
    const model = others.find((o) => listed.includes(o));
    if (model) out.push({ alias: m.alias, own, model, hint: m.hint, ...(m.env ? { env: m.env } : { args: m.args! }) });
  }
  return out;
}

/** Whether a TOML file sets `model` before its first table. */
function tomlSetsModel(file: string): boolean {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return false;
  }
  for (const line of text.split('\n')) {
    if (/^\s*\[/.test(line)) return false;
    if (/^\s*"?model"?\s*=/.test(line)) return true;
  }
  return false;
}

/** The profile filled in for one run: the agent's URL inside the sandbox, the integration and the stand-ins. */
export function applyProfile(p: Profile, agentUrl: string, integration: string, stand: readonly StandIn[] = [], home: string = homedir()): Applied {
  const values: Record<string, string> = { agentUrl, integration: encodeURIComponent(integration), placeholder: p.placeholder, home };
  const fill = (s: string): string => s.replace(/\{(agentUrl|integration|placeholder|home)\}/g, (_, k: string) => values[k]!);
  const inHome = (s: string): string => inHomeOf(home, s);
  return {
    env: { ...Object.fromEntries(Object.entries(p.env).map(([k, v]) => [k, fill(v)])), ...Object.fromEntries(stand.filter((m) => m.env).map((m) => [m.env!, m.model])) },
    unset: p.unset,
    args: [...p.args.map(fill), ...stand.flatMap((m) => m.args?.map((a) => a.replaceAll('{model}', m.model)) ?? [])],
    state: p.state.map((s) => ({ path: inHome(s), dir: s.endsWith('/') })),
    hidden: p.hidden.map(inHome),
  };
}
