// Labelled form controls: every input has a visible label, and a hint read out with it.
import { useId, type InputHTMLAttributes, type ReactNode } from 'react';

type InputProps = Omit<InputHTMLAttributes<HTMLInputElement>, 'value' | 'onChange' | 'id'>;

function Labelled({ label, hint, children }: { label: string; hint: string | undefined; children: (ids: { id: string; hintId: string | undefined }) => ReactNode }) {
  const id = useId();
  const hintId = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children({ id, hintId: hint ? hintId : undefined })}
      {hint && <p id={hintId} className="hint">{hint}</p>}
    </div>
  );
}

export function TextField({ label, hint, value, onChange, ...input }: { label: string; hint?: string; value: string; onChange(value: string): void } & InputProps) {
  return (
    <Labelled label={label} hint={hint}>
      {({ id, hintId }) => <input id={id} aria-describedby={hintId} {...input} value={value} onChange={(e) => onChange(e.target.value)} />}
    </Labelled>
  );
}

export function UsdField(props: { label: string; hint?: string; value: string; onChange(value: string): void } & InputProps) {
  return <TextField type="number" inputMode="decimal" min={0} step="any" {...props} />;
}

export function TextArea({ label, hint, value, onChange, required }: { label: string; hint?: string; value: string; onChange(value: string): void; required?: boolean }) {
  return (
    <Labelled label={label} hint={hint}>
      {({ id, hintId }) => <textarea id={id} aria-describedby={hintId} rows={2} value={value} required={required} onChange={(e) => onChange(e.target.value)} />}
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
      {({ id, hintId }) => (
        <select id={id} aria-describedby={hintId} value={value} required={required} onChange={(e) => onChange(e.target.value as V)}>
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
