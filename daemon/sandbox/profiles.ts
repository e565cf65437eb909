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
// The values may use {agentUrl}, {integration}, {placeholder} and {home}.
const templated = z.string().max(2000);

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

/** The profile filled in for one run: the agent's URL inside the sandbox and the integration. */
export function applyProfile(p: Profile, agentUrl: string, integration: string, home: string = homedir()): Applied {
  const values: Record<string, string> = { agentUrl, integration: encodeURIComponent(integration), placeholder: p.placeholder, home };
  const fill = (s: string): string => s.replace(/\{(agentUrl|integration|placeholder|home)\}/g, (_, k: string) => values[k]!);
  const inHome = (s: string): string => join(home, s.slice(2)).replace(/\/$/, '');
  return {
    env: Object.fromEntries(Object.entries(p.env).map(([k, v]) => [k, fill(v)])),
    unset: p.unset,
    args: p.args.map(fill),
    state: p.state.map((s) => ({ path: inHome(s), dir: s.endsWith('/') })),
    hidden: p.hidden.map(inHome),
  };
}
