// The plain values the pipeline takes and gives: no sockets, no HTTP server objects.

export interface CallRequest {
  requestId: string;
  method: string;
  /** The integration name as the assistant wrote it (the segment after /v1/call/). */
  name: string;
  /** Upstream path, raw (still percent-encoded), starting with '/'. */
  rawPath: string;
  /** Raw query without '?', '' when none. */
  rawQuery: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  receivedAt: number;
}

/** Where the pipeline writes the answer; the transport adapts it to its connection. */
export interface ResponseSink {
  head(status: number, headers: Record<string, string>): void;
  /** Returns false when the client is slow; wait for drain() before writing more. */
  write(chunk: Buffer): boolean;
  drain(): Promise<void>;
  end(trailers?: Record<string, string>): void;
  /** Cuts the connection (a response that cannot be completed must not look complete). */
  destroy(): void;
  /** Aborted when the client goes away. */
  readonly signal: AbortSignal;
}
