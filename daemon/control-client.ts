// A client of the control socket, for the CLI (and, later, the tray's main process).
import { Agent, request } from 'undici';

export class DaemonNotRunning extends Error {}

export class ControlClient {
  private readonly socketPath: string;
  private readonly dispatcher: Agent;

  constructor(socketPath: string, client = 'cli') {
    this.socketPath = socketPath;
    this.dispatcher = new Agent({ connect: { socketPath } });
    this.client = client;
  }

  private readonly client: string;

  async call<T>(method: 'GET' | 'POST' | 'PUT' | 'PATCH', path: string, body?: unknown): Promise<T> {
    let res;
    try {
      res = await request(`http://tollgate${path}`, {
        method,
        dispatcher: this.dispatcher,
        headers: { 'content-type': 'application/json', 'tollgate-client': this.client },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ECONNREFUSED') {
        throw new DaemonNotRunning(`the Tollgate daemon is not running (no answer on ${this.socketPath}); start it with "npx tollgate daemon"`);
      }
      throw e;
    }
    const json = (await res.body.json()) as T & { error?: { message: string } };
    if (res.statusCode >= 400) throw new Error(json.error?.message ?? `HTTP ${res.statusCode}`);
    return json;
  }

  get<T>(path: string): Promise<T> {
    return this.call<T>('GET', path);
  }

  async isRunning(): Promise<boolean> {
    try {
      await this.get('/v1/health');
      return true;
    } catch {
      return false;
    }
  }
}
