// An assistant's proposal of a new integration, as a starting point for the operator's form.
// It only suggests: the operator still writes the account, pastes the key and confirms.
import type { Proposal, RouteSpec } from '../../../daemon/control-types.ts';
import { isMethod } from '../../components/RoutesEditor.tsx';
import type { Basics } from './BasicsFields.tsx';

export type NewIntegrationBody = Extract<Proposal['body'], { kind: 'new_integration' }>;

export interface Suggestion {
  template: string | undefined;
  basics: Basics;
  baseUrl: string;
  routes: RouteSpec[];
}

export function suggestionOf(b: NewIntegrationBody): Suggestion {
  return {
    template: b.template,
    basics: { name: b.name, purpose: b.purpose, account: '', cap: b.monthlyCapUsd === undefined ? '' : String(b.monthlyCapUsd) },
    baseUrl: b.baseUrl ?? '',
    // The assistant's methods are free text; only ones the daemon knows can become routes.
    routes: (b.routes ?? []).flatMap((r) => (isMethod(r.method) ? [{ method: r.method, path: r.path }] : [])),
  };
}
