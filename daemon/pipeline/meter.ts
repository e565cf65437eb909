// Step 9: the real cost of a call, read from the response as it passes: a fixed price, a cost
// the provider reports (JSON pointer), and usage counters × unit prices. Server-sent event
// streams are read event by event; the last event carrying a value wins. A response whose
// cost cannot be read, or that was cut, costs the maximum.
import type { Pricing } from '../integrations/integration.ts';
import { numberAt, type Pointer } from '../integrations/json-pointer.ts';
import { usdToMicros, type Micros } from '../money.ts';

export interface MeterResult {
  cost: Micros;
  /** False when the cost had to be read and could not be: it is then the maximum. */
  readable: boolean;
  /** The provider reported more than the declared maximum: the maximum needs raising. */
  overMax: boolean;
}

export function isEventStream(contentType: string | undefined): boolean {
  return contentType?.toLowerCase().startsWith('text/event-stream') ?? false;
}

export class Meter {
  private readonly pricing: Pricing;
  private readonly sse: boolean;
  private readonly chunks: Buffer[] = [];
  private pending = '';
  private reportedCost: number | null = null;
  private readonly usage: (number | null)[];

  constructor(pricing: Pricing, contentType: string | undefined) {
    this.pricing = pricing;
    this.sse = isEventStream(contentType);
    this.usage = pricing.usage.map(() => null);
  }

  push(chunk: Buffer): void {
    if (!this.pricing.readsResponse) return;
    if (!this.sse) {
      this.chunks.push(chunk);
      return;
    }
    this.pending += chunk.toString('utf8');
    let nl: number;
    while ((nl = this.pending.indexOf('\n')) >= 0) {
      const line = this.pending.slice(0, nl).replace(/\r$/, '');
      this.pending = this.pending.slice(nl + 1);
      if (line.startsWith('data:')) this.readDocument(line.slice(5).trim());
    }
  }

  private readDocument(text: string): void {
    if (!text.startsWith('{')) return;
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      return;
    }
    const { costPointer, usage } = this.pricing;
    if (costPointer) this.reportedCost = numberAt(doc, costPointer) ?? this.reportedCost;
    usage.forEach((u, i) => {
      this.usage[i] = numberAt(doc, u.pointer as Pointer) ?? this.usage[i]!;
    });
  }

  /**
   * The cost once the response is complete, or cut (complete=false). A cut answer's counters
   * may still have grown at the provider: it costs the maximum, or what was read if more.
   */
  finish(complete: boolean): MeterResult {
    const { perRequest, usage, max, readsResponse } = this.pricing;
    if (!readsResponse) return { cost: perRequest, readable: true, overMax: false };
    if (!this.sse && complete) this.readDocument(Buffer.concat(this.chunks).toString('utf8'));
    // A provider may report only some counters per endpoint (each counts 0 then), but a
    // response that reports none of them is unreadable.
    const found = this.reportedCost !== null || this.usage.some((u) => u !== null);
    if (!found) return { cost: max, readable: false, overMax: false };
    let cost = perRequest + (this.reportedCost === null ? 0 : usdToMicros(this.reportedCost));
    usage.forEach((u, i) => {
      cost += Math.round((this.usage[i] ?? 0) * u.usdPerUnit * 1_000_000);
    });
    if (!complete) return { cost: Math.max(cost, max), readable: false, overMax: cost > max };
    return { cost, readable: true, overMax: cost > max };
  }
}
