import { useState } from 'react';
import type { CreateIntegration } from '../../../daemon/control-types.ts';
import { api } from '../../api.ts';
import { Loadable } from '../../components/Loadable.tsx';
import { useLoad } from '../../hooks.ts';
import { ScratchForm } from './ScratchForm.tsx';
import type { Suggestion } from './suggestion.ts';
import { TemplateForm } from './TemplateForm.tsx';

type Mode = 'template' | 'scratch';

/** A new integration from a provider template or from scratch; the operator picks which. */
export function AddIntegration({ suggestion, busy, onSubmit, onCancel }: {
  suggestion: Suggestion | undefined;
  busy: boolean;
  onSubmit(body: CreateIntegration, key: string | undefined): void;
  onCancel(): void;
}) {
  const templates = useLoad(() => api.templates(), []);
  const [chosen, setChosen] = useState<Mode | null>(null);
  return (
    <Loadable loaded={templates} what="templates">
      {(list) => {
        // A proposal naming no known template can only be completed from scratch.
        const mode = chosen ?? (suggestion && !list.some((t) => t.id === suggestion.template) ? 'scratch' : 'template');
        return (
          <>
            <fieldset className="choice">
              <legend>Start</legend>
              {(['template', 'scratch'] as const).map((m) => (
                <label key={m}>
                  <input type="radio" name="mode" value={m} checked={mode === m} onChange={() => setChosen(m)} />
                  {m === 'template' ? 'From a template' : 'From scratch'}
                </label>
              ))}
            </fieldset>
            {mode === 'template'
              ? <TemplateForm templates={list} suggestion={suggestion} busy={busy} onSubmit={onSubmit} onCancel={onCancel} />
              : <ScratchForm suggestion={suggestion} busy={busy} onSubmit={onSubmit} onCancel={onCancel} />}
          </>
        );
      }}
    </Loadable>
  );
}
