// The rule engine on its own, with small hand-made rules: the keyword automaton, the windows a
// pattern runs over, and what a match must also pass (entropy, placeholders). The shipped rules
// are tested in rules.test.ts, and through the scanner in coverage.test.ts and corpus.test.ts.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { KeywordAutomaton } from '../../../daemon/credentials/keywords.ts';
import { compileRules, entropy, shortestMatch } from '../../../daemon/credentials/matcher.ts';
import type { CredentialRule } from '../../../daemon/credentials/rules.ts';

function rule(id: string, keywords: string[], pattern: string, more: Partial<CredentialRule> = {}): CredentialRule {
  return { id, provider: 'Test', title: `Test ${id}`, source: 'https://example.org/', keywords, pattern, maxLength: 40, ...more };
}

/** Every keyword occurrence the automaton reports, as [keyword, end]. */
function hits(keywords: string[], text: string): [string, number][] {
  const automaton = new KeywordAutomaton(keywords);
  const out: [string, number][] = [];
  automaton.search(Buffer.from(text), (k, end) => {
    out.push([keywords[k]!, end]);
    return false;
  });
  return out;
}

const found = (rules: CredentialRule[], text: string): string | null => compileRules(rules).find(Buffer.from(text))?.rule.id ?? null;

describe('KeywordAutomaton', () => {
  it('finds keywords in any case, where they end', () => {
    expect(hits(['ghp_', 'xoxb-'], 'a ghp_ b GHP_ c Ghp_ d xOxB-')).toEqual([['ghp_', 6], ['ghp_', 13], ['ghp_', 20], ['xoxb-', 28]]);
  });

  it('reports keywords that end inside another (failure links), and overlapping ones, in order of their end', () => {
    expect(hits(['he', 'she', 'his', 'hers'], 'ushers')).toEqual([['she', 4], ['he', 4], ['hers', 6]]);
    expect(hits(['aa', 'aaa'], 'aaaa')).toEqual([['aa', 2], ['aaa', 3], ['aa', 3], ['aaa', 4], ['aa', 4]]);
    expect(hits(['abcd', 'bc', 'c'], 'xabcdx')).toEqual([['bc', 4], ['c', 4], ['abcd', 5]]);
  });

  it('matches no keyword across or with a byte beyond ASCII', () => {
    expect(hits(['tok_'], 'tοk_ t\u00f6k_ to\u0000k_ to\uD83D\uDE00k_')).toEqual([]);
    // Ends are in bytes of UTF-8: é is two, the emoji four.
    expect(hits(['tok_'], '\u00e9tok_\uD83D\uDE00TOK_')).toEqual([['tok_', 6], ['tok_', 14]]);
  });

  it('finds keywords at the very start and end of the text, and every one of many', () => {
    expect(hits(['key'], 'key')).toEqual([['key', 3]]);
    expect(hits(['sg.'], 'sg.sg.sg.')).toEqual([['sg.', 3], ['sg.', 6], ['sg.', 9]]);
    expect(hits(['ab'], 'ab'.repeat(100)).length).toBe(100);
  });

  it('finds every keyword in a long text, read in stretches at once, as a plain search does', () => {
    // A long text is read as several stretches together: keywords across where they meet count once.
    const keywords = ['ab', 'cab', 'abcab', 'b_c', 'tok_', 'k_a', 'bbbbbbbbbbbb'];
    let seed = 7;
    const random = Array.from({ length: 4 * 4096 + 13 }, () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return 'abcABC_tok b'[seed % 12];
    }).join('');
    // The longest keyword ends everywhere in this one, where stretches meet too.
    for (const text of [random, 'b'.repeat(4 * 4096 + 5)]) {
      const expected: [string, number][] = [];
      for (let end = 1; end <= text.length; end++) {
        const found = keywords.filter((k) => text.slice(Math.max(0, end - k.length), end).toLowerCase() === k);
        expected.push(...found.sort((x, y) => y.length - x.length).map((k): [string, number] => [k, end]));
      }
      expect(expected.length).toBeGreaterThan(1000);
      expect(hits(keywords, text)).toEqual(expected);
    }
  });

  it('stops when told to', () => {
    const automaton = new KeywordAutomaton(['x']);
    let seen = 0;
    expect(automaton.search(Buffer.from('xxxxx'), () => ++seen === 2)).toBe(true);
    expect(seen).toBe(2);
  });

  it('refuses keywords beyond ASCII', () => {
    expect(() => new KeywordAutomaton(['tök'])).toThrow(/ASCII/);
  });
});

