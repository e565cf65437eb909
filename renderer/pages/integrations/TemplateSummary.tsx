import type { Template } from '../../../daemon/control-types.ts';
import { describeAuth, describePricing, describeRateLimit, describeRoute } from '../../describe.ts';

/** What a template fixes, read-only: the operator checks it, and writes only their own part. */
export function TemplateSummary({ template }: { template: Template }) {
  return (
    <dl className="facts" aria-label={`${template.displayName} template`}>
      <dt>Host</dt>
      <dd><code>{template.baseUrl}</code></dd>
      <dt>Auth</dt>
      <dd>{describeAuth(template.auth)}</dd>
      <dt>Routes</dt>
      <dd>
        <ul className="routes">
          {template.routes.map((r) => (
            <li key={describeRoute(r)}><code>{describeRoute(r)}</code> <span className="muted">{r.description}</span></li>
          ))}
        </ul>
      </dd>
      <dt>Pricing</dt>
      <dd>
        {describePricing(template.pricing)}
        <p className="hint">{template.pricingNote}</p>
      </dd>
      <dt>Rate limit</dt>
      <dd>{describeRateLimit(template.rateLimit)}</dd>
      <dt>Key</dt>
      <dd>Create one for the assistant's account at <code>{template.keyUrl}</code></dd>
    </dl>
  );
}
