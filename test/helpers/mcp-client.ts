// `tollgate mcp` as an MCP client runs it: a separate process spawned by the official SDK's stdio
// client, exactly as the README tells clients to run it: `/path/to/tollgate/resources/tollgate mcp`,
// from a folder outside the project.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { PROJECT_ROOT } from './daemon-process.ts';

export interface Mcp {
  client: Client;
  stderr: () => string;
  errors: Error[];
  listChanged: () => number;
}

export async function startMcp(agentSocket: string): Promise<Mcp> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && k !== 'NODE_OPTIONS') env[k] = v;
  env.TOLLGATE_AGENT_SOCKET = agentSocket;
  const transport = new StdioClientTransport({ command: join(PROJECT_ROOT, 'resources', 'tollgate'), args: ['mcp'], cwd: tmpdir(), env, stderr: 'pipe' });
  let stderr = '';
  transport.stderr!.on('data', (c: Buffer) => void (stderr += c.toString()));
  const errors: Error[] = [];
  let changes = 0;
  const client = new Client({ name: 'tollgate-test', version: '1.0.0' });
  client.onerror = (e) => void errors.push(e);
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => void changes++);
  await client.connect(transport);
  return { client, stderr: () => stderr, errors, listChanged: () => changes };
}

