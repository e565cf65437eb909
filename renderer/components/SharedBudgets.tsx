import type { LedgerView } from '../../daemon/control-types.ts';
import { api } from '../api.ts';
import { date, day, usd } from '../format.ts';
import { useLoad } from '../hooks.ts';
import { SpendBar } from './SpendBar.tsx';

/**
 * Budgets shared with other machines (the shared ledger in PostgreSQL): each one's cap, what the
 * whole fleet spent this period, and each machine's part. Loaded apart from this machine's spend,
 * so a database that is away never hides the rest of the Overview. Nothing when no ledger is set up.
 */
export function SharedBudgets() {
  const loaded = useLoad(() => api.ledger(), []);
  if (loaded.status !== 'ready' || !loaded.value.configured) return null;
  const ledger = loaded.value;
  return (
    <section aria-labelledby="shared-title">
      <h2 id="shared-title">Shared budgets</h2>
      {ledger.reachable ? (
        <p className="muted">In the shared ledger ({ledger.where}); this machine is <strong>{ledger.machine}</strong>.</p>
      ) : (
        <p role="alert" className="problem">
          The shared ledger ({ledger.where}) cannot be reached{ledger.error ? `: ${ledger.error}` : ''}. Calls on shared budgets are refused until it answers; other integrations are not affected.
        </p>
      )}
      {ledger.pendingSettles > 0 && (
        <p className="muted">{ledger.pendingSettles} of this machine's calls are still to be written to it; each stays counted at its full reservation until then.</p>
      )}
      {ledger.reachable && ledger.budgets.length === 0 && <p className="muted">No shared budget yet: create one with tollgate ledger budget.</p>}
      <ul className="spend-list" aria-label="Shared budgets">
        {ledger.budgets.map((b) => <li key={b.name}><SharedBudget budget={b} machine={ledger.machine} /></li>)}
      </ul>
    </section>
  );
}

function SharedBudget({ budget: b, machine }: { budget: LedgerView['budgets'][number]; machine: string }) {
  const open = b.open.filter((o) => o.machine !== machine);
  return (
    <>
      <SpendBar
        name={`shared budget ${b.name}`}
        label={`${b.name} (shared)`}
        spent={b.spentUsd}
        cap={b.monthlyCapUsd}
        reserved={b.reservedUsd}
        note={`Over every machine since ${day(b.period)}; resets on ${date(b.resetsAt, b.timeZone)}.`}
      />
      {b.machines.length > 0 && (
        <ul className="machine-list" aria-label={`Spend on ${b.name} by machine`}>
          {b.machines.map((m) => (
            <li key={m.machine}>
              {m.machine}{m.machine === machine ? ' (this machine)' : ''}: {usd(m.spentUsd)} in {m.calls} call{m.calls === 1 ? '' : 's'}
            </li>
          ))}
        </ul>
      )}
      {open.length > 0 && (
        <p className="hint">
          Reservations of other machines still open (calls in flight, or left by a machine that stopped): {open.map((o) => `${o.machine} ${o.count} (${usd(o.amountUsd)})`).join(', ')}. Those of a machine that will not come back are settled with tollgate ledger settle.
        </p>
      )}
    </>
  );
}
