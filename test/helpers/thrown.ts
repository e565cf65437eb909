import { TollgateError } from '../../daemon/errors.ts';

/** The code of the TollgateError `f` throws, or null when it throws nothing. */
export function codeOf(f: () => unknown): string | null {
  try {
    f();
    return null;
  } catch (e) {
    if (e instanceof TollgateError) return e.code;
    throw e;
  }
}
