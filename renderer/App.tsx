import { useCallback, useEffect, useMemo, useState } from 'react';
import type { Proposal } from '../daemon/control-types.ts';
import type { DaemonState, MainEvent } from '../electron/ipc/api.ts';
import { api, isDaemonDown, messageOf, onEvent } from './api.ts';
import { AppContext, type AppControls, type Page } from './app-context.ts';
import { DaemonDown } from './components/DaemonDown.tsx';
import { Nav } from './components/Nav.tsx';
import { Activity } from './pages/Activity.tsx';
import { Alerts } from './pages/Alerts.tsx';
import { Integrations } from './pages/Integrations.tsx';
import { Overview } from './pages/Overview.tsx';
import { Proposals } from './pages/Proposals.tsx';
import { Sessions } from './pages/Sessions.tsx';
import { Settings } from './pages/Settings.tsx';

type Daemon = { kind: 'checking' } | { kind: 'up'; state: DaemonState } | { kind: 'down' } | { kind: 'unreachable'; message: string };

const daemonOf = (state: DaemonState): Daemon => (state.running ? { kind: 'up', state } : { kind: 'down' });

export function App() {
  const [page, setPage] = useState<Page>('overview');
  const [version, setVersion] = useState(0);
  const [daemon, setDaemon] = useState<Daemon>({ kind: 'checking' });
  const [highlight, setHighlight] = useState<number | null>(null);
  const [approval, setApproval] = useState<Proposal | null>(null);

  const check = useCallback(() => {
    setDaemon({ kind: 'checking' });
    api.daemonState().then(
      (state) => setDaemon(daemonOf(state)),
      (e: unknown) => setDaemon(isDaemonDown(e) ? { kind: 'down' } : { kind: 'unreachable', message: messageOf(e) }),
    );
  }, []);

  const controls = useMemo<AppControls>(() => ({
    version,
    refresh: () => setVersion((v) => v + 1),
    // Going elsewhere by hand abandons a half-done approval and drops the highlight.
    navigate: (next) => {
      setHighlight(null);
      setApproval(null);
      setPage(next);
    },
    daemonDown: () => setDaemon({ kind: 'down' }),
  }), [version]);

  useEffect(check, [check]);

  useEffect(() => onEvent((e: MainEvent) => {
    switch (e.type) {
      case 'daemon':
        setDaemon(daemonOf(e.state));
        setVersion((v) => v + 1);
        break;
      case 'alert':
      case 'changed':
        setVersion((v) => v + 1);
        break;
      case 'show_alert':
        setPage('alerts');
        setHighlight(e.id);
        break;
    }
  }), []);

  function approve(proposal: Proposal) {
    setApproval(proposal);
    setPage('integrations');
  }

  function body() {
    switch (daemon.kind) {
      case 'checking':
        return <p role="status" className="page muted">Connecting to the daemon…</p>;
      case 'down':
        return <DaemonDown onStarted={(state) => { setDaemon(daemonOf(state)); controls.refresh(); }} />;
      case 'unreachable':
        return (
          <div role="alert" className="page problem">
            <p>{daemon.message}</p>
            <button type="button" onClick={check}>Try again</button>
          </div>
        );
      case 'up':
        switch (page) {
          case 'overview':
            return <Overview />;
          case 'integrations':
            return <Integrations approval={approval} onApprovalClosed={() => setApproval(null)} />;
          case 'sessions':
            return <Sessions />;
          case 'activity':
            return <Activity />;
          case 'alerts':
            return <Alerts highlight={highlight} />;
          case 'proposals':
            return <Proposals onApprove={approve} />;
          case 'settings':
            return <Settings />;
        }
    }
  }

  return (
    <AppContext value={controls}>
      <div className="app">
        <Nav page={page} daemon={daemon.kind === 'up' ? daemon.state : null} onNavigate={controls.navigate} />
        <main>{body()}</main>
      </div>
    </AppContext>
  );
}