describe('compileRules: where a pattern runs', () => {
  afterEach(() => vi.restoreAllMocks());

  it('runs no pattern over text without a keyword, even where the pattern would match', () => {
    const matcher = compileRules([rule('pin', ['pin:'], '[0-9]{8}'), rule('any', ['zzz'], '[a-z]{3}')]);
    const exec = vi.spyOn(RegExp.prototype, 'exec');
    expect(matcher.find(Buffer.from('12345678 abcdef '.repeat(1000)))).toBeNull();
    expect(exec).not.toHaveBeenCalled();
    expect(matcher.find(Buffer.from('pin: 12345678'))?.rule.id).toBe('pin');
    expect(exec).toHaveBeenCalled();
  });

  it('runs a pattern once per window, however many keywords fall in it', () => {
    const matcher = compileRules([rule('tok', ['tok'], 'tok_[0-9]{10}', { maxLength: 14 })]);
    const exec = vi.spyOn(RegExp.prototype, 'exec');
    matcher.find(Buffer.from(`${'tok '.repeat(50)}${' '.repeat(500)}tok tok`));
    // Two windows (keywords close together share one), each searched once to its end.
    expect(exec).toHaveBeenCalledTimes(2);
  });

  it('matches case-insensitively when the rule says so, whatever the case of the keyword in the text', () => {
    expect(found([rule('a', ['tok_'], 'tok_[0-9]{8}', { ignoreCase: true })], 'x TOK_12345678')).toBe('a');
    expect(found([rule('b', ['tok_'], 'TOK_[0-9]{8}')], 'x TOK_12345678')).toBe('b');
    expect(found([rule('c', ['tok_'], 'tok_[0-9]{8}')], 'x TOK_12345678')).toBeNull();
  });

  it('finds a match at the very start and at the very end of the text', () => {
    const rules = [rule('tok', ['tok_'], '(?<![a-z])tok_[a-z]{10}(?![a-z])', { maxLength: 14 })];
    expect(found(rules, 'tok_abcdefghij')).toBe('tok');
    expect(found(rules, `${'-'.repeat(1000)}tok_abcdefghij`)).toBe('tok');
    expect(found(rules, `tok_abcdefghij${'-'.repeat(1000)}`)).toBe('tok');
    expect(found(rules, 'tok_abcdefghi')).toBeNull();
  });

  it('finds a match the full maxLength away from its keyword, on either side', () => {
    const before = [rule('before', ['=end'], '[a-z]{36}=end', { maxLength: 40 })];
    const after = [rule('after', ['start='], 'start=[a-z]{34}', { maxLength: 40 })];
    const pad = '-'.repeat(300);
    expect(found(before, `${pad}${'q'.repeat(36)}=end${pad}`)).toBe('before');
    expect(found(after, `${pad}start=${'q'.repeat(34)}${pad}`)).toBe('after');
    expect(found(after, `${pad}start=${'q'.repeat(33)}${pad}`)).toBeNull();
  });

  it('is not blinded by a decoy keyword just before the real one, at any distance', () => {
    const rules = [rule('tok', ['tok_'], 'tok_[a-z]{10}', { maxLength: 14 })];
    for (let gap = 0; gap <= 120; gap++) {
      expect(found(rules, `tok_${'-'.repeat(gap)}tok_abcdefghij`), `gap ${gap}`).toBe('tok');
      expect(found(rules, `tok_abcdefghij${'-'.repeat(gap)}tok_`), `gap ${gap}`).toBe('tok');
    }
  });

  it('lets a lookbehind and a lookahead see the real text around a window, not its edge', () => {
    const rules = [rule('tok', ['tok_'], '(?<![a-z=])tok_[a-z]{10}(?![a-z])', { maxLength: 14 })];
    const pad = '-'.repeat(200);
    expect(found(rules, `${pad} tok_abcdefghij ${pad}`)).toBe('tok');
    expect(found(rules, `${pad}xtok_abcdefghij ${pad}`)).toBeNull();
    expect(found(rules, `${pad}=tok_abcdefghij ${pad}`)).toBeNull();
    expect(found(rules, `${pad} tok_abcdefghijk${pad}`)).toBeNull();
    // A lookbehind reaching further than the match itself.
    const far = [rule('far', ['tok_'], '(?<!secret:\\s{0,8})tok_[a-z]{10}', { maxLength: 14 })];
    expect(found(far, `${pad}secret:        tok_abcdefghij${pad}`)).toBeNull();
    expect(found(far, `${pad}secret-        tok_abcdefghij${pad}`)).toBe('far');
  });
});

