// `tollgate mcp`: the agent API as MCP tools over stdio. It talks only to the agent socket,
// through the client library, so it can do exactly what any assistant can: no more.
import { McpServer, type RegisteredTool } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { type AgentIntegration, type CallOptions, type ProposalBody, TollgateClient, TollgateRefusal } from '../client/agent-client.ts';
import { loadTemplates } from '../integrations/templates.ts';
import { METHODS, type Template } from '../integrations/schema.ts';
import { VERSION } from '../version.ts';
import { callResult, failure, integrationsText, text } from './results.ts';
import { type TypedTool, toolRequest, typedTools } from './typed-tools.ts';

const purpose = z.string().min(1).max(200).describe('Why you make this call, in a sentence (1-200 characters). Recorded in the audit log.');

const ARGUMENT_TYPES = {
  string: () => z.string(),
  integer: () => z.number().int(),
  number: () => z.number(),
  boolean: () => z.boolean(),
} as const;

const scalarText = (v: unknown): unknown => (typeof v === 'number' || typeof v === 'boolean' ? String(v) : v);

/** A body sent as a string is taken as JSON the assistant wrote itself. */
function parsedJson(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}

/** What a typed tool's definition depends on: when it changes, the tool is registered anew. */
const built = (t: TypedTool): string => JSON.stringify([t.integration.purpose, t.tool]);

const INSTRUCTIONS = 'Tollgate makes API calls for you with keys you never see, within the operator\'s approved integrations, routes and monthly budgets. ' +
  'Every call needs a purpose. tollgate_integrations lists what is approved and the budget left; a refused call says why and what to do. ' +
  'To get more (a new integration, a higher cap), use tollgate_propose: the operator decides.';

export class TollgateMcp {
  readonly server: McpServer;
  private readonly client: TollgateClient;
  private readonly templates: ReadonlyMap<string, Template>;
  /** Registered typed tools, with what they were built from (to re-register only what changed). */
  private readonly typed = new Map<string, { registered: RegisteredTool; built: string; integration: string }>();

  constructor(client: TollgateClient, templates: ReadonlyMap<string, Template>) {
    this.client = client;
    this.templates = templates;
    // Adding or removing typed tools sends tools/list_changed; one refresh sends it once.
    this.server = new McpServer({ name: 'tollgate', version: VERSION }, {
      instructions: INSTRUCTIONS,
      debouncedNotificationMethods: ['notifications/tools/list_changed'],
    });
    this.registerFixedTools();
  }

  /** Re-reads what is approved and brings the typed tools in line with it. */
  async refresh(): Promise<AgentIntegration[]> {
    const approved = await this.client.integrations();
    const wanted = new Map(typedTools(approved, this.templates).map((t) => [t.name, t]));
    for (const [name, entry] of this.typed) {
      const t = wanted.get(name);
      if (t && built(t) === entry.built) {
        wanted.delete(name);
        continue;
      }
      entry.registered.remove();
      this.typed.delete(name);
    }
    for (const t of wanted.values()) this.typed.set(t.name, { registered: this.registerTyped(t), built: built(t), integration: t.integration.name });
    return approved;
  }

  private typedToolNames(integration: string): string[] {
    return [...this.typed].filter(([, entry]) => entry.integration === integration).map(([name]) => name);
  }

  private registerTyped(t: TypedTool): RegisteredTool {
    const shape: Record<string, z.ZodType> = {};
    for (const [name, arg] of Object.entries(t.tool.arguments)) {
      const schema = ARGUMENT_TYPES[arg.type]().describe(arg.description);
      shape[name] = arg.required ? schema : schema.optional();
    }
    shape.purpose = purpose;
    return this.server.registerTool(t.name, {
      description: `${t.tool.description} Through Tollgate, integration "${t.integration.name}" (${t.integration.purpose}); each call counts against its monthly budget.`,
      inputSchema: shape,
    }, async (args, extra) => {
      const { purpose: why, ...rest } = args as Record<string, unknown> & { purpose: string };
      return this.call({ integration: t.integration.name, method: t.tool.method, path: t.tool.path, purpose: why, signal: extra.signal, ...toolRequest(t, rest) });
    });
  }

  private async call(opts: CallOptions): Promise<CallToolResult> {
    try {
      return callResult(await this.client.call(opts));
    } catch (e) {
      // What is approved now is both the advice for these refusals and a cue to re-list the tools.
      const listed = e instanceof TollgateRefusal && ['not_allowlisted', 'route_not_allowed', 'budget_exhausted'].includes(e.code)
        ? await this.refresh().catch(() => null)
        : null;
      return failure(e, opts.integration, listed);
    }
  }

