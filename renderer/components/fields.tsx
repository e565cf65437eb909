// Labelled form controls: every input has a visible label, and a hint read out with it.
import { useId, type InputHTMLAttributes, type ReactNode } from 'react';

type InputProps = Omit<InputHTMLAttributes<HTMLInputElement>, 'value' | 'onChange' | 'id'>;

/** What a control is described by: its hint, and what is wrong with its value (read out first). */
interface Described {
  describedBy: string | undefined;
  invalid: boolean;
}

function Labelled({ label, hint, error, children }: {
  label: string;
  hint: string | undefined;
  error?: string | undefined;
  children: (ids: { id: string } & Described) => ReactNode;
}) {
  const id = useId();
  const hintId = useId();
  const errorId = useId();
  const describedBy = [error ? errorId : '', hint ? hintId : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div className={error ? 'field invalid' : 'field'}>
      <label htmlFor={id}>{label}</label>
      {children({ id, describedBy, invalid: Boolean(error) })}
      {error && <p id={errorId} className="field-error">{error}</p>}
      {hint && <p id={hintId} className="hint">{hint}</p>}
    </div>
  );
}

export function TextField({ label, hint, error, value, onChange, ...input }: { label: string; hint?: string; error?: string | undefined; value: string; onChange(value: string): void } & InputProps) {
  return (
    <Labelled label={label} hint={hint} error={error}>
      {({ id, describedBy, invalid }) => (
        <input id={id} aria-describedby={describedBy} aria-invalid={invalid || undefined} {...input} value={value} onChange={(e) => onChange(e.target.value)} />
      )}
    </Labelled>
  );
}

export function UsdField(props: { label: string; hint?: string; error?: string | undefined; value: string; onChange(value: string): void } & InputProps) {
  return <TextField type="number" inputMode="decimal" min={0} step="any" {...props} />;
}

export function TextArea({ label, hint, value, onChange, required }: { label: string; hint?: string; value: string; onChange(value: string): void; required?: boolean }) {
  return (
    <Labelled label={label} hint={hint}>
      {({ id, describedBy }) => <textarea id={id} aria-describedby={describedBy} rows={2} value={value} required={required} onChange={(e) => onChange(e.target.value)} />}
    </Labelled>
  );
}

export function SelectField<V extends string>({ label, hint, value, options, onChange, required }: {
  label: string;
  hint?: string;
  value: V;
  options: readonly { value: V; label: string }[];
  onChange(value: V): void;
  required?: boolean;
}) {
  return (
    <Labelled label={label} hint={hint}>
      {({ id, describedBy }) => (
        <select id={id} aria-describedby={describedBy} value={value} required={required} onChange={(e) => onChange(e.target.value as V)}>
          {options.map((o) => <option key={o.value} value={o.value}>{o.label}</option>)}
        </select>
      )}
    </Labelled>
  );
}

/** Save and Cancel at the foot of a form. */
export function FormButtons({ busy, onCancel, saveDisabled = false }: { busy: boolean; onCancel(): void; saveDisabled?: boolean }) {
  return (
    <div className="actions">
      <button type="submit" className="primary" disabled={busy || saveDisabled}>Save</button>
      <button type="button" onClick={onCancel} disabled={busy}>Cancel</button>
    </div>
  );
}

/** "" is "not given"; anything else is read as a number and left for the daemon to judge. */
export const numberOrUndefined = (s: string): number | undefined => (s.trim() === '' ? undefined : Number(s));

/** A yes/no choice, its label beside the box. */
export function CheckField({ label, hint, checked, onChange }: { label: string; hint?: string; checked: boolean; onChange(checked: boolean): void }) {
  const hintId = useId();
  return (
    <div className="field">
      <label className="check">
        <input type="checkbox" checked={checked} aria-describedby={hint ? hintId : undefined} onChange={(e) => onChange(e.target.checked)} />
        {label}
      </label>
      {hint && <p id={hintId} className="hint">{hint}</p>}
    </div>
  );
}
