// The sandbox's first process: it serves the agent API on plain HTTP at 127.0.0.1:<port> (most
// assistants and SDKs take a base URL, not a socket), then runs the command as its child and exits
// with its code. Every connection is piped, byte for byte, to the session's agent socket: the port
// gives nothing the socket does not.
//
// On Linux the port is on the loopback of the sandbox's own network namespace: nothing outside the
// sandbox can reach it. macOS has no private loopback, so there (TOLLGATE_FORWARDER_TOKEN set) the
// forwarder reads each request and answers only those whose path starts with /<token>/ (the token
// is in TOLLGATE_AGENT_URL), forwarding them with that prefix taken off.
//
// Run by `tollgate sandbox` as `node forwarder [--ready-fd n] [--stderr-fd n] <port> <socket> --
// <command> [args…]`, with nothing but Node's own modules: inside the sandbox this file is all of
// Tollgate there is. --ready-fd: a pipe that gets one byte as soon as this runs (the sandbox stands);
// --stderr-fd: the command's stderr, and the forwarder's (its own fd 2 is bubblewrap's, read by
// the runner).
import { spawn } from 'node:child_process';
import { timingSafeEqual } from 'node:crypto';
import { closeSync, writeSync } from 'node:fs';
import { createServer as createHttpServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { constants } from 'node:os';

// The runner sends these to the whole process group, the command included: the forwarder itself
// only has to outlive them, so it can report how the command ended.
const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGWINCH'];

/** A TCP server that pipes every connection to the Unix socket at `socketPath`. */
export function pipeServer(socketPath: string): Server {
  return createServer({ allowHalfOpen: true }, (client: Socket) => {
    const agent = connect({ path: socketPath, allowHalfOpen: true });
    const close = (): void => {
      client.destroy();
      agent.destroy();
    };
    client.on('error', close);
    agent.on('error', close);
    client.pipe(agent);
    agent.pipe(client);
  });
}

/** An HTTP server that forwards to `socketPath` only the requests under /<token>/, the prefix taken off. */
export function tokenServer(socketPath: string, token: string): Server {
  const prefix = Buffer.from(`/${token}`);
  return createHttpServer((req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '';
    const head = Buffer.from(url.slice(0, prefix.length));
    const rest = url.slice(prefix.length);
    if (head.length !== prefix.length || !timingSafeEqual(head, prefix) || !(rest.startsWith('/') || rest === '')) {
      res.writeHead(401, { 'content-type': 'application/json', 'tollgate-error': 'bad_request', 'x-should-retry': 'false' });
      res.end(JSON.stringify({ error: { code: 'bad_request', message: 'this address answers only under the URL in TOLLGATE_AGENT_URL' } }));
      req.resume();
      return;
    }
    const upstream = request({ socketPath, method: req.method, path: rest || '/', headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
      res.end();
    });
    req.pipe(upstream);
  });
}

function main(argv: string[]): void {
  let stderrFd = 2;
  while (argv[0] === '--ready-fd' || argv[0] === '--stderr-fd') {
    const [flag, fd] = [argv.shift(), Number(argv.shift())];
    if (flag === '--stderr-fd') stderrFd = fd;
    else {
      writeSync(fd, '1');
      closeSync(fd);
    }
  }
  const complain = (line: string): void => {
    writeSync(stderrFd, `${line}\n`);
  };
  const dash = argv.indexOf('--');
  const [portText, socketPath] = argv.slice(0, dash);
  const [command, ...args] = argv.slice(dash + 1);
  if (dash < 0 || !portText || !socketPath || !command) {
    complain('usage: forwarder [--ready-fd n] [--stderr-fd n] <port> <socket> -- <command> [args...]');
    process.exit(2);
  }
  const token = process.env.TOLLGATE_FORWARDER_TOKEN;
  const env = { ...process.env };
  delete env.TOLLGATE_FORWARDER_TOKEN;
  for (const s of SIGNALS) process.on(s, () => {});

  const server = token ? tokenServer(socketPath, token) : pipeServer(socketPath);
  server.once('error', (e: NodeJS.ErrnoException) => {
    complain(`tollgate: cannot serve the agent API on 127.0.0.1:${portText} inside the sandbox (${e.code ?? e.message}); choose another with --agent-port; the command was not run`);
    process.exit(1);
  });
  server.listen(Number(portText), '127.0.0.1', () => {
    server.unref();
    const child = spawn(command, args, { stdio: [0, 1, stderrFd], env });
    child.once('error', (e: NodeJS.ErrnoException) => {
      complain(e.code === 'ENOENT' ? `tollgate: ${command}: no such command inside the sandbox` : `tollgate: ${command}: ${e.message}`);
      process.exit(e.code === 'ENOENT' ? 127 : 126);
    });
    child.once('exit', (code, signal) => process.exit(code ?? 128 + (signal ? constants.signals[signal] : 0)));
  });
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) main(process.argv.slice(2));
