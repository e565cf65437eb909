import { useId } from 'react';
import type { IntegrationView, SpendReport } from '../../../daemon/control-types.ts';
import { StatusBadge } from '../../components/Badge.tsx';
import { SpendBar } from '../../components/SpendBar.tsx';
import { describePricing, describeRateLimit, describeRoute } from '../../describe.ts';
import { date } from '../../format.ts';

export interface CardActions {
  edit(): void;
  key(): void;
  suspend(): void;
  resume(): void;
  decommission(): void;
}

/** A live integration (decommissioned ones are only listed by name) and what can be done to it. */
export function IntegrationCard({ integration: i, spend, timeZone, busy, actions }: {
  integration: IntegrationView;
  spend: SpendReport['integrations'][number] | undefined;
  /** The daemon's, dates are shown in. */
  timeZone: string;
  busy: boolean;
  actions: CardActions;
}) {
  const heading = useId();
  return (
    <article className="card" aria-labelledby={heading}>
      <header className="card-head">
        <h3 id={heading}>{i.name}</h3>
        <StatusBadge status={i.status} />
      </header>
      {i.statusReason && <p className="tone-warning">Suspended: {i.statusReason}</p>}
      <p>{i.spec.purpose}</p>
      <dl className="facts">
        <dt>Host</dt>
        <dd><code>{i.spec.baseUrl}</code></dd>
        <dt>Account</dt>
        <dd>{i.spec.account}</dd>
        <dt>Key</dt>
        <dd>{i.keySet ? `Set${i.keySetAt ? ` on ${date(i.keySetAt, timeZone)}` : ''}` : 'Not set: calls are refused until it is'}</dd>
        <dt>Routes</dt>
        <dd>{i.spec.routes.map(describeRoute).join(', ')}</dd>
        <dt>Rate limit</dt>
        <dd>{describeRateLimit(i.spec.rateLimit)}</dd>
        <dt>Pricing</dt>
        <dd className="pre-line">{describePricing(i.spec.pricing)}</dd>
        <dt>Credential formats</dt>
        <dd>{i.spec.credentialFormats === 'record' ? 'Sent and recorded, with a warning (the keys Tollgate holds are always blocked)' : 'Blocked'}</dd>
      </dl>
      {spend && <SpendBar name={i.name} label="This period" spent={spend.spentUsd} cap={spend.capUsd} reserved={spend.reservedUsd} />}
      <div className="actions">
        <button type="button" onClick={actions.edit} disabled={busy}>Edit</button>
        <button type="button" onClick={actions.key} disabled={busy}>{i.keySet ? 'Rotate key' : 'Set key'}</button>
        {i.status === 'active'
          ? <button type="button" onClick={actions.suspend} disabled={busy}>Suspend</button>
          : <button type="button" onClick={actions.resume} disabled={busy}>Resume</button>}
        <button type="button" className="danger" onClick={actions.decommission} disabled={busy}>Decommission</button>
      </div>
    </article>
  );
}
