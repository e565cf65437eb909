import { useRef, type FormEvent } from 'react';
import type { IntegrationView } from '../../../daemon/control-types.ts';
import { FormButtons } from '../../components/fields.tsx';
import { KeyField, takeKey } from '../../components/KeyField.tsx';

export function KeyForm({ integration, busy, onSubmit, onCancel }: {
  integration: IntegrationView;
  busy: boolean;
  onSubmit(key: string): void;
  onCancel(): void;
}) {
  const keyRef = useRef<HTMLInputElement>(null);
  function submit(e: FormEvent) {
    e.preventDefault();
    const key = takeKey(keyRef);
    if (key) onSubmit(key);
  }
  return (
    <form onSubmit={submit} aria-label={`Key of ${integration.name}`}>
      <KeyField
        keyRef={keyRef}
        required
        hint={integration.keySet ? 'The new key replaces the old one at once; then revoke the old one at the provider.' : 'Paste the key of the assistant-owned account.'}
      />
      <FormButtons busy={busy} onCancel={onCancel} />
    </form>
  );
}
