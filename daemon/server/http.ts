// Shared plumbing of the two HTTP-over-socket transports.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ResponseSink } from '../pipeline/types.ts';

/** The body ended up larger than allowed. */
export class BodyTooLarge extends Error {}

/** Reads a request body, refusing early (by Content-Length) or as soon as it grows past `limit`. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) return Promise.reject(new BodyTooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.pause();
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
    req.on('aborted', () => reject(new Error('client aborted')));
  });
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(text.length), ...headers });
  res.end(text);
}

/** Adapts a ServerResponse to the pipeline's sink. */
export function httpSink(res: ServerResponse): ResponseSink {
  const ac = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) ac.abort();
  });
  return {
    head: (status, headers) => void res.writeHead(status, headers),
    write: (chunk) => res.write(chunk),
    drain: () => new Promise<void>((resolve) => {
      const done = (): void => {
        res.off('drain', done);
        res.off('close', done);
        resolve();
      };
      res.once('drain', done);
      res.once('close', done);
    }),
    end: (trailers) => {
      if (trailers) res.addTrailers(trailers);
      res.end();
    },
    destroy: () => void res.destroy(),
    signal: ac.signal,
  };
}

/** Splits a request target into path and raw query (without '?'). */
export function splitTarget(url: string): { path: string; query: string } {
  const q = url.indexOf('?');
  return q < 0 ? { path: url, query: '' } : { path: url.slice(0, q), query: url.slice(q + 1) };
}
