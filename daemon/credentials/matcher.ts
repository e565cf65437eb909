// The credential rules, compiled once: a keyword automaton over all their keywords finds where a
// credential could be, and only a window of text around a keyword is matched against its rule's
// pattern. Text without a keyword, most of it, never runs a pattern.
import { KeywordAutomaton } from './keywords.ts';
import type { CredentialRule } from './rules.ts';

/**
 * Characters of real text around a window, so that a lookbehind or lookahead sees what is really
 * there rather than the window's edge. A match must keep this far from an edge that is not the text's.
 */
const MARGIN = 32;
const EMPTY = Buffer.alloc(0);

export interface CredentialMatch {
  rule: CredentialRule;
}

export interface CredentialMatcher {
  /**
   * The first credential found in `text` (its bytes; a pattern sees them as latin1, one character
   * per byte), by whichever rule finds one first; never says where or what.
   * With `decode`, a window is also matched decoded, up to twice: escapes undone, a credential escaped
   * inside a JSON body gets back its quotes and line breaks. Windows are then a quarter wider, as
   * escaped text is longer (text escaped all through, \u0041 for A, is decoded before it gets here).
   */
  find(text: Buffer, decode?: (window: string) => string): CredentialMatch | null;
  /** No rule matches text shorter than this: a shorter piece of text holds no credential, however decoded. */
  readonly minLength: number;
}

interface CompiledRule {
  rule: CredentialRule;
  pattern: RegExp;
  allow: RegExp[];
}

export function compileRules(rules: readonly CredentialRule[]): CredentialMatcher {
  return new RuleMatcher(rules);
}

class RuleMatcher implements CredentialMatcher {
  readonly minLength: number;
  private readonly rules: CompiledRule[];
  private readonly automaton: KeywordAutomaton;
  /** For each keyword of the automaton, the rules it belongs to. */
  private readonly rulesOf: number[][];

  // What one find() has seen so far: the text, and each rule's window around its keywords, [from, to).
  // Kept here rather than made per call: find() runs on many short decoded pieces of a request.
  private text: Buffer = EMPTY;
  private decode: ((window: string) => string) | undefined;
  private readonly from: Int32Array;
  private readonly to: Int32Array;
  /** The rules with a window, in the order their first keyword came. */
  private readonly pending: Int32Array;
  private pendingCount = 0;
  private found = -1;

  constructor(rules: readonly CredentialRule[]) {
    this.rules = rules.map((rule) => ({
      rule,
      pattern: new RegExp(rule.pattern, rule.ignoreCase ? 'giu' : 'gu'),
      allow: (rule.allow ?? []).map((a) => new RegExp(a, 'u')),
    }));
    const keywords = [...new Set(rules.flatMap((r) => r.keywords))];
    this.automaton = new KeywordAutomaton(keywords);
    this.rulesOf = keywords.map((k) => rules.flatMap((r, i) => (r.keywords.includes(k) ? [i] : [])));
    this.from = new Int32Array(rules.length).fill(-1);
    this.to = new Int32Array(rules.length);
    this.pending = new Int32Array(rules.length);
    // Every match holds one of its rule's keywords, so it is at least as long as the shortest.
    this.minLength = Math.min(...rules.map((r) => Math.max(shortestMatch(r.pattern), Math.min(...r.keywords.map((k) => k.length)))));
  }

  find(text: Buffer, decode?: (window: string) => string): CredentialMatch | null {
    this.text = text;
    this.decode = decode;
    this.found = -1;
    this.pendingCount = 0;
    this.automaton.search(text, this.onKeyword);
    for (let i = 0; i < this.pendingCount; i++) {
      const r = this.pending[i]!;
      if (this.found < 0 && this.matches(r, this.from[r]!, this.to[r]!)) this.found = r;
      this.from[r] = -1;
    }
    this.text = EMPTY;
    this.decode = undefined;
    return this.found < 0 ? null : { rule: this.rules[this.found]!.rule };
  }

  /**
   * Keywords come in order of their end, so a rule's windows do too: a window that overlaps the
   * rule's last one extends it, and a window is searched once no later keyword can extend it.
   */
  private readonly onKeyword = (keyword: number, end: number): boolean => {
    const { from, to } = this;
    const length = this.automaton.keywords[keyword]!.length;
    const widen = this.decode ? 1.25 : 1;
    for (const r of this.rulesOf[keyword]!) {
      const reach = Math.ceil(this.rules[r]!.rule.maxLength * widen);
      // A match holding this keyword starts after end − maxLength and ends before its start + maxLength.
      const lo = Math.max(0, end - reach - MARGIN);
      const hi = Math.min(this.text.length, end - length + reach + MARGIN);
      if (from[r]! < 0) {
        this.pending[this.pendingCount++] = r;
      } else if (lo <= to[r]!) {
        to[r] = Math.max(to[r]!, hi);
        continue;
      } else if (this.matches(r, from[r]!, to[r]!)) {
        this.found = r;
        return true;
      }
      from[r] = lo;
      to[r] = hi;
    }
    return false;
  };

