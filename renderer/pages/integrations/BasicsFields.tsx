import { TextArea, TextField, UsdField } from '../../components/fields.tsx';

/** What only the operator can say about an integration, whatever it is built from. */
export interface Basics {
  name: string;
  purpose: string;
  account: string;
  cap: string;
}

export const NO_BASICS: Basics = { name: '', purpose: '', account: '', cap: '' };

export function BasicsFields({ value, onChange }: { value: Basics; onChange(value: Basics): void }) {
  const set = (field: keyof Basics) => (v: string) => onChange({ ...value, [field]: v });
  return (
    <>
      <TextField label="Name" hint="Lower-case letters, digits and dashes. The assistant calls it by this name." value={value.name} onChange={set('name')} required autoComplete="off" />
      <TextArea label="Purpose" hint="What the assistant uses it for. Kept in the integrations register." value={value.purpose} onChange={set('purpose')} required />
      <TextField label="Assistant-owned account" hint="The provider account the key belongs to: one that exists for the assistant, not your own." value={value.account} onChange={set('account')} required autoComplete="off" />
      <UsdField label="Monthly cap (USD)" hint="Calls are refused once they would take this period's spend past it." value={value.cap} onChange={set('cap')} required />
    </>
  );
}

export const basicsBody = (b: Basics) => ({ name: b.name.trim(), purpose: b.purpose.trim(), account: b.account.trim(), monthlyCapUsd: Number(b.cap) });