  private registerFixedTools(): void {
    this.server.registerTool('tollgate_integrations', {
      description: 'The integrations the operator approved: purpose, status, allowed routes, budget left this month and when it resets, and the tools for each.',
      annotations: { readOnlyHint: true },
    }, async () => {
      try {
        const approved = await this.refresh();
        return text(integrationsText(approved, (name) => this.typedToolNames(name)));
      } catch (e) {
        return failure(e, null, null);
      }
    });

    this.server.registerTool('tollgate_call', {
      description: 'Call an approved integration through Tollgate (the key is attached for you). Returns the provider\'s status and body (cut past 50 KB), the cost and the budget left. ' +
        'Use one of the integration\'s routes (tollgate_integrations).',
      inputSchema: {
        integration: z.string().describe('The name of an approved integration, e.g. brave-search.'),
        method: z.enum(METHODS).default('GET').describe('HTTP method of the route.'),
        path: z.string().describe('The provider\'s path, e.g. /res/v1/web/search: one of the integration\'s routes.'),
        // Portable schemas: one type per value (Gemini and strict validators refuse type arrays);
        // numbers and booleans are still taken, as the text they stand for.
        query: z.record(z.string(), z.preprocess(scalarText, z.string())).optional().describe('Query parameters, as text values.'),
        // Any object: advertised as {"type":"object"} alone (the undefined drops out of the JSON).
        body: z.preprocess(parsedJson, z.object({}).catchall(z.unknown()).meta({ additionalProperties: undefined })).optional().describe('A JSON body (an object), for POST and the like.'),
        purpose,
      },
    }, async ({ integration, method, path, query, body, purpose: why }, extra) => this.call({
      integration, method, path, query, purpose: why, signal: extra.signal,
      ...(body === undefined ? {} : { body, headers: { 'content-type': 'application/json' } }),
    }));

    this.server.registerTool('tollgate_propose', {
      description: 'Ask the operator for a new integration or a higher monthly cap, with a justification. Nothing changes until the operator approves; check with tollgate_proposal_status.',
      inputSchema: {
        kind: z.enum(['new_integration', 'raise_cap']),
        justification: z.string().min(1).max(2000).describe('Why it is needed: what for, and why what is approved does not do.'),
        integration: z.string().optional().describe('raise_cap: the integration whose cap to raise.'),
        monthlyCapUsd: z.number().positive().optional().describe('raise_cap: the monthly cap asked for, in USD (required). new_integration: a suggested cap.'),
        name: z.string().optional().describe('new_integration: a name (lower-case letters, digits and dashes).'),
        template: z.string().optional().describe(`new_integration: the provider's template, one of: ${[...this.templates.keys()].join(', ')}.`),
        purpose: z.string().optional().describe('new_integration: what it is for.'),
        baseUrl: z.string().optional().describe('new_integration without a template: the provider\'s https:// base URL.'),
        routes: z.array(z.object({ method: z.string(), path: z.string() })).optional().describe('new_integration: the routes it needs.'),
      },
    }, async (p) => {
      // The daemon validates; it says precisely what is missing.
      const body = p.kind === 'raise_cap'
        ? { kind: p.kind, integration: p.integration, monthlyCapUsd: p.monthlyCapUsd, justification: p.justification }
        : { kind: p.kind, name: p.name, template: p.template, purpose: p.purpose, baseUrl: p.baseUrl, routes: p.routes, monthlyCapUsd: p.monthlyCapUsd, justification: p.justification };
      try {
        const { id } = await this.client.propose(body as ProposalBody);
        return text(`Proposal ${id} is pending: the operator decides, and nothing changes until they approve it. Check it with tollgate_proposal_status.`);
      } catch (e) {
        return failure(e, null, null);
      }
    });

    this.server.registerTool('tollgate_proposal_status', {
      description: 'The status of a proposal made with tollgate_propose: pending, approved or rejected, with the operator\'s note.',
      inputSchema: { id: z.string().describe('The proposal id tollgate_propose returned.') },
      annotations: { readOnlyHint: true },
    }, async ({ id }) => {
      try {
        const p = await this.client.proposal(id);
        // An approval may bring new integrations, hence new typed tools.
        if (p.status === 'approved') await this.refresh().catch(() => undefined);
        const next = p.status === 'pending' ? ' The operator has not decided yet; check again later.'
          : p.status === 'approved' ? ' See tollgate_integrations for what is approved now.' : '';
        return text(`Proposal ${p.id} (${p.kind}): ${p.status}${p.decidedAt ? ` on ${p.decidedAt}` : ''}.${p.note ? ` Operator's note: ${p.note}` : ''}${next}`);
      } catch (e) {
        return failure(e, null, null);
      }
    });
  }
}

export async function runMcp(): Promise<void> {
  // stdout carries the protocol alone: anything printed by mistake goes to stderr.
  console.log = console.info = console.debug = console.error;
  const client = new TollgateClient();
  const mcp = new TollgateMcp(client, loadTemplates());
  try {
    await mcp.refresh();
  } catch (e) {
    console.error(`tollgate mcp: ${e instanceof Error ? e.message : String(e)} Starting without typed tools; tollgate_integrations builds them once the daemon answers.`);
  }
  await mcp.server.connect(new StdioServerTransport());
  console.error(`tollgate mcp: serving over stdio; agent socket ${client.socketPath}`);
  // The MCP client ends stdin to stop the server.
  process.stdin.once('end', () => process.exit(0));
}
