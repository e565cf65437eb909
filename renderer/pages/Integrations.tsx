import { useState } from 'react';
import type { CreateIntegration, DecommissionResult, IntegrationChange, IntegrationView, Proposal, SpendReport } from '../../daemon/control-types.ts';
import { api } from '../api.ts';
import { Justification } from '../components/Justification.tsx';
import { Loadable } from '../components/Loadable.tsx';
import { OutcomeMessage } from '../components/OutcomeMessage.tsx';
import { Panel } from '../components/Panel.tsx';
import { date, usd } from '../format.ts';
import { useAction, useLoad } from '../hooks.ts';
import { AddIntegration } from './integrations/AddIntegration.tsx';
import { ApproveCapForm } from './integrations/ApproveCapForm.tsx';
import { DecommissionReport } from './integrations/DecommissionReport.tsx';
import { EditForm } from './integrations/EditForm.tsx';
import { IntegrationCard } from './integrations/IntegrationCard.tsx';
import { KeyForm } from './integrations/KeyForm.tsx';
import { suggestionOf } from './integrations/suggestion.ts';

type OpenPanel =
  | { kind: 'add' }
  | { kind: 'edit'; name: string }
  | { kind: 'key'; name: string }
  | { kind: 'decommissioned'; result: DecommissionResult };

/**
 * The integrations and every change to them. `approval` is a proposal the operator chose to
 * approve: it opens the matching form pre-filled, and approving happens only on its Save.
 */
export function Integrations({ approval, onApprovalClosed }: { approval: Proposal | null; onApprovalClosed(): void }) {
  const loaded = useLoad(() => Promise.all([api.integrations(), api.spend()]), []);
  const { outcome, busy, change } = useAction();
  const [panel, setPanel] = useState<OpenPanel | null>(null);

  const open = (next: OpenPanel | null) => {
    onApprovalClosed();
    setPanel(next);
  };
  const close = () => open(null);

  async function create(body: CreateIntegration, key: string | undefined) {
    const added = await change(
      () => api.createIntegration(body, key),
      (v) => (v.keySet ? `${v.name} is added, its key in the keychain.` : `${v.name} is added. Set its key to let it make calls.`),
    );
    if (added) close();
  }

  async function approveNew(proposal: Proposal, integration: CreateIntegration, key: string | undefined) {
    const approved = await change(
      () => api.approveProposal(proposal.id, { integration }, key),
      (r) => (r.integration.keySet ? `Approved: ${r.integration.name} is added, its key in the keychain.` : `Approved: ${r.integration.name} is added.`),
    );
    if (approved) close();
  }

  async function approveCap(proposal: Proposal, monthlyCapUsd: number) {
    const approved = await change(
      () => api.approveProposal(proposal.id, { monthlyCapUsd }),
      (r) => `Approved: the cap of ${r.integration.name} is now ${usd(r.integration.spec.monthlyCapUsd)}.`,
    );
    if (approved) close();
  }

  async function update(name: string, c: IntegrationChange) {
    if (await change(() => api.updateIntegration(name, c), (v) => `${v.name} is updated.`)) close();
  }

  async function setKey(name: string, key: string) {
    if (await change(() => api.setKey(name, key), (v) => `The key of ${v.name} is in the keychain.`)) close();
  }

  async function decommission(name: string) {
    const result = await change(() => api.decommission(name), (r) => `${r.integration.name} is decommissioned.`);
    if (result) open({ kind: 'decommissioned', result });
  }

  function panelFor(list: IntegrationView[]) {
    const find = (name: string) => list.find((i) => i.name === name);
    if (approval) {
      const b = approval.body;
      if (b.kind === 'raise_cap') {
        const target = find(b.integration);
        return (
          <Panel title={`Approve: raise the cap of ${b.integration}`}>
            <Justification text={b.justification} />
            {target
              ? <ApproveCapForm integration={target} proposedUsd={b.monthlyCapUsd} busy={busy} onSubmit={(cap) => approveCap(approval, cap)} onCancel={close} />
              : <p role="alert">There is no integration named {b.integration}: reject the proposal instead.</p>}
          </Panel>
        );
      }
      return (
        <Panel title={`Approve: new integration ${b.name}`}>
          <Justification text={b.justification} />
          <AddIntegration suggestion={suggestionOf(b)} busy={busy} onSubmit={(body, key) => approveNew(approval, body, key)} onCancel={close} />
        </Panel>
      );
    }
    switch (panel?.kind) {
      case undefined:
        return null;
      case 'add':
        return (
          <Panel title="Add an integration">
            <AddIntegration suggestion={undefined} busy={busy} onSubmit={create} onCancel={close} />
          </Panel>
        );
      case 'decommissioned':
        return (
          <Panel title={`${panel.result.integration.name} is decommissioned`}>
            <DecommissionReport result={panel.result} onClose={close} />
          </Panel>
        );
      case 'edit':
      case 'key': {
        const target = find(panel.name);
        if (!target) return null;
        return panel.kind === 'edit' ? (
          <Panel title={`Edit ${target.name}`}>
            <EditForm integration={target} busy={busy} onSubmit={(c) => update(target.name, c)} onCancel={close} />
          </Panel>
        ) : (
          <Panel title={`${target.keySet ? 'Rotate' : 'Set'} the key of ${target.name}`}>
            <KeyForm integration={target} busy={busy} onSubmit={(key) => setKey(target.name, key)} onCancel={close} />
          </Panel>
        );
      }
    }
  }

  return (
    <section className="page" aria-labelledby="integrations-title">
      <header className="page-head">
        <h1 id="integrations-title">Integrations</h1>
        <div className="actions">
          <button type="button" className="primary" onClick={() => open({ kind: 'add' })} disabled={busy}>Add integration</button>
          <button
            type="button"
            className="danger"
            disabled={busy}
            onClick={() => change(() => api.suspendAll(), (names) => (names.length ? `Suspended ${names.join(', ')}.` : 'Nothing was active.'))}
          >
            Suspend all
          </button>
        </div>
      </header>
      <OutcomeMessage outcome={outcome} />
      <Loadable loaded={loaded} what="integrations">
        {([list, spend]) => (
          <>
            {panelFor(list)}
            <IntegrationList
              list={list}
              spend={spend}
              busy={busy}
              open={open}
              suspend={(name) => change(() => api.suspend(name), (v) => `${v.name} is suspended: its calls are refused.`)}
              resume={(name) => change(() => api.resume(name), (v) => `${v.name} is active again.`)}
              decommission={decommission}
            />
          </>
        )}
      </Loadable>
    </section>
  );
}

