// The forwarder's token mode (what macOS uses, having no private loopback), run here on Linux
// without a sandbox: only requests under /<token>/ reach the agent socket, the prefix taken off.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pipeServer, tokenServer } from '../../../daemon/sandbox/forwarder.ts';

describe('the forwarder', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-forwarder-'));
  const socket = join(dir, 'agent.sock');
  const seen: string[] = [];
  const agent = createHttpServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  const servers: Server[] = [];
  const listen = async (s: Server): Promise<number> => {
    servers.push(s);
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    return (s.address() as AddressInfo).port;
  };

  beforeAll(async () => {
    await new Promise<void>((r) => agent.listen(socket, () => r()));
  });
  afterAll(() => {
    for (const s of servers) s.close();
    agent.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('pipes every connection to the agent socket as it is (Linux: the port is the sandbox\'s own)', async () => {
    const port = await listen(pipeServer(socket));
    const r = await fetch(`http://127.0.0.1:${port}/v1/health`);
    expect([r.status, await r.json()]).toEqual([200, { ok: true }]);
    expect(seen.at(-1)).toBe('GET /v1/health');
  });

  it('with a token (macOS): answers 401 without it, forwards with it, the prefix taken off', async () => {
    const token = 'a'.repeat(32);
    const port = await listen(tokenServer(socket, token));
    const before = seen.length;
    for (const path of ['/v1/health', `/${'b'.repeat(32)}/v1/health`, `/${token}x/v1/health`, `/${token.slice(1)}/v1/health`]) {
      const r = await fetch(`http://127.0.0.1:${port}${path}`);
      expect(r.status, path).toBe(401);
      expect(r.headers.get('x-should-retry')).toBe('false');
    }
    expect(seen.length).toBe(before);
    const r = await fetch(`http://127.0.0.1:${port}/${token}/v1/call/openai/v1/responses?x=1`, { method: 'POST', body: '{}' });
    expect(r.status).toBe(200);
    expect(seen.at(-1)).toBe('POST /v1/call/openai/v1/responses?x=1');
  });
});
