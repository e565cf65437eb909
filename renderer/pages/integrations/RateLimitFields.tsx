import { TextField } from '../../components/fields.tsx';

export interface RateLimitDraft {
  perMinute: string;
  concurrent: string;
}

export function RateLimitFields({ value, onChange }: { value: RateLimitDraft; onChange(value: RateLimitDraft): void }) {
  return (
    <fieldset>
      <legend>Rate limit</legend>
      <TextField label="Calls per minute" type="number" min={1} step={1} value={value.perMinute} onChange={(perMinute) => onChange({ ...value, perMinute })} required />
      <TextField label="Calls at once" type="number" min={1} step={1} value={value.concurrent} onChange={(concurrent) => onChange({ ...value, concurrent })} required />
    </fieldset>
  );
}