function IntegrationList({ list, spend, busy, open, suspend, resume, decommission }: {
  list: IntegrationView[];
  spend: SpendReport;
  busy: boolean;
  open(panel: OpenPanel): void;
  suspend(name: string): void;
  resume(name: string): void;
  decommission(name: string): void;
}) {
  const live = list.filter((i) => i.status !== 'decommissioned');
  const gone = list.filter((i) => i.status === 'decommissioned');
  return (
    <>
      {live.length === 0 ? (
        <p className="empty">No integrations yet — add one from a template.</p>
      ) : (
        <ul className="cards" aria-label="Integrations">
          {live.map((i) => (
            <li key={i.name}>
              <IntegrationCard
                integration={i}
                spend={spend.integrations.find((s) => s.name === i.name)}
                timeZone={spend.period.timeZone}
                busy={busy}
                actions={{
                  edit: () => open({ kind: 'edit', name: i.name }),
                  key: () => open({ kind: 'key', name: i.name }),
                  suspend: () => suspend(i.name),
                  resume: () => resume(i.name),
                  decommission: () => decommission(i.name),
                }}
              />
            </li>
          ))}
        </ul>
      )}
      {gone.length > 0 && (
        <details className="decommissioned">
          <summary>Decommissioned ({gone.length})</summary>
          <ul>
            {gone.map((i) => (
              <li key={i.name}>{i.name}{i.decommissionedAt && <span className="muted"> — {date(i.decommissionedAt, spend.period.timeZone)}</span>}</li>
            ))}
          </ul>
        </details>
      )}
    </>
  );
}
