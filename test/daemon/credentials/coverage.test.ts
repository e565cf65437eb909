// Every credential rule through the real scanner, as credentials travel in requests: each positive
// sample (samples.ts, a few seeds) in a JSON body, a query value, a path segment and a header,
// each raw, percent-encoded, JSON-escaped, in base64 and in base64url. A raw sample in a body is
// always found; across all places and encodings at least 90 % are, and the misses are printed.
// No negative sample is found.
import { createHmac } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadRules } from '../../../daemon/credentials/rules.ts';
import { CredentialScanner, type CredentialHit } from '../../../daemon/pipeline/guard.ts';
import { expand, SAMPLES } from './samples.ts';

const rules = loadRules();
const scanner = new CredentialScanner((t) => createHmac('sha256', 'coverage').update(t).digest('hex'));
// Seeds rules.test.ts also checks each rule against, so every sample is one its rule accepts.
const SEEDS = [1, 2, 3];
const TARGET = 0.9;

const ENCODINGS: Record<string, (s: string) => string> = {
  raw: (s) => s,
  'percent-encoded': encodeURIComponent,
  'JSON-escaped': (s) => JSON.stringify(s).slice(1, -1),
  base64: (s) => Buffer.from(s).toString('base64'),
  base64url: (s) => Buffer.from(s).toString('base64url'),
};

// Where a value sits in a request, scanned the way admit() scans it. Undefined: it cannot sit there.
const PLACES: Record<string, (value: string) => CredentialHit | null | undefined> = {
  'JSON body': (v) => scanner.scanBytes(Buffer.from(JSON.stringify({
    model: 'claude-sonnet-4-5', max_tokens: 1024, messages: [{ role: 'user', content: `Why does this fail?\n\n${v}\n\nThanks.` }],
  }))),
  'query value': (v) => scanner.scan(`q=weather&key=${v}&count=5`),
  'path segment': (v) => {
    const path = `/v1/items/${v}/details`;
    return scanner.scan(path) ?? scanner.scan(path.replaceAll('/', ' '));
  },
  // A header value cannot hold CR, LF or NUL (upstreamHeaders refuses them).
  'header value': (v) => (/[\r\n\0]/.test(v) ? undefined : scanner.scan(['accept application/json', `x-note ${v}`, 'accept-encoding identity'].join('\n'))),
};

interface Tally {
  tried: number;
  found: number;
  /** "place / encoding: sample" of each miss. */
  misses: string[];
}

const tallies = new Map<string, Tally>();

beforeAll(() => {
  for (const rule of rules) {
    const tally: Tally = { tried: 0, found: 0, misses: [] };
    for (const template of SAMPLES[rule.id]?.positive ?? []) {
      for (const seed of SEEDS) {
        const sample = expand(template, seed);
        for (const [place, scan] of Object.entries(PLACES)) {
          for (const [encoding, encode] of Object.entries(ENCODINGS)) {
            const hit = scan(encode(sample));
            if (hit === undefined) continue;
            tally.tried++;
            if (hit) tally.found++;
            else tally.misses.push(`${place} / ${encoding}: ${JSON.stringify(sample)}`);
          }
        }
      }
    }
    tallies.set(rule.id, tally);
  }
});

describe.each(rules.map((r) => [r.id] as const))('%s', (id) => {
  it('is found in every positive sample, raw in a JSON body', () => {
    expect(SAMPLES[id]?.positive.length, 'the rule has samples').toBeGreaterThan(0);
    expect(tallies.get(id)!.misses.filter((m) => m.startsWith('JSON body / raw:'))).toEqual([]);
  });

  it('finds nothing in a negative sample', () => {
    for (const template of SAMPLES[id]?.negative ?? []) {
      for (const seed of SEEDS) {
        const text = expand(template, seed);
        const hit = scanner.scan(text);
        expect(hit, `${JSON.stringify(text)} taken for ${hit?.kind === 'format' ? hit.rule : hit?.kind}`).toBeNull();
      }
    }
  });
});

describe('all rules, in every place and encoding', () => {
  it(`finds at least ${TARGET * 100} % of the samples, and lists what it misses`, () => {
    let tried = 0;
    let found = 0;
    const byWay = new Map<string, number>();
    const lines: string[] = [];
    for (const [id, t] of tallies) {
      tried += t.tried;
      found += t.found;
      for (const m of t.misses) {
        const way = m.slice(0, m.indexOf(':'));
        byWay.set(way, (byWay.get(way) ?? 0) + 1);
      }
      if (t.misses.length) lines.push(`  ${id}: ${t.found}/${t.tried}; missed ${t.misses.slice(0, 4).join('; ')}${t.misses.length > 4 ? `; and ${t.misses.length - 4} more` : ''}`);
    }
    const share = found / tried;
    console.log([
      `credential coverage: ${found} of ${tried} placed samples found (${(share * 100).toFixed(1)} %)`,
      ...(byWay.size ? ['misses by place and encoding:', ...[...byWay].sort((a, b) => b[1] - a[1]).map(([w, n]) => `  ${w}: ${n}`), 'misses by rule:', ...lines] : []),
    ].join('\n'));
    expect(share).toBeGreaterThanOrEqual(TARGET);
  });
});
