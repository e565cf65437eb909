// The cost of a model provider's answer, read as it passes: a JSON answer whole at the end, a
// server-sent event stream event by event (chunks split anywhere: mid-line, mid-character, between
// \r and \n). Linear in the answer's size: lines are cut from the chunks as byte ranges, and only
// joined and decoded once whole.
import { usdToMicros, type Micros } from '../money.ts';
import { priceOf, tokenCost, type TokenPrice } from './prices.ts';
import { usageReader, type TokenFormat, type TokenUsage, type UsageReader } from './usage.ts';

/** An integration's `pricing.tokens`. */
export interface TokenPricing {
  format: TokenFormat;
  models: Readonly<Record<string, TokenPrice>>;
}

export interface TokenMeterResult {
  /**
   * Micro-dollars: the provider's reported cost where it reports one (OpenRouter), else the
   * tokens at the model's price. When unreadable, what could be read (a lower bound, often 0).
   */
  cost: Micros;
  /**
   * False when the final usage was not read: a stream cut before it, a complete answer without it
   * (an error, a background response), or a model without a price. The caller bills the reservation.
   */
  readable: boolean;
  usage: TokenUsage | null;
  /** The listed model whose price was used: the one the answer names if listed, else the requested one. */
  pricedModel: string | null;
  /** The model the answer says it came from. */
  respondedModel: string | null;
}

const LF = 0x0a;
const CR = 0x0d;

export class TokenMeter {
  private readonly pricing: TokenPricing;
  private readonly requested: string | null;
  private readonly reader: UsageReader;
  private readonly sse: boolean;
  /** A JSON answer's chunks, joined once at the end. */
  private readonly body: Buffer[] = [];
  /** SSE: the pieces of the line being read, and whether the last chunk ended on a CR. */
  private line: Buffer[] = [];
  private afterCR = false;
  /** SSE: the data lines of the event being read. */
  private data: string[] = [];

  constructor(pricing: TokenPricing, requestedModel: string | null, contentType: string | undefined) {
    this.pricing = pricing;
    this.requested = requestedModel;
    this.reader = usageReader(pricing.format);
    this.sse = contentType?.toLowerCase().trimStart().startsWith('text/event-stream') ?? false;
  }

  push(chunk: Buffer): void {
    if (!this.sse) {
      this.body.push(chunk);
      return;
    }
    if (chunk.length === 0) return;
    let start = 0;
    if (this.afterCR) {
      this.afterCR = false;
      if (chunk[0] === LF) start = 1;
    }
    // The next LF and CR at or after `start`, each searched for once per occurrence.
    let lf = chunk.indexOf(LF, start);
    let cr = chunk.indexOf(CR, start);
    while (start < chunk.length) {
      if (lf >= 0 && lf < start) lf = chunk.indexOf(LF, start);
      if (cr >= 0 && cr < start) cr = chunk.indexOf(CR, start);
      const end = lf < 0 ? cr : cr < 0 ? lf : Math.min(lf, cr);
      if (end < 0) {
        this.line.push(chunk.subarray(start));
        return;
      }
      if (end > start) this.line.push(chunk.subarray(start, end));
      this.endLine();
      start = end + 1;
      if (end === cr) {
        // CRLF is one line end; a CR alone is one too (SSE allows all three).
        if (start === chunk.length) this.afterCR = true;
        else if (chunk[start] === LF) start++;
      }
    }
  }

  private endLine(): void {
    const pieces = this.line;
    this.line = [];
    const text = pieces.length === 0 ? '' : pieces.length === 1 ? pieces[0]!.toString('utf8') : Buffer.concat(pieces).toString('utf8');
    if (text === '') {
      this.dispatch();
      return;
    }
    if (text.startsWith(':')) return; // a comment (OpenRouter's ": OPENROUTER PROCESSING")
    const colon = text.indexOf(':');
    const field = colon < 0 ? text : text.slice(0, colon);
    if (field !== 'data') return; // `event:` names are repeated in every format's data
    let value = colon < 0 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    this.data.push(value);
  }

  private dispatch(): void {
    if (this.data.length === 0) return;
    const text = this.data.length === 1 ? this.data[0]! : this.data.join('\n');
    this.data = [];
    // Only events that can carry usage, the model or the end of an answer are parsed.
    if (!text.includes('usage') && !text.includes('Reason') && !text.includes('"model')) return;
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      return; // `[DONE]`, or a line the provider broke
    }
    this.reader.event(doc);
  }

  /** The cost once the answer has ended: `complete` when it arrived whole, false when cut. */
  finish(complete: boolean): TokenMeterResult {
    if (complete) {
      if (this.sse) {
        // An answer that ended without the blank line after its last event still ended.
        if (this.line.length > 0) this.endLine();
        this.dispatch();
      } else {
        let doc: unknown;
        try {
          doc = JSON.parse(Buffer.concat(this.body).toString('utf8'));
        } catch {
          doc = undefined;
        }
        this.reader.answer(doc);
      }
    }
    const { usage, final, model: respondedModel } = this.reader.state;
    const listed = priceOf(this.pricing.models, respondedModel) ? respondedModel : priceOf(this.pricing.models, this.requested) ? this.requested : null;
    const price = priceOf(this.pricing.models, listed);
    let cost = 0;
    if (usage?.reportedCostUsd !== null && usage?.reportedCostUsd !== undefined) cost = usdToMicros(usage.reportedCostUsd);
    else if (usage && price) cost = tokenCost(usage, price);
    const readable = usage !== null && final && (usage.reportedCostUsd !== null || price !== null);
    return { cost, readable, usage, pricedModel: listed, respondedModel };
  }
}
