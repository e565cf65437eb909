import { type ReactNode, useId } from 'react';
import type { SessionView } from '../../daemon/control-types.ts';
import { api } from '../api.ts';
import { Badge } from '../components/Badge.tsx';
import { Loadable } from '../components/Loadable.tsx';
import { OutcomeMessage } from '../components/OutcomeMessage.tsx';
import { SpendBar } from '../components/SpendBar.tsx';
import { dateTime, usd } from '../format.ts';
import { useAction, useLoad } from '../hooks.ts';
import { useDaemonTimeZone } from '../time-zone.ts';

/** The assistants running now and those that ran lately: purpose, budget, spend, calls. Live: every session event reloads it. */
export function Sessions() {
  const loaded = useLoad(() => api.sessions(), []);
  const timeZone = useDaemonTimeZone();
  const { outcome, busy, change } = useAction();
  const stop = (s: SessionView) =>
    change(() => api.stopSession(s.id), (v) => `Stopped: ${v.purpose}. It spent ${usd(v.spentUsd)} in ${calls(v.calls)}.`);
  return (
    <section className="page" aria-labelledby="sessions-title">
      <h1 id="sessions-title">Sessions</h1>
      <p className="muted">
        A session is one run of an assistant, on its own socket: it reaches only its integrations and spends within its budget
        as well as the caps. Start one with <code>tollgate sessions start</code>.
      </p>
      <OutcomeMessage outcome={outcome} />
      <Loadable loaded={loaded} what="sessions">
        {(sessions) => {
          const running = sessions.filter((s) => s.status === 'running');
          const ended = sessions.filter((s) => s.status === 'ended');
          return (
            <>
              <section aria-labelledby="running-title">
                <h2 id="running-title">Running</h2>
                {running.length === 0 ? (
                  <p className="empty">No session is running.</p>
                ) : (
                  <ul className="cards">
                    {running.map((s) => (
                      <li key={s.id}>
                        <SessionCard session={s} timeZone={timeZone}>
                          <div className="actions">
                            <button type="button" className="danger" onClick={() => void stop(s)} disabled={busy}>Stop</button>
                          </div>
                        </SessionCard>
                      </li>
                    ))}
                  </ul>
                )}
              </section>
              {ended.length > 0 && (
                <section aria-labelledby="recent-title">
                  <h2 id="recent-title">Recent</h2>
                  <ul className="cards">
                    {ended.map((s) => (
                      <li key={s.id}>
                        <SessionCard session={s} timeZone={timeZone} />
                      </li>
                    ))}
                  </ul>
                </section>
              )}
            </>
          );
        }}
      </Loadable>
    </section>
  );
}

const calls = (n: number): string => `${n} call${n === 1 ? '' : 's'}`;

function SessionCard({ session: s, timeZone, children }: { session: SessionView; timeZone: string | undefined; children?: ReactNode }) {
  const heading = useId();
  return (
    <article className="card" aria-labelledby={heading}>
      <header className="card-head">
        <h3 id={heading}>{s.purpose}</h3>
        <Badge tone={s.status === 'running' ? 'ok' : 'neutral'}>{s.status}</Badge>
      </header>
      <dl className="facts">
        <dt>Budget</dt>
        <dd>{s.budgetUsd === null ? 'None of its own: the caps hold' : usd(s.budgetUsd)}</dd>
        <dt>Spent</dt>
        <dd>
          {usd(s.spentUsd)}
          {s.reservedUsd > 0 && <span className="muted"> (+{usd(s.reservedUsd)} reserved by calls in flight)</span>}
        </dd>
        <dt>Calls</dt>
        <dd>{s.calls}</dd>
        <dt>Integrations</dt>
        <dd>{s.integrations === null ? 'Every approved one' : s.integrations.join(', ')}</dd>
        <dt>Started</dt>
        <dd>{dateTime(s.startedAt, timeZone)} by {s.startedBy}</dd>
        {s.status === 'running' ? (
          <>
            <dt>Socket</dt>
            <dd><code>{s.socket}</code></dd>
          </>
        ) : (
          <>
            <dt>Ended</dt>
            <dd>{s.endedAt && dateTime(s.endedAt, timeZone)}{s.endReason && `: ${s.endReason}`}</dd>
          </>
        )}
      </dl>
      {s.budgetUsd !== null && s.status === 'running' && <SpendBar name={`Session ${s.id}`} label="Budget" spent={s.spentUsd} cap={s.budgetUsd} reserved={s.reservedUsd} />}
      {children}
    </article>
  );
}
