// RFC 6901 JSON pointers, parsed once when an integration is loaded.

export type Pointer = readonly string[];

export function parsePointer(pointer: string): Pointer {
  return pointer.split('/').slice(1).map((t) => t.replaceAll('~1', '/').replaceAll('~0', '~'));
}

/** The number at `pointer` in `doc`, or null when there is none (missing, or not a finite number). */
export function numberAt(doc: unknown, pointer: Pointer): number | null {
  let at: unknown = doc;
  for (const token of pointer) {
    if (at === null || typeof at !== 'object') return null;
    at = (at as Record<string, unknown>)[token];
  }
  if (typeof at === 'number' && Number.isFinite(at) && at >= 0) return at;
  if (typeof at === 'string' && /^\d+(\.\d+)?$/.test(at)) return Number(at);
  return null;
}
