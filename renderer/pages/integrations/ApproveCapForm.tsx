import { useState, type FormEvent } from 'react';
import type { IntegrationView } from '../../../daemon/control-types.ts';
import { FormButtons, UsdField } from '../../components/fields.tsx';
import { usd } from '../../format.ts';

/** The assistant asked for a higher cap: the operator settles on the figure, main confirms it. */
export function ApproveCapForm({ integration, proposedUsd, busy, onSubmit, onCancel }: {
  integration: IntegrationView;
  proposedUsd: number;
  busy: boolean;
  onSubmit(monthlyCapUsd: number): void;
  onCancel(): void;
}) {
  const [cap, setCap] = useState(String(proposedUsd));
  function submit(e: FormEvent) {
    e.preventDefault();
    onSubmit(Number(cap));
  }
  return (
    <form onSubmit={submit} aria-label={`Raise the cap of ${integration.name}`}>
      <UsdField label="Monthly cap (USD)" hint={`Now ${usd(integration.spec.monthlyCapUsd)}; the assistant asked for ${usd(proposedUsd)}.`} value={cap} onChange={setCap} required />
      <FormButtons busy={busy} onCancel={onCancel} />
    </form>
  );
}
