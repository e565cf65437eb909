// The credential formats the guard knows: data in ./rules.json (one rule per provider's token
// format), validated when the daemon starts. Adding a format is a data change with its samples
// in test/daemon/credentials/samples.ts, never a code change.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { PROJECT_ROOT } from '../install.ts';

export const RULES_FILE = join(PROJECT_ROOT, 'daemon', 'credentials', 'rules.json');

const ruleSchema = z.strictObject({
  /** Stable, kebab-case: it names the finding in refusals, audit records and alerts. */
  id: z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/),
  provider: z.string().min(1),
  /** What the credential is, as a person says it: "GitHub personal access token". */
  title: z.string().min(1),
  /** Where the format is documented (the provider's docs, or its announcement of the format). */
  source: z.url(),
  /**
   * Lower-case ASCII; a text is only matched against `pattern` near one of them (case-insensitively),
   * and every match of `pattern` contains one of them.
   */
  keywords: z.array(z.string().regex(/^[\x21-\x7e]{3,}$/).refine((k) => k === k.toLowerCase(), 'keywords are lower-case')).min(1),
  /** A JavaScript regular expression (source, without slashes); the secret is its group named `secret`, else the whole match. */
  pattern: z.string().min(1),
  ignoreCase: z.boolean().optional(),
  /** The longest text `pattern` can match: the window around a keyword that is searched. */
  maxLength: z.number().int().min(8).max(4096),
  /** Least Shannon entropy (bits per character) of the secret, for formats without a fixed prefix. */
  entropy: z.number().min(0).max(8).optional(),
  /** Placeholders (regular expressions, matched against the secret): documentation examples, not credentials. */
  allow: z.array(z.string().min(1)).optional(),
});

export type CredentialRule = z.infer<typeof ruleSchema>;

const rulesFileSchema = z.strictObject({
  $comment: z.string().optional(),
  rules: z.array(ruleSchema).min(1),
});

/** The rules of `path`, checked: a bad rule stops the daemon at start, naming the rule. */
export function loadRules(path: string = RULES_FILE): CredentialRule[] {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`credential rules ${path}: not readable JSON: ${(err as Error).message}`, { cause: err });
  }
  const parsed = rulesFileSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`credential rules ${path} are invalid:\n${z.prettifyError(parsed.error)}`);
  const ids = new Set<string>();
  for (const rule of parsed.data.rules) {
    if (ids.has(rule.id)) throw new Error(`credential rules: duplicate id "${rule.id}"`);
    ids.add(rule.id);
    for (const source of [rule.pattern, ...(rule.allow ?? [])]) {
      try {
        new RegExp(source, 'u');
      } catch (err) {
        throw new Error(`credential rule ${rule.id}: ${(err as Error).message}`, { cause: err });
      }
    }
  }
  return parsed.data.rules;
}
