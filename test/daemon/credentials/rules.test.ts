// Each credential rule on its own, without the matcher: its samples, its keywords, its bounds, and
// that its pattern stays linear on hostile text. The matcher's own tests use the same samples.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderRulesDoc } from '../../../daemon/credentials/rules-doc.ts';
import { loadRules, type CredentialRule } from '../../../daemon/credentials/rules.ts';
import { PROJECT_ROOT } from '../../../daemon/install.ts';
import { expand, SAMPLES } from './samples.ts';

const rules = loadRules();
const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8];
// Words found everywhere: as a keyword, each would run its pattern all over ordinary text.
const BANNED_KEYWORDS = ['key', 'token', 'secret', 'api', 'password', 'passwd', 'http', 'https', '://', 'auth', 'bearer', 'pat', 'sk-', 'sk_', 'live_', 'test_'];

const compile = (rule: CredentialRule): RegExp => new RegExp(rule.pattern, rule.ignoreCase ? 'giu' : 'gu');

/** Shannon entropy in bits per character. */
function entropy(s: string): number {
  const counts = new Map<string, number>();
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
  const n = [...s].length;
  let h = 0;
  for (const k of counts.values()) h -= (k / n) * Math.log2(k / n);
  return h;
}

interface Found {
  match: string;
  secret: string;
}

function findAll(rule: CredentialRule, text: string): Found[] {
  const found: Found[] = [];
  for (const m of text.matchAll(compile(rule))) found.push({ match: m[0], secret: m.groups?.secret ?? m[0] });
  return found;
}

/** A match the guard would refuse: random enough, and no documentation placeholder. */
function counts(rule: CredentialRule, f: Found): boolean {
  if (rule.entropy !== undefined && entropy(f.secret) < rule.entropy) return false;
  return !(rule.allow ?? []).some((a) => new RegExp(a, 'u').test(f.secret));
}

const hasKeyword = (rule: CredentialRule, s: string): boolean => rule.keywords.some((k) => s.toLowerCase().includes(k));

/**
 * The longest text (UTF-16 code units) a 'u'-mode regex source can match; Infinity when unbounded.
 * A class that can match a character beyond the BMP (negated, \S, \W, \D, \p, `.`) counts 2.
 */
function maxMatchLength(source: string): number {
  let i = 0;
  const alternation = (): number => {
    let best = sequence();
    while (source[i] === '|') {
      i++;
      best = Math.max(best, sequence());
    }
    return best;
  };
  const sequence = (): number => {
    let total = 0;
    while (i < source.length && source[i] !== '|' && source[i] !== ')') {
      const width = atom();
      total += width * quantifier();
    }
    return total;
  };
  const quantifier = (): number => {
    const c = source[i];
    let times = 1;
    if (c === '*' || c === '+') {
      i++;
      times = Infinity;
    } else if (c === '?') {
      i++;
    } else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(i));
      if (!m) throw new Error(`bad quantifier at ${i}`);
      i += m[0].length;
      times = m[2] === undefined ? Number(m[1]) : m[3] === '' ? Infinity : Number(m[3]);
    } else {
      return 1;
    }
    if (source[i] === '?') i++;
    return times;
  };
  const atom = (): number => {
    const c = source[i++];
    if (c === '(') {
      let zeroWidth = false;
      if (source.startsWith('?:', i)) {
        i += 2;
      } else if (source.startsWith('?=', i) || source.startsWith('?!', i)) {
        i += 2;
        zeroWidth = true;
      } else if (source.startsWith('?<=', i) || source.startsWith('?<!', i)) {
        i += 3;
        zeroWidth = true;
      } else if (source.startsWith('?<', i)) {
        i = source.indexOf('>', i) + 1;
      }
      const inner = alternation();
      if (source[i++] !== ')') throw new Error('unbalanced group');
      return zeroWidth ? 0 : inner;
    }
    if (c === '[') {
      let wide = source[i] === '^';
      while (source[i] !== ']') {
        if (i >= source.length) throw new Error('unterminated class');
        if (source[i] === '\\') {
          const e = source[i + 1]!;
          if ('SWDpP'.includes(e) || (e === 'u' && source[i + 2] === '{')) wide = true;
          i += 2;
        } else {
          i++;
        }
      }
      i++;
      return wide ? 2 : 1;
    }
    if (c === '\\') {
      const e = source[i++]!;
      if (e === 'b' || e === 'B') return 0;
      if (e === 'k' || /[1-9]/.test(e)) return Infinity;
      if (e === 'p' || e === 'P') {
        i = source.indexOf('}', i) + 1;
        return 2;
      }
      if ('SWD'.includes(e)) return 2;
      if (e === 'u') {
        if (source[i] === '{') {
          i = source.indexOf('}', i) + 1;
          return 2;
        }
        i += 4;
        return 1;
      }
      if (e === 'x') i += 2;
      else if (e === 'c') i++;
      return 1;
    }
    if (c === '.') return 2;
    if (c === '^' || c === '$') return 0;
    return 1;
  };
  const n = alternation();
  if (i !== source.length) throw new Error(`unexpected ${source[i]} at ${i}`);
  return n;
}

