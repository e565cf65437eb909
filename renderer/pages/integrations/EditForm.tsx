import { useState, type FormEvent } from 'react';
import type { IntegrationChange, IntegrationView, RouteSpec } from '../../../daemon/control-types.ts';
import { FormButtons, SelectField, TextArea, UsdField } from '../../components/fields.tsx';
import { RoutesEditor } from '../../components/RoutesEditor.tsx';
import { ModelsField } from './ModelsField.tsx';
import { RateLimitFields } from './RateLimitFields.tsx';

const FORMAT_POLICIES = [
  { value: 'block', label: 'Block the request (default)' },
  { value: 'record', label: "Send it, record it, warn (e.g. a coding assistant's source code)" },
] as const;

const sameRoutes = (a: RouteSpec[], b: RouteSpec[]) => JSON.stringify(a) === JSON.stringify(b);

/** Cap, routes, rate limit, purpose, models and credential formats; sends only what differs, so the confirmation names just that. */
export function EditForm({ integration, busy, onSubmit, onCancel }: {
  integration: IntegrationView;
  busy: boolean;
  onSubmit(change: IntegrationChange): void;
  onCancel(): void;
}) {
  const spec = integration.spec;
  const [purpose, setPurpose] = useState(spec.purpose);
  const [cap, setCap] = useState(String(spec.monthlyCapUsd));
  const [rateLimit, setRateLimit] = useState({ perMinute: String(spec.rateLimit.perMinute), concurrent: String(spec.rateLimit.concurrent) });
  const [routes, setRoutes] = useState(spec.routes);
  const [formats, setFormats] = useState(spec.credentialFormats);
  const tokens = spec.pricing.tokens;
  const [models, setModels] = useState(Object.keys(tokens?.models ?? {}));
  const modelsChanged = tokens !== undefined && models.length !== Object.keys(tokens.models).length;

  const change: IntegrationChange = {
    ...(purpose.trim() !== spec.purpose ? { purpose: purpose.trim() } : {}),
    ...(Number(cap) !== spec.monthlyCapUsd ? { monthlyCapUsd: Number(cap) } : {}),
    ...(Number(rateLimit.perMinute) !== spec.rateLimit.perMinute || Number(rateLimit.concurrent) !== spec.rateLimit.concurrent
      ? { rateLimit: { perMinute: Number(rateLimit.perMinute), concurrent: Number(rateLimit.concurrent) } }
      : {}),
    ...(sameRoutes(routes, spec.routes) ? {} : { routes }),
    ...(formats !== spec.credentialFormats ? { credentialFormats: formats } : {}),
    ...(modelsChanged ? { pricing: { ...spec.pricing, tokens: { ...tokens, models: Object.fromEntries(models.map((m) => [m, tokens.models[m]!])) } } } : {}),
  };

  function submit(e: FormEvent) {
    e.preventDefault();
    onSubmit(change);
  }

  return (
    <form onSubmit={submit} aria-label={`Edit ${integration.name}`}>
      <TextArea label="Purpose" value={purpose} onChange={setPurpose} required />
      <UsdField label="Monthly cap (USD)" value={cap} onChange={setCap} required />
      <RateLimitFields value={rateLimit} onChange={setRateLimit} />
      <RoutesEditor routes={routes} onChange={setRoutes} />
      {tokens && <ModelsField name={integration.name} tokens={tokens} kept={models} onChange={setModels} />}
      <SelectField
        label="Well-known credential formats in a request"
        hint="The keys Tollgate holds are blocked either way."
        value={formats}
        options={FORMAT_POLICIES}
        onChange={(v: IntegrationView['spec']['credentialFormats']) => setFormats(v)}
      />
      <FormButtons busy={busy} onCancel={onCancel} saveDisabled={Object.keys(change).length === 0} />
    </form>
  );
}
