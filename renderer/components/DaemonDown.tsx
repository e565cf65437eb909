import { useState } from 'react';
import type { DaemonState } from '../../electron/ipc/api.ts';
import { api, messageOf } from '../api.ts';

export function DaemonDown({ onStarted }: { onStarted(state: DaemonState): void }) {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);

  async function start() {
    setBusy(true);
    setProblem(null);
    try {
      const state = await api.startDaemon();
      if (state.running) onStarted(state);
      else setProblem('The daemon did not start. Run “tollgate daemon” in a terminal to see why.');
    } catch (e) {
      setProblem(messageOf(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="page daemon-down" aria-labelledby="daemon-down">
      <h1 id="daemon-down">The Tollgate daemon is not running</h1>
      <p>
        Without it the assistant's calls fail closed: nothing is forwarded, and nothing here can be shown or changed.
        Start it now, or run <code>tollgate daemon</code> in a terminal.
      </p>
      <button type="button" className="primary" onClick={start} disabled={busy}>
        Start the daemon
      </button>
      {busy && <p role="status">Starting…</p>}
      {problem && <p role="alert" className="outcome tone-error">{problem}</p>}
    </section>
  );
}
