// Typed MCP tools from the provider templates' data (`tools` in templates/*.json): no code per
// provider. The agent API does not say which template an integration came from, so an approved
// integration is matched to a template by its name and by its routes.
import { createHash } from 'node:crypto';
import type { AgentIntegration } from '../client/agent-client.ts';
import type { RouteSpec, Template } from '../integrations/schema.ts';
import { compileRoutes, matchRoute } from '../pipeline/route.ts';

export type TemplateTool = Template['tools'][number];

/**
 * The longest typed tool name. Clients and model APIs accept `^[a-zA-Z0-9_-]{1,64}$`, and Claude
 * Code puts `mcp__<server>__` before it: with the server named "tollgate" that leaves 49.
 */
export const MAX_TOOL_NAME = 48;

export interface TypedTool {
  /** The MCP tool name: the template's, suffixed with the integration's when that is not the template id. */
  name: string;
  integration: AgentIntegration;
  tool: TemplateTool;
}

/** The typed tools of the approved integrations, in list order. */
export function typedTools(approved: readonly AgentIntegration[], templates: ReadonlyMap<string, Template>): TypedTool[] {
  const out: TypedTool[] = [];
  const taken = new Set<string>();
  for (const integration of approved) {
    const template = templateOf(integration.name, templates);
    if (!template) continue;
    const routes = compileRoutes(integration.routes as RouteSpec[]);
    for (const tool of template.tools) {
      // Only what the operator allowed: a tool is never a way around the route list.
      if (matchRoute(routes, tool.method, tool.path) === null) continue;
      const name = toolName(tool.name, integration.name, template.id);
      // A name can be taken only by a contrived integration name; tollgate_call still reaches the route.
      if (taken.has(name)) continue;
      taken.add(name);
      out.push({ name, integration, tool });
    }
  }
  return out;
}

/**
 * The template's tool name, suffixed with the integration's name when that is not the template id.
 * A suffix too long to fit is cut and ends with a hash of the whole name, so names stay unique.
 */
export function toolName(tool: string, integration: string, templateId: string): string {
  if (integration === templateId) return tool;
  const full = `${tool}_${integration.replaceAll('-', '_')}`;
  if (full.length <= MAX_TOOL_NAME) return full;
  const hash = createHash('sha256').update(integration).digest('hex').slice(0, 8);
  return `${full.slice(0, MAX_TOOL_NAME - hash.length - 1)}_${hash}`;
}

/** The template named like the integration: its id, or `<id>-…`; the longest id wins. */
function templateOf(name: string, templates: ReadonlyMap<string, Template>): Template | null {
  let best: Template | null = null;
  for (const t of templates.values()) {
    if ((name === t.id || name.startsWith(`${t.id}-`)) && t.id.length > (best?.id.length ?? 0)) best = t;
  }
  return best;
}

/** Where a typed tool's arguments go: the template's values merged over the assistant's. */
export function toolRequest(t: TypedTool, args: Record<string, unknown>): { query: Record<string, string | number | boolean> } | { body: Record<string, unknown> } {
  const values: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(args)) if (v !== undefined) values[k] = v;
  Object.assign(values, t.tool.fixed);
  return t.tool.argumentsIn === 'query' ? { query: values as Record<string, string | number | boolean> } : { body: values };
}
