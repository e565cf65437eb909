import { useRef, useState, type FormEvent } from 'react';
import type { CreateIntegration, Template } from '../../../daemon/control-types.ts';
import { FormButtons, SelectField } from '../../components/fields.tsx';
import { KeyField, takeKey } from '../../components/KeyField.tsx';
import { BasicsFields, basicsBody, NO_BASICS, type Basics } from './BasicsFields.tsx';
import type { Suggestion } from './suggestion.ts';
import { TemplateSummary } from './TemplateSummary.tsx';

/** A field still holding the previous template's default takes the new template's. */
function prefill(b: Basics, was: Template | undefined, next: Template | undefined): Basics {
  if (!next) return b;
  const untouched = (value: string, old: string | undefined) => value === '' || value === old;
  return {
    ...b,
    name: untouched(b.name, was?.id) ? next.id : b.name,
    cap: untouched(b.cap, was && String(was.monthlyCapUsd)) ? String(next.monthlyCapUsd) : b.cap,
  };
}

export function TemplateForm({ templates, suggestion, busy, onSubmit, onCancel }: {
  templates: Template[];
  suggestion: Suggestion | undefined;
  busy: boolean;
  onSubmit(body: CreateIntegration, key: string | undefined): void;
  onCancel(): void;
}) {
  const [templateId, setTemplateId] = useState(suggestion?.template ?? '');
  const template = templates.find((t) => t.id === templateId);
  const [basics, setBasics] = useState<Basics>(() => prefill(suggestion?.basics ?? NO_BASICS, undefined, template));
  const keyRef = useRef<HTMLInputElement>(null);

  function pick(id: string) {
    setBasics((b) => prefill(b, template, templates.find((t) => t.id === id)));
    setTemplateId(id);
  }

  function submit(e: FormEvent) {
    e.preventDefault();
    if (!template) return;
    onSubmit({ template: template.id, ...basicsBody(basics) }, takeKey(keyRef));
  }

  return (
    <form onSubmit={submit} aria-label="Add from a template">
      <SelectField
        label="Provider template"
        value={templateId}
        onChange={pick}
        required
        options={[{ value: '', label: 'Choose a provider…' }, ...templates.map((t) => ({ value: t.id, label: t.displayName }))]}
      />
      {template && <TemplateSummary template={template} />}
      <BasicsFields value={basics} onChange={setBasics} />
      <KeyField keyRef={keyRef} hint="Paste the key of the assistant's account, or leave it empty and set it later." />
      <FormButtons busy={busy} onCancel={onCancel} saveDisabled={!template} />
    </form>
  );
}
