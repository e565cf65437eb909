// Aho–Corasick over the credential rules' keywords: one pass over a text finds every occurrence of
// every keyword, so that only the text around one is matched against a rule's pattern.
// Keywords are ASCII and matched case-insensitively; a byte beyond ASCII matches none.

/** A text at least this long is read as LANES stretches at once. */
const LANE_MIN = 4096;
const LANES = 4;
/** Entries in a state's row of the table: one for each byte. */
const ROW = 256;

export class KeywordAutomaton {
  readonly keywords: readonly string[];
  /**
   * For the state at row offset t (state × 256) and a byte c: next[t | c], the next state's row
   * offset, failure links already followed; a byte in no keyword leads back to the root. One table
   * read a byte. States where keywords end are numbered last, from row offset `ending` on, a power
   * of two (unused rows before them): one comparison tells them, of several states ORed too.
   */
  private readonly next: Int32Array;
  private readonly ending: number;
  /** The keywords ending at the state numbered s (its own and its suffixes'): ends[endsFrom[s] .. endsFrom[s + 1]). */
  private readonly endsFrom: Int32Array;
  private readonly ends: Int32Array;
  private readonly longest: number;

  constructor(keywords: readonly string[]) {
    this.keywords = keywords.map((k) => k.toLowerCase());
    const chars = [...new Set(this.keywords.join(''))].sort();
    if (this.keywords.some((k) => k.length === 0) || chars.some((c) => c.charCodeAt(0) >= 0x80)) {
      throw new Error('keywords are non-empty ASCII');
    }
    this.longest = Math.max(...this.keywords.map((k) => k.length));
    // Built over symbols, 1 + a character's index among those keywords use (upper case as lower
    // case), 0 for every other byte, then spread out to bytes.
    const symbol = new Uint8Array(ROW);
    chars.forEach((c, i) => {
      symbol[c.charCodeAt(0)] = i + 1;
      symbol[c.toUpperCase().charCodeAt(0)] = i + 1;
    });
    const width = chars.length + 1;

    // The trie: goto[state][symbol] (-1: none), and the keywords ending at each state.
    const goto: Int32Array[] = [new Int32Array(width).fill(-1)];
    const own: number[][] = [[]];
    this.keywords.forEach((keyword, k) => {
      let s = 0;
      for (let i = 0; i < keyword.length; i++) {
        const y = symbol[keyword.charCodeAt(i)]!;
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
    // Renumbered: the states where no keyword ends first (the root stays 0), then the others.
    const order = Array.from({ length: states }, (_, s) => s).sort((a, b) => Number(out[a]!.length > 0) - Number(out[b]!.length > 0) || a - b);
    const nonEnding = order.findIndex((s) => out[s]!.length > 0);
    const firstEnding = 2 ** Math.ceil(Math.log2(nonEnding));
    const number = new Int32Array(states);
    order.forEach((s, i) => (number[s] = i < nonEnding ? i : firstEnding + i - nonEnding));
    const rows = firstEnding + states - nonEnding;
    this.ending = firstEnding * ROW;
    this.next = new Int32Array(rows * ROW);
    for (let s = 0; s < states; s++) {
      for (let c = 0; c < ROW; c++) this.next[number[s]! * ROW + c] = number[delta[s * width + symbol[c]!]!]! * ROW;
    }
    this.endsFrom = new Int32Array(rows + 1);
    for (let s = 0; s < states; s++) this.endsFrom[number[s]! + 1] = out[s]!.length;
    for (let r = 0; r < rows; r++) this.endsFrom[r + 1] = this.endsFrom[r + 1]! + this.endsFrom[r]!;
    this.ends = Int32Array.from(order.flatMap((s) => out[s]!));
  }

  /**
   * Calls `hit(keyword, end)` for every occurrence in `text` (keyword: its index; end: the index
   * after its last byte), in order of `end`; stops early, returning true, when `hit` returns true.
   */
  search(text: Uint8Array, hit: (keyword: number, end: number) => boolean): boolean {
    const { next, ending } = this;
    const n = text.length;
    if (n < LANE_MIN) {
      for (let i = 0, t = 0; i < n; i++) {
        t = next[t | text[i]!]!;
        if (t >= ending && this.report(t, i + 1, hit)) return true;
      }
      return false;
    }
    // Each state comes from the one before, a chain of table reads that each wait for the last:
    // LANES stretches read at once go about LANES times as fast. Lane k reads from k × stretch
    // to longest − 1 bytes past its stretch, so that it has read all of every keyword ending in
    // its stretch or in those bytes; those ending where the lane before read are the lane before's.
    const stretch = Math.ceil(n / LANES);
    const to = Array.from({ length: LANES }, (_, k) => Math.min(n, (k + 1) * stretch + this.longest - 1));
    // Per lane, pairs (state, end) where keywords end, reported once all is read.
    const notes = Array.from({ length: LANES }, (): number[] => []);
    const together = to[LANES - 1]! - (LANES - 1) * stretch;
    const lanes = new Int32Array(LANES + 1);
    while (readLanes(next, ending, text, stretch, together, lanes)) {
      for (let k = 0; k < LANES; k++) {
        if (lanes[k]! >= ending) notes[k]!.push(lanes[k]!, k * stretch + lanes[LANES]!);
      }
    }
    for (let k = 0; k < LANES; k++) {
      let t = lanes[k]!;
      for (let i = k * stretch + together; i < to[k]!; i++) {
        t = next[t | text[i]!]!;
        if (t >= ending) notes[k]!.push(t, i + 1);
      }
      const laneNotes = notes[k]!;
      const after = k === 0 ? 0 : to[k - 1]!;
      for (let f = 0; f < laneNotes.length; f += 2) {
        if (laneNotes[f + 1]! > after && this.report(laneNotes[f]!, laneNotes[f + 1]!, hit)) return true;
      }
    }
    return false;
  }

  /** Calls `hit` for each keyword ending at the state at row offset t; whether one said stop. */
  private report(t: number, end: number, hit: (keyword: number, end: number) => boolean): boolean {
    const s = t / ROW;
    for (let e = this.endsFrom[s]!; e < this.endsFrom[s + 1]!; e++) {
      if (hit(this.ends[e]!, end)) return true;
    }
    return false;
  }
}

/**
 * Reads LANES stretches together, lane k from k × stride on, from the states and the offset in
 * `lanes` (LANES states, then how far each has read), until a keyword ends in one (true: their
 * states and offset are where it did) or they have read `count` bytes (false). Its loop holds
 * nothing else, so V8 compiles it tight.
 */
function readLanes(next: Int32Array, ending: number, text: Uint8Array, stride: number, count: number, lanes: Int32Array): boolean {
  let ta = lanes[0]!;
  let tb = lanes[1]!;
  let tc = lanes[2]!;
  let td = lanes[3]!;
  let i = lanes[4]!;
  const b = stride;
  const c = 2 * stride;
  const d = 3 * stride;
  let ended = false;
  while (i < count && !ended) {
    ta = next[ta | text[i]!]!;
    tb = next[tb | text[b + i]!]!;
    tc = next[tc | text[c + i]!]!;
    td = next[td | text[d + i]!]!;
    i++;
    ended = (ta | tb | tc | td) >= ending;
  }
  lanes.set([ta, tb, tc, td, i]);
  return ended;
}
