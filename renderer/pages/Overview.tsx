import type { Alert, SpendReport } from '../../daemon/control-types.ts';
import { api } from '../api.ts';
import { useApp } from '../app-context.ts';
import { Badge, StatusBadge } from '../components/Badge.tsx';
import { DailyChart } from '../components/DailyChart.tsx';
import { Loadable } from '../components/Loadable.tsx';
import { SharedBudgets } from '../components/SharedBudgets.tsx';
import { SpendBar } from '../components/SpendBar.tsx';
import { date, usd } from '../format.ts';
import { useLoad } from '../hooks.ts';

export function Overview() {
  const loaded = useLoad(() => Promise.all([api.spend(), api.alerts({ open: true })]), []);
  return (
    <section className="page" aria-labelledby="overview-title">
      <h1 id="overview-title">Overview</h1>
      <Loadable loaded={loaded} what="this period's spend">
        {([spend, alerts]) => (
          <>
            <SpendSection report={spend} />
            <SharedBudgets />
            <section aria-labelledby="daily-title">
              <h2 id="daily-title">Daily spend</h2>
              <DailyChart report={spend} />
            </section>
            <OpenAlerts alerts={alerts} />
          </>
        )}
      </Loadable>
    </section>
  );
}

function SpendSection({ report }: { report: SpendReport }) {
  const live = report.integrations.filter((i) => i.status !== 'decommissioned');
  const gone = report.integrations.filter((i) => i.status === 'decommissioned');
  const capsTotal = live.reduce((s, i) => s + i.capUsd, 0);
  return (
    <section aria-labelledby="spend-title">
      <h2 id="spend-title">Spend this period</h2>
      <p className="muted">
        {/* Days of the daemon's time zone: in another one, midnight there can fall on the day before. */}
        Since {date(report.period.startsAt, report.period.timeZone)}; caps reset on <strong>{date(report.period.resetsAt, report.period.timeZone)}</strong>.
      </p>
      {live.length === 0 ? (
        <>
          <NoLiveIntegrations decommissioned={gone.length} />
          {report.totalSpentUsd > 0 && <p>Spent this period: <strong>{usd(report.totalSpentUsd)}</strong>, by integrations since decommissioned.</p>}
        </>
      ) : (
        <>
          <SpendBar
            name="Overall"
            spent={report.totalSpentUsd}
            cap={report.globalCapUsd ?? capsTotal}
            note={report.globalCapUsd === null ? 'Against the sum of the caps: no global cap is set.' : 'Against the global cap over all integrations.'}
          />
          <ul className="spend-list" aria-label="Spend by integration">
            {live.map((i) => (
              <li key={i.name}>
                <SpendBar name={i.name} tag={i.status !== 'active' && <StatusBadge status={i.status} />} spent={i.spentUsd} cap={i.capUsd} reserved={i.reservedUsd} />
              </li>
            ))}
          </ul>
        </>
      )}
      <DecommissionedSpend integrations={gone} />
    </section>
  );
}

/** Nothing can make calls: either nothing was ever added, or everything was decommissioned. */
function NoLiveIntegrations({ decommissioned }: { decommissioned: number }) {
  const { navigate } = useApp();
  return (
    <div className="empty">
      <p>
        {decommissioned === 0
          ? 'No integrations yet — add one from a template.'
          : `No active integrations — ${decommissioned} decommissioned. Add one from a template to let the assistant call again.`}
      </p>
      <button type="button" onClick={() => navigate('integrations')}>Go to Integrations</button>
    </div>
  );
}

/** What integrations decommissioned since spent this period: it still counts towards the total and the global cap. */
function DecommissionedSpend({ integrations }: { integrations: SpendReport['integrations'] }) {
  const spent = integrations.filter((i) => i.spentUsd > 0);
  if (spent.length === 0) return null;
  return (
    <ul className="spend-list" aria-label="Spend by decommissioned integrations">
      {spent.map((i) => (
        <li key={i.name} className="spend">
          <div className="spend-head">
            <span className="spend-label">{i.name} <StatusBadge status={i.status} /></span>
            <span className="spend-figures">{usd(i.spentUsd)} spent</span>
          </div>
        </li>
      ))}
    </ul>
  );
}

function OpenAlerts({ alerts }: { alerts: Alert[] }) {
  const { navigate } = useApp();
  const count = (tier: Alert['tier']) => alerts.filter((a) => a.tier === tier).length;
  const urgent = alerts.filter((a) => a.tier !== 'info').slice(0, 5);
  return (
    <section aria-labelledby="open-alerts-title">
      <h2 id="open-alerts-title">Open alerts</h2>
      {alerts.length === 0 ? (
        <p className="muted">No open alerts.</p>
      ) : (
        <>
          <p className="tier-counts">
            <Badge tone="critical">{`${count('critical')} critical`}</Badge> <Badge tone="warning">{`${count('warning')} warning`}</Badge>{' '}
            <Badge tone="info">{`${count('info')} info`}</Badge>
          </p>
          {urgent.length > 0 && (
            <ul className="alert-summary">
              {urgent.map((a) => <li key={a.id} className={`tone-${a.tier}`}>{a.title}</li>)}
            </ul>
          )}
          <button type="button" onClick={() => navigate('alerts')}>View alerts</button>
        </>
      )}
    </section>
  );
}