  /** Whether the rule's pattern finds a credible secret in text[lo, hi), as it is or decoded. */
  private matches(r: number, lo: number, hi: number): boolean {
    const atStart = lo === 0;
    const atEnd = hi === this.text.length;
    let view = this.text.toString('latin1', lo, hi);
    if (this.matchesIn(r, view, atStart, atEnd)) return true;
    for (let times = 0; this.decode && times < 2; times++) {
      const decoded = this.decode(view);
      if (decoded === view) break;
      view = decoded;
      if (this.matchesIn(r, view, atStart, atEnd)) return true;
    }
    return false;
  }

  /** Whether the rule's pattern finds a credible secret in `window`, away from edges the text does not have. */
  private matchesIn(r: number, window: string, atStart: boolean, atEnd: boolean): boolean {
    const { rule, pattern, allow } = this.rules[r]!;
    const first = atStart ? 0 : MARGIN;
    const last = atEnd ? window.length : window.length - MARGIN;
    pattern.lastIndex = 0;
    for (let m = pattern.exec(window); m !== null; m = pattern.exec(window)) {
      if (m.index >= first && m.index + m[0].length <= last) {
        const secret = m.groups?.secret ?? m[0];
        if ((rule.entropy === undefined || entropy(secret) >= rule.entropy) && !allow.some((a) => a.test(secret))) return true;
      }
      // The next match may start inside this one (one code point on, not half a surrogate pair).
      pattern.lastIndex = m.index + (window.codePointAt(m.index)! > 0xffff ? 2 : 1);
    }
    return false;
  }
}

/** Shannon entropy of `s` in bits per character. */
export function entropy(s: string): number {
  const counts = new Map<number, number>();
  for (let i = 0; i < s.length; i++) counts.set(s.charCodeAt(i), (counts.get(s.charCodeAt(i)) ?? 0) + 1);
  let bits = 0;
  for (const c of counts.values()) bits -= (c / s.length) * Math.log2(c / s.length);
  return bits;
}

/**
 * The fewest characters a JavaScript regular expression (the `u` syntax the rules use) can match.
 * A lower bound: what it cannot tell apart (a backreference, a lookaround) counts as nothing.
 */
export function shortestMatch(source: string): number {
  let i = 0;
  const alternatives = (): number => {
    let fewest = sequence();
    while (source[i] === '|') {
      i++;
      fewest = Math.min(fewest, sequence());
    }
    return fewest;
  };
  const sequence = (): number => {
    let total = 0;
    while (i < source.length && source[i] !== '|' && source[i] !== ')') total += atom() * repeats();
    return total;
  };
  const atom = (): number => {
    const c = source[i++];
    if (c === '^' || c === '$') return 0;
    if (c === '[') {
      if (source[i] === '^') i++;
      while (i < source.length && source[i] !== ']') i += source[i] === '\\' ? 2 : 1;
      i++;
      return 1;
    }
    if (c === '\\') {
      const e = source[i++]!;
      if (e === 'b' || e === 'B') return 0;
      if (/[1-9]/.test(e)) {
        while (/[0-9]/.test(source[i] ?? '')) i++;
        return 0;
      }
      if (e === 'k' || e === 'p' || e === 'P' || (e === 'u' && source[i] === '{')) i = source.indexOf(e === 'k' ? '>' : '}', i) + 1;
      else if (e === 'u') i += 4;
      else if (e === 'x') i += 2;
      else if (e === 'c') i += 1;
      return e === 'k' ? 0 : 1;
    }
    if (c === '(') {
      let counts = true;
      if (source[i] === '?') {
        const group = /^\?(?:<[=!]|[=!]|<[^>]*>|[a-z-]*:)/.exec(source.slice(i))![0];
        counts = !/^\?<?[=!]$/.test(group);
        i += group.length;
      }
      const inside = alternatives();
      i++; // ')'
      return counts ? inside : 0;
    }
    return 1;
  };
  const repeats = (): number => {
    const q = /^(?:[*?]|\+|\{(\d+)(?:,\d*)?\})\??/.exec(source.slice(i, i + 24));
    if (q === null) return 1;
    i += q[0].length;
    return q[0][0] === '+' ? 1 : q[1] !== undefined ? Number(q[1]) : 0;
  };
  return alternatives();
}
