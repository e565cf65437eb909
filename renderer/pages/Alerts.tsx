import { useEffect, useId, useRef } from 'react';
import type { Alert, Tier } from '../../daemon/control-types.ts';
import { api } from '../api.ts';
import { Loadable } from '../components/Loadable.tsx';
import { OutcomeMessage } from '../components/OutcomeMessage.tsx';
import { dateTime } from '../format.ts';
import { useAction, useLoad } from '../hooks.ts';
import { useDaemonTimeZone } from '../time-zone.ts';

const TIERS: { tier: Tier; title: string; empty: string }[] = [
  { tier: 'critical', title: 'Critical', empty: 'No critical alerts.' },
  { tier: 'warning', title: 'Warning', empty: 'No warnings.' },
  { tier: 'info', title: 'Info', empty: 'Nothing to note.' },
];

/** Open alerts first, then the most recent. */
const byUrgency = (a: Alert, b: Alert) => Number(a.ackedAt !== null) - Number(b.ackedAt !== null) || b.lastAt - a.lastAt;

/** Alerts by tier. `highlight` is the alert a clicked notification asked to show. */
export function Alerts({ highlight }: { highlight: number | null }) {
  const loaded = useLoad(() => api.alerts({ limit: 200 }), []);
  const timeZone = useDaemonTimeZone();
  const { outcome, busy, attempt } = useAction();
  const ack = (id: number) => attempt(() => api.ackAlert(id), (a) => `Acknowledged: ${a.title}.`);
  // The open alerts shown, not every open one of the tier: one that arrived since is not acknowledged unseen.
  const ackShown = (open: Alert[]) => attempt(() => api.ackAlerts({ ids: open.map((a) => a.id) }), (n) => `Acknowledged ${n} alert${n === 1 ? '' : 's'}.`);
  return (
    <section className="page" aria-labelledby="alerts-title">
      <h1 id="alerts-title">Alerts</h1>
      <OutcomeMessage outcome={outcome} />
      <Loadable loaded={loaded} what="alerts">
        {(alerts) =>
          alerts.length === 0 ? (
            <p className="empty">No alerts. Tollgate raises one when spend nears a cap or something unusual happens.</p>
          ) : (
            TIERS.map(({ tier, title, empty }) => {
              const inTier = alerts.filter((a) => a.tier === tier).sort(byUrgency);
              const open = inTier.filter((a) => a.ackedAt === null);
              return (
                <section key={tier} aria-labelledby={`tier-${tier}`} className={`tier tone-${tier}`}>
                  <h2 id={`tier-${tier}`}>{title}</h2>
                  {open.length > 1 && (
                    <button type="button" onClick={() => ackShown(open)} disabled={busy}>Acknowledge all {open.length}</button>
                  )}
                  {inTier.length === 0 ? (
                    <p className="muted">{empty}</p>
                  ) : (
                    <ul className="alerts">
                      {inTier.map((a) => (
                        <li key={a.id}>
                          <AlertItem alert={a} timeZone={timeZone} highlighted={a.id === highlight} busy={busy} onAck={() => ack(a.id)} />
                        </li>
                      ))}
                    </ul>
                  )}
                </section>
              );
            })
          )
        }
      </Loadable>
    </section>
  );
}

function AlertItem({ alert: a, timeZone, highlighted, busy, onAck }: { alert: Alert; timeZone: string | undefined; highlighted: boolean; busy: boolean; onAck(): void }) {
  const heading = useId();
  const ref = useRef<HTMLElement>(null);
  useEffect(() => {
    if (!highlighted) return;
    // jsdom has no scrollIntoView.
    ref.current?.scrollIntoView?.({ block: 'center' });
    ref.current?.focus();
  }, [highlighted]);
  return (
    <article
      ref={ref}
      tabIndex={-1}
      aria-labelledby={heading}
      aria-current={highlighted ? 'true' : undefined}
      className={`alert tone-${a.tier}${highlighted ? ' highlighted' : ''}${a.ackedAt !== null ? ' acked' : ''}`}
    >
      <h3 id={heading}>{a.title}</h3>
      <p>{a.message}</p>
      <p className="muted">
        {a.integration && <>{a.integration} · </>}
        {a.count > 1 ? `${a.count} times, first ${dateTime(a.firstAt, timeZone)}, last ${dateTime(a.lastAt, timeZone)}` : dateTime(a.lastAt, timeZone)}
      </p>
      {a.ackedAt === null
        ? <button type="button" onClick={onAck} disabled={busy}>Acknowledge</button>
        : <p className="muted">Acknowledged {dateTime(a.ackedAt, timeZone)}</p>}
    </article>
  );
}