/**
 * 100 KB of text built to make a badly written pattern backtrack: the rule's keywords and samples,
 * whole, cut short and glued together, between long runs of the characters tokens are made of.
 */
function adversarial(rule: CredentialRule): string {
  const pieces: string[] = [];
  for (const t of SAMPLES[rule.id]?.positive ?? []) {
    const s = expand(t, 99);
    pieces.push(s, s.slice(0, -1), s.slice(0, Math.ceil(s.length / 2)), s + s);
  }
  for (const k of rule.keywords) pieces.push(k, k.toUpperCase(), `${k}=`, `${k}_KEY: "`);
  const runs = ['a'.repeat(3000), '0'.repeat(3000), 'aB3'.repeat(1000), 'A'.repeat(3000), '-_.'.repeat(400), '='.repeat(300), ' \n'.repeat(100), '/+'.repeat(500), ':@'.repeat(200)];
  let text = '';
  for (let i = 0; text.length < 100_000; i++) text += pieces[i % pieces.length]! + runs[i % runs.length]! + (i % 2 ? '' : ' ');
  return text.slice(0, 100_000);
}

describe('credential rules file', () => {
  it('loads and validates', () => {
    expect(rules.length).toBeGreaterThanOrEqual(100);
  });

  it('has samples for exactly its rules', () => {
    expect(Object.keys(SAMPLES).sort()).toEqual(rules.map((r) => r.id).sort());
  });

  it('docs/credential-rules.md is up to date', () => {
    const committed = readFileSync(join(PROJECT_ROOT, 'docs', 'credential-rules.md'), 'utf8');
    expect(committed === renderRulesDoc(rules), 'docs/credential-rules.md is stale; regenerate it: resources/with-node node daemon/credentials/rules-doc.ts > docs/credential-rules.md').toBe(true);
  });
});

describe.each(rules.map((r) => [r.id, r] as const))('%s', (_, rule) => {
  const samples = SAMPLES[rule.id] ?? { positive: [], negative: [] };

  it('has distinctive keywords and enough samples', () => {
    for (const k of rule.keywords) expect(BANNED_KEYWORDS, `keyword ${k}`).not.toContain(k);
    expect(samples.positive.length).toBeGreaterThanOrEqual(2);
    expect(samples.negative.length).toBeGreaterThanOrEqual(1);
  });

  it('finds a credential in every positive sample', () => {
    for (const template of samples.positive) {
      for (const seed of SEEDS) {
        const text = expand(template, seed);
        const found = findAll(rule, text);
        expect(found.filter((f) => counts(rule, f)), `${JSON.stringify(text)} (seed ${seed})`).not.toEqual([]);
        for (const f of found) {
          expect(hasKeyword(rule, f.match), `match ${JSON.stringify(f.match)} holds no keyword`).toBe(true);
          expect(f.match.length, `match ${JSON.stringify(f.match)} is longer than maxLength`).toBeLessThanOrEqual(rule.maxLength);
        }
      }
    }
  });

  it('finds nothing in the negative samples', () => {
    for (const template of samples.negative) {
      for (const seed of SEEDS) {
        const text = expand(template, seed);
        expect(findAll(rule, text).filter((f) => counts(rule, f)), JSON.stringify(text)).toEqual([]);
      }
    }
  });

  it('is bounded by maxLength', () => {
    expect(maxMatchLength(rule.pattern)).toBeLessThanOrEqual(rule.maxLength);
  });

  it('stays linear on adversarial text, and each match holds a keyword and fits maxLength', () => {
    // No time is asserted: a pattern that backtracks catastrophically blows the test timeout.
    for (const f of findAll(rule, adversarial(rule))) {
      expect(hasKeyword(rule, f.match), `match ${JSON.stringify(f.match.slice(0, 80))} holds no keyword`).toBe(true);
      expect(f.match.length).toBeLessThanOrEqual(rule.maxLength);
    }
  });
});
