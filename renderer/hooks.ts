// Loading data and making changes through the bridge, with the states the window shows.
import { useEffect, useRef, useState } from 'react';
import type { Done } from '../electron/ipc/api.ts';
import { isDaemonDown, messageOf } from './api.ts';
import { useApp } from './app-context.ts';

export type Loaded<T> = { status: 'loading' } | { status: 'error'; error: unknown } | { status: 'ready'; value: T };

/**
 * Loads on mount, when `deps` change, on `reload()`, and — while `live` — whenever main reports
 * a change. A reload keeps showing the previous value until the new one arrives.
 */
export function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[], { live = true } = {}): Loaded<T> & { reload(): void } {
  const { version, daemonDown } = useApp();
  const [state, setState] = useState<Loaded<T>>({ status: 'loading' });
  const [nonce, setNonce] = useState(0);
  // The version last seen while live: going still must not itself count as a change.
  const seen = useRef(version);
  if (live) seen.current = version;
  useEffect(() => {
    let current = true;
    load().then(
      (value) => current && setState({ status: 'ready', value }),
      (error: unknown) => {
        if (!current) return;
        if (isDaemonDown(error)) daemonDown();
        setState({ status: 'error', error });
      },
    );
    return () => {
      current = false;
    };
    // `load` is a fresh closure each render; `deps` say when it means something new.
  }, [seen.current, nonce, ...deps]);
  return { ...state, reload: () => setNonce((n) => n + 1) };
}

export type Outcome = { tone: 'ok' | 'neutral' | 'error'; text: string };

const CANCELLED = 'Cancelled — nothing changed';

/** Runs operator actions one at a time and keeps the last outcome to show. */
export function useAction() {
  const { refresh, daemonDown } = useApp();
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [busy, setBusy] = useState(false);

  /** A call whose success `say`s something; a refusal shows the daemon's own message. */
  async function attempt<T>(call: () => Promise<T>, say: (value: T) => Outcome | string): Promise<T | undefined> {
    setBusy(true);
    setOutcome(null);
    try {
      const value = await call();
      const said = say(value);
      setOutcome(typeof said === 'string' ? { tone: 'ok', text: said } : said);
      refresh();
      return value;
    } catch (e) {
      if (isDaemonDown(e)) daemonDown();
      setOutcome({ tone: 'error', text: messageOf(e) });
      return undefined;
    } finally {
      setBusy(false);
    }
  }

  /** A change main confirms with the operator first; resolves to its value only when it happened. */
  async function change<T>(call: () => Promise<Done<T>>, said: (value: T) => string, cancelled = CANCELLED): Promise<T | undefined> {
    const d = await attempt(call, (d) => (d.done ? said(d.value) : { tone: 'neutral', text: cancelled }));
    return d?.done ? d.value : undefined;
  }

  return { outcome, busy, attempt, change };
}
