// A closed-loop load: `concurrency` workers, each sending its next request as soon as the last one
// answered, until a request count or a time limit is reached (both always bounded).
import { performance } from 'node:perf_hooks';

export interface LoadOptions {
  concurrency: number;
  /** Requests to complete (successful or not). */
  requests: number;
  /** Hard stop, in ms, whatever the count. */
  maxMs: number;
  /** Requests first sent and not measured (at the same concurrency). */
  warmup?: number;
  /** One request; throws when it failed. `i` numbers requests, to vary them. */
  call: (i: number) => Promise<void>;
  /** Called once the warm-up is over, right before the measured requests. */
  onMeasure?: () => void;
}

export interface LoadResult {
  concurrency: number;
  /** Latency of each successful request, ms, in completion order. */
  latencies: Float64Array;
  ok: number;
  errors: number;
  /** A few distinct error messages. */
  errorSamples: string[];
  /** Wall time of the measured part, ms. */
  elapsedMs: number;
  /** Successful requests per second over the measured part. */
  rps: number;
  /** Stopped by the time limit before the count was reached. */
  timedOut: boolean;
}

let seq = 0;

async function drive(concurrency: number, requests: number, deadline: number, call: (i: number) => Promise<void>, lat: Float64Array | null) {
  let issued = 0;
  let ok = 0;
  let errors = 0;
  const errorSamples = new Set<string>();
  const worker = async () => {
    while (issued < requests && performance.now() < deadline) {
      issued++;
      const t0 = performance.now();
      try {
        await call(seq++);
        const ms = performance.now() - t0;
        if (lat) lat[ok] = ms;
        ok++;
      } catch (e) {
        errors++;
        if (errorSamples.size < 5) errorSamples.add(e instanceof Error ? e.message.slice(0, 300) : String(e));
        // A target that fails every request must not spin: give up on this phase.
        if (errors > 50 && errors > ok) throw new Error(`too many failed requests (${errors}); first: ${[...errorSamples][0]}`);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { ok, errors, errorSamples: [...errorSamples] };
}

export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const start = performance.now();
  const hardStop = start + o.maxMs;
  if (o.warmup) await drive(o.concurrency, o.warmup, hardStop, o.call, null);
  o.onMeasure?.();
  const lat = new Float64Array(o.requests);
  const t0 = performance.now();
  const r = await drive(o.concurrency, o.requests, hardStop, o.call, lat);
  return result(o.concurrency, lat, r, performance.now() - t0, r.ok + r.errors < o.requests);
}

function result(concurrency: number, lat: Float64Array, r: Awaited<ReturnType<typeof drive>>, elapsedMs: number, timedOut: boolean): LoadResult {
  return {
    concurrency,
    latencies: lat.subarray(0, r.ok),
    ok: r.ok,
    errors: r.errors,
    errorSamples: r.errorSamples,
    elapsedMs,
    rps: r.ok / (elapsedMs / 1000),
    timedOut,
  };
}

/** Runs `call` for a fixed time (after an unmeasured warm-up), bounded by `maxRequests` too. */
export async function runForDuration(o: {
  concurrency: number; warmupMs: number; durationMs: number; maxRequests: number; call: (i: number) => Promise<void>; onMeasure?: () => void;
}): Promise<LoadResult> {
  await drive(o.concurrency, o.maxRequests, performance.now() + o.warmupMs, o.call, null);
  o.onMeasure?.();
  const lat = new Float64Array(o.maxRequests);
  const t0 = performance.now();
  const r = await drive(o.concurrency, o.maxRequests, t0 + o.durationMs, o.call, lat);
  return result(o.concurrency, lat, r, performance.now() - t0, false);
}
