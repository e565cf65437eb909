import type { RouteSpec } from '../../daemon/control-types.ts';
import { ListEditor } from './ListEditor.tsx';

// The daemon's methods; its schema is runtime code, so the window keeps its own copy, type-checked.
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const satisfies readonly RouteSpec['method'][];

export const isMethod = (m: string): m is RouteSpec['method'] => (METHODS as readonly string[]).includes(m);

/** The routes an integration may call: method + path pattern (`*` one segment, a final `**` any rest). */
export function RoutesEditor({ routes, onChange }: { routes: RouteSpec[]; onChange(routes: RouteSpec[]): void }) {
  return (
    <ListEditor legend="Routes" items={routes} blank={{ method: 'GET', path: '/' }} addLabel="Add route" itemName={(i) => `route ${i + 1}`} onChange={onChange}>
      {(route, set, name) => (
        <>
          <label>
            <span className="sr-only">Method of {name}</span>
            <select value={route.method} onChange={(e) => set({ ...route, method: e.target.value as RouteSpec['method'] })}>
              {METHODS.map((m) => <option key={m}>{m}</option>)}
            </select>
          </label>
          <label className="grow">
            <span className="sr-only">Path of {name}</span>
            <input value={route.path} required placeholder="/v1/search" onChange={(e) => set({ ...route, path: e.target.value })} />
          </label>
        </>
      )}
    </ListEditor>
  );
}
