import { useId, useState, type FormEvent, type ReactNode } from 'react';
import type { Proposal, SpendReport, Template } from '../../daemon/control-types.ts';
import { api } from '../api.ts';
import { TextArea } from '../components/fields.tsx';
import { Justification } from '../components/Justification.tsx';
import { Loadable } from '../components/Loadable.tsx';
import { OutcomeMessage } from '../components/OutcomeMessage.tsx';
import { describeAuth, describePricing, describeProposal, describeRateLimit, describeRoute } from '../describe.ts';
import { dateTime, usd } from '../format.ts';
import { useAction, useLoad } from '../hooks.ts';
import type { NewIntegrationBody } from './integrations/suggestion.ts';

/** What the assistant asked for and why. Approving opens the pre-filled form; nothing is approved here. */
export function Proposals({ onApprove }: { onApprove(proposal: Proposal): void }) {
  const loaded = useLoad(() => Promise.all([api.proposals(), api.spend(), api.templates()]), []);
  const { outcome, busy, attempt } = useAction();
  const reject = (p: Proposal, reason: string) =>
    attempt(() => api.rejectProposal(p.id, reason || undefined), () => `Rejected: ${describeProposal(p)}.`);
  return (
    <section className="page" aria-labelledby="proposals-title">
      <h1 id="proposals-title">Proposals</h1>
      <OutcomeMessage outcome={outcome} />
      <Loadable loaded={loaded} what="proposals">
        {([proposals, spend, templates]) => {
          const known = { spend, templates };
          const pending = proposals.filter((p) => p.status === 'pending');
          const decided = proposals.filter((p) => p.status !== 'pending');
          return (
            <>
              <section aria-labelledby="pending-title">
                <h2 id="pending-title">Waiting for you</h2>
                {pending.length === 0 ? (
                  <p className="empty">No proposals waiting. The assistant can propose a new integration or a higher cap; it shows up here.</p>
                ) : (
                  <ul className="cards">
                    {pending.map((p) => (
                      <li key={p.id}>
                        <ProposalCard proposal={p} known={known}>
                          <Decision busy={busy} onApprove={() => onApprove(p)} onReject={(reason) => reject(p, reason)} />
                        </ProposalCard>
                      </li>
                    ))}
                  </ul>
                )}
              </section>
              {decided.length > 0 && (
                <section aria-labelledby="decided-title">
                  <h2 id="decided-title">Decided</h2>
                  <ul className="cards">
                    {decided.map((p) => (
                      <li key={p.id}>
                        <ProposalCard proposal={p} known={known}>
                          <p className="muted">
                            {p.status === 'approved' ? 'Approved' : 'Rejected'}
                            {p.decidedAt !== null && ` ${dateTime(p.decidedAt, spend.period.timeZone)}`}
                            {p.decidedBy && ` by ${p.decidedBy}`}
                            {p.note && `: ${p.note}`}
                          </p>
                        </ProposalCard>
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

/** What the daemon has now, to set beside what is asked. */
interface Known {
  /** Its period carries the daemon's time zone, the moments are shown in. */
  spend: SpendReport;
  templates: Template[];
}

function ProposalCard({ proposal: p, known, children }: { proposal: Proposal; known: Known; children: ReactNode }) {
  const heading = useId();
  const b = p.body;
  return (
    <article className="card" aria-labelledby={heading}>
      <h3 id={heading}>{describeProposal(p)}</h3>
      <Justification text={b.justification} />
      {b.kind === 'raise_cap'
        ? <CapAsked integration={b.integration} askedUsd={b.monthlyCapUsd} spend={known.spend} />
        : <IntegrationAsked body={b} templates={known.templates} />}
      <p className="muted">Asked {dateTime(p.createdAt, known.spend.period.timeZone)}</p>
      {children}
    </article>
  );
}

/** The cap asked for beside the one the integration has now, and what it spent against it. */
function CapAsked({ integration, askedUsd, spend }: { integration: string; askedUsd: number; spend: SpendReport }) {
  const now = spend.integrations.find((i) => i.name === integration);
  return (
    <dl className="facts" aria-label="Cap">
      <dt>Cap now</dt>
      <dd>
        {now === undefined
          ? `There is no integration named ${integration}.`
          : <>{usd(now.capUsd)} <span className="muted">— {usd(now.spentUsd)} spent this period{now.status !== 'active' && `; ${integration} is ${now.status}`}</span></>}
      </dd>
      <dt>Asked for</dt>
      <dd><strong>{usd(askedUsd)}</strong>{now !== undefined && now.capUsd > 0 && <span className="muted"> ({describeRatio(askedUsd, now.capUsd)})</span>}</dd>
    </dl>
  );
}

/** "2× the cap now", "$5.00 less than now" */
function describeRatio(asked: number, now: number): string {
  if (asked > now) return `${usd(asked - now)} more, ${Number((asked / now).toFixed(1))}× the cap now`;
  return asked === now ? 'the same as now' : `${usd(now - asked)} less than now`;
}

/** Everything a new integration would be allowed, as asked: the template fills in what the assistant left out. */
function IntegrationAsked({ body: b, templates }: { body: NewIntegrationBody; templates: Template[] }) {
  const t = b.template === undefined ? undefined : templates.find((x) => x.id === b.template);
  const routes = b.routes ?? t?.routes ?? [];
  const host = b.baseUrl ?? t?.baseUrl;
  const cap = b.monthlyCapUsd ?? t?.monthlyCapUsd;
  const notGiven = 'Not given: you set it when approving';
  return (
    <dl className="facts" aria-label="Asked for">
      <dt>Purpose</dt>
      <dd>{b.purpose}</dd>
      {b.template !== undefined && (
        <>
          <dt>Template</dt>
          <dd>{t ? `${t.displayName} (${t.id})` : `${b.template} — no such template: approving starts from scratch`}</dd>
        </>
      )}
      <dt>Host</dt>
      <dd>{host ? <code>{host}</code> : notGiven}{b.baseUrl && t && b.baseUrl !== t.baseUrl && <span className="muted"> (instead of the template's {t.baseUrl})</span>}</dd>
      <dt>Routes</dt>
      <dd>{routes.length ? routes.map(describeRoute).join(', ') : notGiven}</dd>
      {t && (
        <>
          <dt>Auth</dt>
          <dd>{describeAuth(t.auth)}</dd>
          <dt>Pricing</dt>
          <dd className="pre-line">{describePricing(t.pricing)}</dd>
          <dt>Rate limit</dt>
          <dd>{describeRateLimit(t.rateLimit)}</dd>
        </>
      )}
      <dt>Monthly cap</dt>
      <dd>{cap === undefined ? notGiven : `${usd(cap)}${b.monthlyCapUsd === undefined ? " (the template's; the assistant named none)" : ''}`}</dd>
    </dl>
  );
}

/** Approve, or reject with a reason the assistant can read. */
function Decision({ busy, onApprove, onReject }: { busy: boolean; onApprove(): void; onReject(reason: string): Promise<unknown> }) {
  const [rejecting, setRejecting] = useState(false);
  const [reason, setReason] = useState('');
  async function submit(e: FormEvent) {
    e.preventDefault();
    await onReject(reason.trim());
  }
  if (rejecting) {
    return (
      <form onSubmit={submit} aria-label="Reject the proposal">
        <TextArea label="Reason" hint="Optional; the assistant sees it when it checks the proposal." value={reason} onChange={setReason} />
        <div className="actions">
          <button type="submit" className="danger" disabled={busy}>Send rejection</button>
          <button type="button" onClick={() => setRejecting(false)} disabled={busy}>Cancel</button>
        </div>
      </form>
    );
  }
  return (
    <div className="actions">
      <button type="button" className="primary" onClick={onApprove} disabled={busy}>Approve</button>
      <button type="button" onClick={() => setRejecting(true)} disabled={busy}>Reject</button>
    </div>
  );
}
