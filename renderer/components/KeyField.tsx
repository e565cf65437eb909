import { useId, type RefObject } from 'react';

/**
 * The provider's key. Uncontrolled on purpose: the key never enters React state; `takeKey`
 * reads it once at save time and empties the field.
 */
export function KeyField({ keyRef, required = false, hint }: { keyRef: RefObject<HTMLInputElement | null>; required?: boolean; hint: string }) {
  const id = useId();
  const hintId = useId();
  return (
    <div className="field">
      <label htmlFor={id}>API key</label>
      <input id={id} ref={keyRef} type="password" autoComplete="off" spellCheck={false} required={required} aria-describedby={hintId} />
      <p id={hintId} className="hint">{hint} It goes straight to the OS keychain and is never shown again.</p>
    </div>
  );
}

export function takeKey(keyRef: RefObject<HTMLInputElement | null>): string | undefined {
  const input = keyRef.current;
  if (!input) return undefined;
  const key = input.value.trim();
  input.value = '';
  return key || undefined;
}
