// `tollgate mcp` as an MCP client runs it: a separate process spawned by the official SDK's stdio
// client, exactly as clients are told to run it (`npx tollgate mcp` in the project folder).
import { dirname } from 'node:path';
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
  // Exactly as an MCP client is told to run it: `npx tollgate mcp` in the project folder, with this Node first on PATH.
  env.PATH = `${dirname(process.execPath)}:${env.PATH ?? ''}`;
  const transport = new StdioClientTransport({ command: 'npx', args: ['--no-install', 'tollgate', 'mcp'], cwd: PROJECT_ROOT, env, stderr: 'pipe' });
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

