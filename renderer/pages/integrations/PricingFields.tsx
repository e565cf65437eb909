import type { IntegrationSpec } from '../../../daemon/control-types.ts';
import { numberOrUndefined, TextField, UsdField } from '../../components/fields.tsx';
import { ListEditor } from '../../components/ListEditor.tsx';

export interface PricingDraft {
  perRequest: string;
  costPointer: string;
  usage: { pointer: string; usdPerUnit: string }[];
  max: string;
}

export const NO_PRICING: PricingDraft = { perRequest: '', costPointer: '', usage: [], max: '' };

/** How a call's cost is measured: a fixed price, a cost the provider reports, usage counters, or a mix. */
export function PricingFields({ value, onChange }: { value: PricingDraft; onChange(value: PricingDraft): void }) {
  return (
    <fieldset>
      <legend>Pricing</legend>
      <UsdField label="Price per request (USD)" value={value.perRequest} onChange={(perRequest) => onChange({ ...value, perRequest })} />
      <TextField
        label="Reported cost pointer"
        hint="A JSON pointer to the cost in USD the provider reports in its response, e.g. /costDollars/total."
        value={value.costPointer}
        onChange={(costPointer) => onChange({ ...value, costPointer })}
      />
      <ListEditor
        legend="Usage counters"
        items={value.usage}
        blank={{ pointer: '', usdPerUnit: '' }}
        addLabel="Add usage counter"
        itemName={(i) => `usage counter ${i + 1}`}
        onChange={(usage) => onChange({ ...value, usage })}
      >
        {(u, set, name) => (
          <>
            <label className="grow">
              <span className="sr-only">Pointer of {name}</span>
              <input value={u.pointer} required placeholder="/usage/total_tokens" onChange={(e) => set({ ...u, pointer: e.target.value })} />
            </label>
            <label>
              <span className="sr-only">USD per unit of {name}</span>
              <input type="number" min={0} step="any" value={u.usdPerUnit} required placeholder="USD per unit" onChange={(e) => set({ ...u, usdPerUnit: e.target.value })} />
            </label>
          </>
        )}
      </ListEditor>
      <UsdField
        label="Most a request can cost (USD)"
        hint="What each call reserves against the cap before it is made."
        value={value.max}
        onChange={(max) => onChange({ ...value, max })}
        required
      />
    </fieldset>
  );
}

export function pricingBody(p: PricingDraft): IntegrationSpec['pricing'] {
  const perRequestUsd = numberOrUndefined(p.perRequest);
  return {
    ...(perRequestUsd === undefined ? {} : { perRequestUsd }),
    ...(p.costPointer.trim() ? { costPointer: p.costPointer.trim() } : {}),
    ...(p.usage.length ? { usage: p.usage.map((u) => ({ pointer: u.pointer.trim(), usdPerUnit: Number(u.usdPerUnit) })) } : {}),
    maxPerRequestUsd: Number(p.max),
  };
}
