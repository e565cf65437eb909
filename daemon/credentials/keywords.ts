// Aho–Corasick over the credential rules' keywords: one pass over a text finds every occurrence of
// every keyword, so that only the text around one is matched against a rule's pattern.
// Keywords are ASCII and matched case-insensitively; a character beyond ASCII matches none.

/** A transition holds the next state's row offset (state × width), so its low bit is free: set where keywords end. */
const ENDS = 1;

export class KeywordAutomaton {
  readonly keywords: readonly string[];
  /**
   * Each UTF-16 code unit's symbol: 1 + its index among the characters keywords use (upper case as
   * lower case), 0 for every other. Rows are as wide as the symbols, not the 128 ASCII codes: a
   * smaller table stays in the processor's cache, and a non-ASCII character needs no test.
   */
  private readonly symbol = new Uint8Array(0x10000);
  private readonly shift: number;
  /** For the state at row offset t and symbol y: next[t | y], the next state's row offset | ENDS; failure links already followed. */
  private readonly next: Int32Array;
  /** The keywords ending at state s (its own and its suffixes'): ends[endsFrom[s] .. endsFrom[s + 1]). */
  private readonly endsFrom: Int32Array;
  private readonly ends: Int32Array;
  /** Pairs (state, end) noted by search() before they are reported. */
  private readonly found = new Int32Array(64);

  constructor(keywords: readonly string[]) {
    this.keywords = keywords.map((k) => k.toLowerCase());
    const chars = [...new Set(this.keywords.join(''))].sort();
    if (this.keywords.some((k) => k.length === 0) || chars.some((c) => c.charCodeAt(0) >= 0x80)) {
      throw new Error('keywords are non-empty ASCII');
    }
    chars.forEach((c, i) => {
      this.symbol[c.charCodeAt(0)] = i + 1;
      this.symbol[c.toUpperCase().charCodeAt(0)] = i + 1;
    });
    this.shift = Math.max(1, Math.ceil(Math.log2(chars.length + 1)));
    const width = 1 << this.shift;

    // The trie: goto[state][symbol] (-1: none), and the keywords ending at each state.
    const goto: Int32Array[] = [new Int32Array(width).fill(-1)];
    const own: number[][] = [[]];
    this.keywords.forEach((keyword, k) => {
      let s = 0;
      for (let i = 0; i < keyword.length; i++) {
        const y = this.symbol[keyword.charCodeAt(i)]!;
        if (goto[s]![y]! < 0) {
          goto[s]![y] = goto.length;
          goto.push(new Int32Array(width).fill(-1));
          own.push([]);
        }
        s = goto[s]![y]!;
      }
      own[s]!.push(k);
    });
    // Breadth first, so a state's failure state (a shorter suffix) is complete before the state.
    const states = goto.length;
    const fail = new Int32Array(states);
    const delta = new Int32Array(states * width);
    const out: number[][] = own.map((o) => [...o]);
    const queue: number[] = [0];
    for (let q = 0; q < queue.length; q++) {
      const s = queue[q]!;
      if (s !== 0) out[s]!.push(...out[fail[s]!]!);
      for (let y = 0; y < width; y++) {
        const t = goto[s]![y]!;
        if (t < 0) {
          delta[s * width + y] = s === 0 ? 0 : delta[fail[s]! * width + y]!;
        } else {
          delta[s * width + y] = t;
          fail[t] = s === 0 ? 0 : delta[fail[s]! * width + y]!;
          queue.push(t);
        }
      }
    }
    // Symbol 0 (a character in no keyword) always leads back to the root.
    this.next = delta.map((t) => (t << this.shift) | (out[t]!.length > 0 ? ENDS : 0));
    this.endsFrom = new Int32Array(states + 1);
    for (let s = 0; s < states; s++) this.endsFrom[s + 1] = this.endsFrom[s]! + out[s]!.length;
    this.ends = Int32Array.from(out.flat());
  }

  /**
   * Calls `hit(keyword, end)` for every occurrence in `text` (keyword: its index; end: the index
   * after its last character), in order of `end`; stops early, returning true, when `hit` returns true.
   */
  search(text: string, hit: (keyword: number, end: number) => boolean): boolean {
    const { next, symbol, shift, found } = this;
    const row = -1 << shift;
    const n = text.length;
    let t = 0;
    for (let i = 0; i < n;) {
      // The loop over characters calls nothing (V8 compiles such a loop about half again as fast):
      // it notes states where keywords end, until the notes are full, and they are reported after.
      let noted = 0;
      for (; i < n; i++) {
        t = next[(t & row) | symbol[text.charCodeAt(i)]!]!;
        if ((t & ENDS) !== 0) {
          found[noted++] = t >> shift;
          found[noted++] = i + 1;
          if (noted === found.length) {
            i++;
            break;
          }
        }
      }
      for (let f = 0; f < noted; f += 2) {
        const s = found[f]!;
        for (let e = this.endsFrom[s]!; e < this.endsFrom[s + 1]!; e++) {
          if (hit(this.ends[e]!, found[f + 1]!)) return true;
        }
      }
    }
    return false;
  }
}
