// No false blocks on what an assistant ordinarily sends: real text that holds no credential, from
// this repository and from packages a fresh `npm install` of it brings (package.json: typescript,
// react-dom, zod, playwright-core, better-sqlite3), plus research questions, URLs, ids, digests and
// images. Each piece is scanned whole, and cut into model requests the way an assistant sends
// them. A hit fails the test and prints which rule fired on which line: nothing here is a real
// secret, so the line can be shown.
import { createHash, createHmac, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../../daemon/install.ts';
import { CredentialScanner, type CredentialHit } from '../../../daemon/pipeline/guard.ts';

const fingerprint = (t: string): string => createHmac('sha256', 'corpus').update(t).digest('hex');
const scanner = new CredentialScanner(fingerprint, { rollingBase: 1_234_567 });
// Two stored keys, as a daemon has: the corpus must not be taken for them either.
scanner.setStoredKeys(['BSAk3f9Qm2xP7vL0wZ8rT4yN6cH1jD5sG0aE2bR9', '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'].map((k) => (
  { fingerprint: fingerprint(k), length: k.length, rolling: scanner.rollingHash(k) })));

const root = (...path: string[]): string => join(PROJECT_ROOT, ...path);
const read = (...path: string[]): string => readFileSync(root(...path), 'utf8');

function filesUnder(dir: string, ext: RegExp): string[] {
  return readdirSync(root(dir)).sort().flatMap((name) => {
    const path = join(dir, name);
    if (statSync(root(path)).isDirectory()) return filesUnder(path, ext);
    return ext.test(name) ? [path] : [];
  });
}

const RESEARCH_QUESTIONS = [
  'What is the current consensus on the health effects of intermittent fasting?',
  'Compare the energy density of lithium iron phosphate and NMC battery chemistries.',
  'Find recent papers on retrieval-augmented generation for legal documents (2023-2025).',
  'How does the Raft consensus algorithm handle a network partition?',
  'Summarise the main arguments for and against a four-day work week, with sources.',
  'Which European countries had the highest solar capacity per capita in 2024?',
  'Explain the difference between AES-256-GCM and ChaCha20-Poly1305 for a non-expert.',
  'What does SQLite WAL mode change for concurrent readers and writers?',
  'List open-source alternatives to Slack that support end-to-end encryption.',
  'What are the side effects of metformin in patients over 65?',
  'How do I rotate an API key without downtime in a Kubernetes deployment?',
  'Who won the Tour de France in 1989, and by how many seconds?',
  'What is the half-life of caffeine, and does it change during pregnancy?',
  'Find the GitHub issue where React 19 changed the behaviour of useEffect cleanup.',
  'Explain how AWS IAM roles differ from access keys, for a beginner.',
  'What is the population of Lagos, and how fast is it growing?',
  'Summarise the Stripe API changelog for 2024: breaking changes only.',
  'What are the best practices for storing secrets in a GitHub Actions workflow?',
  'How does the npm audit signatures command verify package provenance?',
  'Translate "where is the train station" into Japanese, Korean and Thai.',
  'What were the causes of the 2008 financial crisis? Cite three books.',
  'Give me the boiling point of water at 3000 m altitude, in Celsius.',
  'Which Python libraries parse PDF tables most reliably?',
  'Compare PostgreSQL logical replication with Debezium for change data capture.',
  'How much does a Google Maps API call cost after the free tier?',
  'What is the OAuth 2.0 device authorization grant, and when should I use it?',
  'Explain the Hugging Face transformers pipeline API with an example.',
  'How do SendGrid and Mailgun differ for transactional email deliverability?',
  'Find the PEP that introduced structural pattern matching in Python.',
  'What is a private key, and why should it never be pasted into a chat?',
  'Summarise the SPEC of the Model Context Protocol: tools, resources, prompts.',
  'What is the difference between a slack variable and a surplus variable in linear programming?',
  'Why is the sky blue? Answer in two sentences, for a seven-year-old.',
  'List the ten largest Anthropic and OpenAI model releases by date.',
  'How do I read a -----BEGIN CERTIFICATE----- file with openssl?',
  'Find statistics on bicycle commuting in Copenhagen since 2010.',
];

const SEARCH_URLS = [
  'https://api.search.brave.com/res/v1/web/search?q=International%20Space%20Station&result_filter=web&count=20',
  'https://www.googleapis.com/customsearch/v1?cx=017576662512468239146:omuauf_lfve&q=lectures&start=11',
  'https://api.tavily.com/search?query=solar%20capacity%20per%20capita%202024&search_depth=advanced',
  'https://en.wikipedia.org/w/api.php?action=query&format=json&prop=extracts&titles=Raft_(algorithm)&explaintext=1',
  'https://api.github.com/search/issues?q=repo%3Afacebook%2Freact+useEffect+cleanup&sort=created&order=desc&per_page=50',
  'https://export.arxiv.org/api/query?search_query=all:retrieval%20augmented%20generation&start=0&max_results=25',
  'https://api.crossref.org/works?query.bibliographic=attention+is+all+you+need&rows=5&mailto=research%40example.org',
  'https://www.youtube.com/watch?v=dQw4w9WgXcQ&list=PLFgquLnL59alCl_2TQvOiD5Vgm1hCaGSI&index=2',
  'https://maps.googleapis.com/maps/api/geocode/json?address=1600+Amphitheatre+Parkway,+Mountain+View,+CA',
  'https://duckduckgo.com/?q=sqlite+wal+mode&t=h_&ia=web',
  'https://registry.npmjs.org/-/v1/search?text=keywords:secret-scanner&size=20&from=40',
  'https://api.semanticscholar.org/graph/v1/paper/search?query=covid+vaccine&fields=title,year,authors&limit=100',
];

const DOIS = [
  '10.1038/s41586-021-03819-2', 'https://doi.org/10.1145/3442188.3445922', 'doi:10.1126/science.abj8754',
  '10.48550/arXiv.2005.11401', 'https://doi.org/10.1016/j.cell.2020.02.052', '10.1093/nar/gkab1112',
];

/** Deterministic bytes that look like compressed data (an image's, an archive's). */
function noise(n: number, seed: string): Buffer {
  const out = Buffer.alloc(n);
  for (let i = 0; i * 32 < n; i++) createHash('sha256').update(`${seed} ${i}`).digest().copy(out, i * 32);
  return out;
}

/** Ids, digests and references of the kind tool results are full of. */
function identifiers(): string {
  const lines: string[] = [];
  for (let i = 0; i < 300; i++) {
    const sha1 = createHash('sha1').update(`commit ${i}`).digest('hex');
    const sha256 = createHash('sha256').update(`blob ${i}`).digest('hex');
    lines.push(
      `${randomUUID()} ${randomUUID().toUpperCase()} ${sha1} ${sha1.slice(0, 7)} sha256:${sha256}`,
      `integrity sha512-${createHash('sha512').update(`pkg ${i}`).digest('base64')} ${createHash('md5').update(String(i)).digest('hex')}`,
      `${DOIS[i % DOIS.length]} ${SEARCH_URLS[i % SEARCH_URLS.length]}&page=${i}`,
    );
  }
  return lines.join('\n');
}

/** JSON search parameters and results, as a search tool sends and gets them. */
function searchJson(): string {
  return JSON.stringify(RESEARCH_QUESTIONS.map((q, i) => ({
    query: q, numResults: 10, type: 'neural', useAutoprompt: true, startPublishedDate: '2023-01-01T00:00:00.000Z',
    includeDomains: ['arxiv.org', 'nature.com', 'github.com'], excludeText: ['sponsored'], requestId: randomUUID(),
    results: SEARCH_URLS.map((url, j) => ({ id: createHash('sha1').update(`${i} ${j}`).digest('base64url'), url, title: q.slice(0, 40), score: (i * j) % 97 / 97 })),
  })), null, 2);
}

/** Images and other binaries as base64, the way a model request carries them. */
function binaries(): string {
  const files = [
    ...readdirSync(root('resources', 'icons')).filter((f) => f.endsWith('.png')).map((f) => root('resources', 'icons', f)),
    root('node_modules', 'playwright-core', 'lib', 'webp_codec.wasm'),
    root('node_modules', 'better-sqlite3', 'prebuilds', 'linux-x64.node'),
  ];
  return files.map((f) => readFileSync(f).toString('base64'))
    .concat(noise(200_000, 'screenshot').toString('base64'), noise(50_000, 'thumbnail').toString('base64url'))
    .join('\n');
}

const CORPUS: [string, () => string][] = [
  ['package-lock.json', () => read('package-lock.json')],
  ['typescript/lib/typescript.js', () => read('node_modules', 'typescript', 'lib', 'typescript.js')],
  ["react-dom's production build", () => read('node_modules', 'react-dom', 'cjs', 'react-dom-client.production.js')],
  ['zod v4 (core and classic)', () => filesUnder(join('node_modules', 'zod', 'v4'), /\.js$/).map((f) => read(f)).join('\n')],
  ["the daemon's TypeScript sources", () => filesUnder('daemon', /\.ts$/).map((f) => read(f)).join('\n')],
  ['README, SECURITY and docs', () => ['README.md', 'SECURITY.md', ...filesUnder('docs', /\.md$/)].map((f) => read(f)).join('\n')],
  ['research questions', () => RESEARCH_QUESTIONS.join('\n')],
  ['URLs with query strings', () => SEARCH_URLS.join('\n')],
  ['UUIDs, git and content digests, DOIs', identifiers],
  ['JSON search parameters and results', searchJson],
  ['images and binaries in base64', binaries],
];

/** Model requests carrying `text`: the whole of it in pieces of at most 256 KB, as message content. */
function modelRequests(text: string): Buffer[] {
  const requests: Buffer[] = [];
  for (let at = 0; at < text.length; at += 256 * 1024) {
    const content = text.slice(at, at + 256 * 1024);
    requests.push(Buffer.from(JSON.stringify({
      model: 'claude-sonnet-4-5', max_tokens: 4096, system: 'You are a careful research assistant.',
      messages: [{ role: 'user', content: [{ type: 'text', text: `Read this and answer my question.\n\n${content}` }] }],
    })));
  }
  return requests;
}

/** What a hit was, with the lines of `text` that raise it on their own, for the failure message. */
function explain(hit: CredentialHit, text: string): string {
  const what = hit.kind === 'format' ? `rule ${hit.rule} (${hit.title})` : 'a stored key';
  const lines = text.split('\n').filter((line) => scanner.scan(line) !== null).slice(0, 5);
  return `${what} fired on: ${lines.length ? lines.map((l) => JSON.stringify(l.length > 400 ? `${l.slice(0, 400)}…` : l)).join('\n') : '(no single line: across lines or encoded)'}`;
}

describe.each(CORPUS)('%s', (_, load) => {
  const text = load();

  it('holds enough text to mean something', () => {
    expect(text.length).toBeGreaterThan(500);
  });

  it('is not taken for a credential, scanned whole', () => {
    const hit = scanner.scanBytes(Buffer.from(text));
    expect(hit, hit ? explain(hit, text) : '').toBeNull();
  });

  it('is not taken for a credential in model requests, nor as a query or a purpose', () => {
    for (const body of modelRequests(text)) {
      const hit = scanner.scanBytes(body);
      expect(hit, hit ? explain(hit, text) : '').toBeNull();
    }
    for (const line of text.split('\n').slice(0, 200)) {
      const hit = scanner.scan(`q=${encodeURIComponent(line)}&count=10`) ?? scanner.scan(line);
      expect(hit, hit ? explain(hit, line) : '').toBeNull();
    }
  });
});