describe('compileRules: what a match must also be', () => {
  it('has at least the entropy the rule asks of its secret', () => {
    const rules = [rule('e', ['tok_'], 'tok_(?<secret>[a-z]{10})', { entropy: 3 })];
    expect(found(rules, 'tok_aaaaaaaaaa')).toBeNull();
    expect(found(rules, 'tok_ababababab')).toBeNull();
    expect(found(rules, 'tok_abcdefghij')).toBe('e');
    expect(entropy('abcdefghij')).toBeCloseTo(Math.log2(10));
    expect(entropy('aaaa')).toBe(0);
  });

  it('is no placeholder the rule allows, and a placeholder does not hide a real one after it', () => {
    const rules = [rule('a', ['tok_'], 'tok_(?<secret>[a-z]{10})', { allow: ['^example', 'x{8}'], maxLength: 14 })];
    expect(found(rules, 'tok_examplexyz')).toBeNull();
    expect(found(rules, 'tok_axxxxxxxxb')).toBeNull();
    expect(found(rules, 'tok_examplexyz tok_abcdefghij')).toBe('a');
    // allow is tested against the secret, not the whole match.
    expect(found([rule('b', ['tok_'], 'tok_(?<secret>[a-z]{10})', { allow: ['^tok_'] })], 'tok_abcdefghij')).toBe('b');
  });
});

describe('compileRules: several rules', () => {
  it('sends a keyword several rules share to each of them', () => {
    const rules = [rule('digits', ['tok_'], 'tok_[0-9]{10}'), rule('letters', ['tok_'], 'tok_[a-z]{10}')];
    expect(found(rules, 'x tok_0123456789')).toBe('digits');
    expect(found(rules, 'x tok_abcdefghij')).toBe('letters');
    expect(found(rules, 'x tok_abcde12345')).toBeNull();
  });

  it('finds a rule whose keyword ends inside another rule\'s keyword', () => {
    const rules = [rule('she', ['she'], 'she[0-9]{6}'), rule('he', ['he'], 'he[0-9]{4}')];
    expect(found(rules, 'ushe1234')).toBe('he');
    expect(found(rules, 'she123456')).toBe('she');
  });

  it('gives each rule its own window size', () => {
    const rules = [rule('short', ['k_'], 'k_[a-z]{6}', { maxLength: 8 }), rule('long', ['k_'], 'k_[0-9]{300}', { maxLength: 302 })];
    expect(found(rules, `x k_${'7'.repeat(300)} y`)).toBe('long');
    expect(found(rules, `x k_${'7'.repeat(299)} y`)).toBeNull();
  });
});

describe('shortestMatch', () => {
  it.each([
    ['abc', 3],
    ['a{5,9}b?c*d+', 6],
    ['(?:ab|c)[0-9]{2}', 3],
    ['(?<![a-z])tok_(?=x)', 4],
    ['(?<secret>[a-z]{10})\\b', 10],
    ['x(?:y{2}){3}', 7],
    ['\\d\\u0041\\x41\\u{1F600}\\p{L}.', 6],
    ['(a)\\1', 1],
    ['^$|ab', 0],
    ['[\\]a-z]{4}', 4],
    ['(?i:ab)', 2],
  ])('%s: %d', (source, n) => {
    expect(shortestMatch(source)).toBe(n);
  });

  it('gives the matcher the shortest text any of its rules can match, at least the shortest keyword', () => {
    expect(compileRules([rule('a', ['tok_'], 'tok_[a-z]{10}'), rule('b', ['key='], 'key=[0-9]{6}')]).minLength).toBe(10);
    expect(compileRules([rule('c', ['abcdef'], '[a-z]{2}')]).minLength).toBe(6);
  });
});
