import { useId, useState, type FormEvent, type ReactNode } from 'react';
import type { Proposal } from '../../daemon/control-types.ts';
import { api } from '../api.ts';
import { TextArea } from '../components/fields.tsx';
import { Justification } from '../components/Justification.tsx';
import { Loadable } from '../components/Loadable.tsx';
import { OutcomeMessage } from '../components/OutcomeMessage.tsx';
import { describeProposal, describeRoute } from '../describe.ts';
import { dateTime, usd } from '../format.ts';
import { useAction, useLoad } from '../hooks.ts';

/** What the assistant asked for and why. Approving opens the pre-filled form; nothing is approved here. */
export function Proposals({ onApprove }: { onApprove(proposal: Proposal): void }) {
  const loaded = useLoad(() => api.proposals(), []);
  const { outcome, busy, attempt } = useAction();
  const reject = (p: Proposal, reason: string) =>
    attempt(() => api.rejectProposal(p.id, reason || undefined), () => `Rejected: ${describeProposal(p)}.`);
  return (
    <section className="page" aria-labelledby="proposals-title">
      <h1 id="proposals-title">Proposals</h1>
      <OutcomeMessage outcome={outcome} />
      <Loadable loaded={loaded} what="proposals">
        {(proposals) => {
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
                        <ProposalCard proposal={p}>
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
                        <ProposalCard proposal={p}>
                          <p className="muted">
                            {p.status === 'approved' ? 'Approved' : 'Rejected'}
                            {p.decidedAt !== null && ` ${dateTime(p.decidedAt)}`}
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

function ProposalCard({ proposal: p, children }: { proposal: Proposal; children: ReactNode }) {
  const heading = useId();
  const b = p.body;
  return (
    <article className="card" aria-labelledby={heading}>
      <h3 id={heading}>{describeProposal(p)}</h3>
      <Justification text={b.justification} />
      {b.kind === 'new_integration' && (
        <dl className="facts">
          <dt>Purpose</dt>
          <dd>{b.purpose}</dd>
          {b.template && <><dt>Template</dt><dd>{b.template}</dd></>}
          {b.baseUrl && <><dt>Host</dt><dd><code>{b.baseUrl}</code></dd></>}
          {b.routes && b.routes.length > 0 && <><dt>Routes</dt><dd>{b.routes.map(describeRoute).join(', ')}</dd></>}
          {b.monthlyCapUsd !== undefined && <><dt>Monthly cap</dt><dd>{usd(b.monthlyCapUsd)}</dd></>}
        </dl>
      )}
      <p className="muted">Asked {dateTime(p.createdAt)}</p>
      {children}
    </article>
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
