import { useRef, useState, type FormEvent } from 'react';
import type { CreateIntegration, IntegrationSpec, RouteSpec } from '../../../daemon/control-types.ts';
import { FormButtons, SelectField, TextField } from '../../components/fields.tsx';
import { KeyField, takeKey } from '../../components/KeyField.tsx';
import { RoutesEditor } from '../../components/RoutesEditor.tsx';
import { BasicsFields, basicsBody, NO_BASICS, type Basics } from './BasicsFields.tsx';
import { NO_PRICING, PricingFields, pricingBody, type PricingDraft } from './PricingFields.tsx';
import { RateLimitFields } from './RateLimitFields.tsx';
import type { Suggestion } from './suggestion.ts';

type AuthType = IntegrationSpec['auth']['type'];

const AUTH_TYPES = [
  { value: 'header', label: 'A header' },
  { value: 'bearer', label: 'Bearer token (Authorization header)' },
  { value: 'query', label: 'A query parameter' },
] as const satisfies readonly { value: AuthType; label: string }[];

interface Auth {
  type: AuthType;
  name: string;
  prefix: string;
}

function authBody(a: Auth): IntegrationSpec['auth'] {
  switch (a.type) {
    case 'bearer':
      return { type: 'bearer' };
    case 'query':
      return { type: 'query', name: a.name.trim() };
    case 'header':
      // The prefix is kept as typed: its trailing space ("Token ") is part of it.
      return { type: 'header', name: a.name.trim(), ...(a.prefix ? { prefix: a.prefix } : {}) };
  }
}

/** A whole definition, for a provider no template covers. */
export function ScratchForm({ suggestion, busy, onSubmit, onCancel }: {
  suggestion: Suggestion | undefined;
  busy: boolean;
  onSubmit(body: CreateIntegration, key: string | undefined): void;
  onCancel(): void;
}) {
  const [basics, setBasics] = useState<Basics>(suggestion?.basics ?? NO_BASICS);
  const [baseUrl, setBaseUrl] = useState(suggestion?.baseUrl ?? '');
  const [auth, setAuth] = useState<Auth>({ type: 'header', name: '', prefix: '' });
  const [routes, setRoutes] = useState<RouteSpec[]>(suggestion?.routes ?? []);
  const [pricing, setPricing] = useState<PricingDraft>(NO_PRICING);
  const [rateLimit, setRateLimit] = useState({ perMinute: '30', concurrent: '4' });
  const keyRef = useRef<HTMLInputElement>(null);

  function submit(e: FormEvent) {
    e.preventDefault();
    onSubmit(
      {
        ...basicsBody(basics),
        baseUrl: baseUrl.trim(),
        auth: authBody(auth),
        routes,
        pricing: pricingBody(pricing),
        rateLimit: { perMinute: Number(rateLimit.perMinute), concurrent: Number(rateLimit.concurrent) },
      },
      takeKey(keyRef),
    );
  }

  return (
    <form onSubmit={submit} aria-label="Add from scratch">
      <BasicsFields value={basics} onChange={setBasics} />
      <TextField label="Base URL" hint="https only, e.g. https://api.example.com. Every route is under it." type="url" value={baseUrl} onChange={setBaseUrl} required />
      <fieldset>
        <legend>How the key is sent</legend>
        <SelectField label="Auth type" value={auth.type} options={AUTH_TYPES} onChange={(type) => setAuth({ ...auth, type })} />
        {auth.type !== 'bearer' && (
          <TextField label={auth.type === 'header' ? 'Header name' : 'Parameter name'} value={auth.name} onChange={(name) => setAuth({ ...auth, name })} required />
        )}
        {auth.type === 'header' && (
          <TextField label="Prefix" hint="Written before the key, e.g. “Token ” (optional)." value={auth.prefix} onChange={(prefix) => setAuth({ ...auth, prefix })} />
        )}
      </fieldset>
      <RoutesEditor routes={routes} onChange={setRoutes} />
      <PricingFields value={pricing} onChange={setPricing} />
      <RateLimitFields value={rateLimit} onChange={setRateLimit} />
      <KeyField keyRef={keyRef} hint="Paste the key of the assistant's account, or leave it empty and set it later." />
      <FormButtons busy={busy} onCancel={onCancel} />
    </form>
  );
}
