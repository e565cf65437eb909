import type { ReactNode } from 'react';
import { isDaemonDown, messageOf } from '../api.ts';
import type { Loaded } from '../hooks.ts';

/** The loading and error states of anything loaded; `children` renders the value. */
export function Loadable<T>({ loaded, what, children }: { loaded: Loaded<T> & { reload(): void }; what: string; children: (value: T) => ReactNode }) {
  switch (loaded.status) {
    case 'loading':
      return <p role="status" className="muted">Loading {what}…</p>;
    case 'error':
      // The app shell shows the daemon-down screen instead.
      if (isDaemonDown(loaded.error)) return null;
      return (
        <div role="alert" className="problem">
          <p>Could not load {what}: {messageOf(loaded.error)}</p>
          <button type="button" onClick={loaded.reload}>Try again</button>
        </div>
      );
    case 'ready':
      return children(loaded.value);
  }
}
