// Renders docs/credential-rules.md from the credential rules, so the list cannot drift from them
// (test/daemon/credentials/rules.test.ts compares the committed file with this output).
// Regenerate: resources/with-node node daemon/credentials/rules-doc.ts > docs/credential-rules.md
import { loadRules, type CredentialRule } from './rules.ts';

const REGENERATE = 'resources/with-node node daemon/credentials/rules-doc.ts > docs/credential-rules.md';

/** A table cell: no line breaks, and a '|' cannot end the cell. */
const cell = (s: string): string => s.replace(/\s+/g, ' ').replace(/\|/g, '\\|');
const code = (s: string): string => (s.includes('`') ? `\`\` ${s} \`\`` : `\`${s}\``);

export function renderRulesDoc(rules: readonly CredentialRule[]): string {
  const providers = new Set(rules.map((r) => r.provider));
  const sorted = [...rules].sort((a, b) => a.provider.localeCompare(b.provider, 'en') || a.id.localeCompare(b.id, 'en'));
  const rows = sorted.map((r) => {
    const entropy = r.entropy === undefined ? '' : `≥ ${r.entropy}`;
    return `| ${code(r.id)} | ${cell(r.provider)} | ${cell(r.title)} | ${r.keywords.map(code).map(cell).join(' ')} | ${entropy} | [source](${r.source}) |`;
  });
  return `# Credential rules

<!-- Generated from daemon/credentials/rules.json by daemon/credentials/rules-doc.ts: do not edit by hand. -->
<!-- Regenerate: ${REGENERATE} -->

The guard refuses a request that carries one of these credentials (error \`exfiltration_blocked\`).
${rules.length} rules cover ${providers.size} providers. Each rule is data in
[daemon/credentials/rules.json](../daemon/credentials/rules.json), validated by
[daemon/credentials/rules.ts](../daemon/credentials/rules.ts), which documents every field.

A rule's pattern only runs near one of its keywords (found case-insensitively), and every match contains
one of them. Most rules recognize a token by its own distinctive prefix; keys without one (a bare
32-character hex string, a UUID) need the provider's name in the setting that holds the key
(\`DATADOG_API_KEY=…\`, \`"datadog_api_key": "…"\`) and a secret at least as random as the rule's
entropy floor (bits per character). Documentation placeholders (\`xxxxxxxx\`, \`your_api_key\`,
\`…EXAMPLE\`) never count.

## Adding or changing a rule

1. Add the rule to \`daemon/credentials/rules.json\`: a kebab-case \`id\`, the \`provider\`, a \`title\`, a
   \`source\` (the provider's documentation of the format, or its announcement), distinctive lower-case
   \`keywords\` (never a bare word such as \`key\` or \`token\`: each hit costs a pattern run), and a bounded
   \`pattern\` (\`{m,n}\`, never \`+\` or \`*\`) whose every match contains a keyword; \`maxLength\` is the
   longest text it can match. Formats without a distinctive prefix need the provider's name in an
   assignment-like context, an \`entropy\` floor and \`allow\` entries for documentation placeholders.
2. Add samples under the rule's id in \`test/daemon/credentials/samples.ts\`: at least two real-looking
   occurrences (templates: no literal credential) and at least one near miss.
3. Regenerate this file: \`${REGENERATE}\`.
4. Run \`resources/with-node npx vitest run --project daemon test/daemon/credentials\`.

## Rules

| Id | Provider | Credential | Keywords | Entropy | Source |
| --- | --- | --- | --- | --- | --- |
${rows.join('\n')}
`;
}

if (import.meta.main) process.stdout.write(renderRulesDoc(loadRules()));
