// An integration as the daemon uses it on the hot path: the operator's spec, compiled once.
import { usdToMicros, type Micros } from '../money.ts';
import { compileRoutes, type RouteTable } from '../pipeline/route.ts';
import { parsePointer, type Pointer } from './json-pointer.ts';
import type { IntegrationSpec, PricingSpec } from './schema.ts';

export type Status = 'active' | 'suspended' | 'decommissioned';

export interface Pricing {
  perRequest: Micros;
  costPointer: Pointer | null;
  usage: { pointer: Pointer; usdPerUnit: number }[];
  max: Micros;
  /** Whether the response must be read to know the cost. */
  readsResponse: boolean;
}

export interface IntegrationState {
  id: number;
  status: Status;
  statusReason: string | null;
  keyFingerprint: string | null;
  keyLength: number | null;
  keySetAt: number | null;
  approvedBy: string;
  approvedAt: number;
  updatedAt: number;
  decommissionedAt: number | null;
}

export interface Integration extends IntegrationState {
  name: string;
  spec: IntegrationSpec;
  origin: string;
  host: string;
  /** Base URL path without a trailing slash ('' for the root). */
  basePath: string;
  routes: RouteTable;
  pricing: Pricing;
  /** The routes with a fixed or reported price of their own, by "METHOD path pattern", compiled once. */
  routePricing: ReadonlyMap<string, Pricing>;
  cap: Micros;
}

export function compilePricing(p: PricingSpec): Pricing {
  const costPointer = p.costPointer ? parsePointer(p.costPointer) : null;
  const usage = (p.usage ?? []).map((u) => ({ pointer: parsePointer(u.pointer), usdPerUnit: u.usdPerUnit }));
  return {
    perRequest: usdToMicros(p.perRequestUsd ?? 0),
    costPointer,
    usage,
    max: usdToMicros(p.maxPerRequestUsd),
    readsResponse: costPointer !== null || usage.length > 0,
  };
}

export function compileIntegration(spec: IntegrationSpec, state: IntegrationState): Integration {
  const url = new URL(spec.baseUrl);
  return {
    ...state,
    name: spec.name,
    spec,
    origin: url.origin,
    host: url.host,
    basePath: url.pathname.replace(/\/+$/, ''),
    routes: compileRoutes(spec.routes),
    pricing: compilePricing(spec.pricing),
    routePricing: new Map(spec.routes.flatMap((r) => (r.pricing && !r.pricing.tokens ? [[`${r.method} ${r.path}`, compilePricing(r.pricing)]] : []))),
    cap: usdToMicros(spec.monthlyCapUsd),
  };
}
