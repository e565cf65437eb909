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
  /** The session whose socket the call came in on; absent on the agent socket itself. */
  session?: CallSession;
}

/** What a call needs to know of the session it runs in (daemon/sessions/). */
export interface CallSession {
  id: string;
  /** Stands in for a missing Tollgate-Purpose header. */
  purpose: string;
  /** The integrations it may reach; null: every approved one. */
  integrations: ReadonlySet<string> | null;
  /** Micro-dollars over the session's whole life; null: none of its own (the caps still hold). */
  budget: number | null;
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
