// The daemon's gate to the shared ledger when the database does not answer at all (a host that
// accepts connections and stays silent): calls are refused ledger_unavailable, the operator is
// alerted once for the outage, and while one call waits to find out, the others are refused at once.
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertDraft } from '../../../daemon/alerts/detectors.ts';
import { LEDGER_URL_ACCOUNT } from '../../../daemon/keychain/daemon-secrets.ts';
import type { Keychain } from '../../../daemon/keychain/keychain.ts';
import { SharedBudgets } from '../../../daemon/ledger/shared/shared-budgets.ts';

/** The code of the TollgateError a promise rejects with. */
const codeOf = (p: Promise<unknown>): Promise<string> => p.then(() => 'none', (e: { code?: string }) => e.code ?? String(e));

function memoryKeychain(entries: Record<string, string>): Keychain {
  const m = new Map(Object.entries(entries));
  return {
    get: async (a) => m.get(a) ?? null,
    set: async (a, s) => void m.set(a, s),
    delete: async (a) => m.delete(a),
  };
}

describe('a shared ledger that does not answer', () => {
  let silent: Server;
  const sockets: Socket[] = [];
  let url: string;

  beforeAll(async () => {
    silent = createServer((s) => void sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const { port } = silent.address() as { port: number };
    url = `postgresql://tollgate@127.0.0.1:${port}/ledger`;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => silent.close(r));
  });

  it('refuses ledger_unavailable, alerts once, and refuses the others at once while one call finds out', async () => {
    const alerts: AlertDraft[] = [];
    const shared = new SharedBudgets({
      keychain: memoryKeychain({ [LEDGER_URL_ACCOUNT]: url }), clock: { now: () => Date.now() },
      machine: () => 'laptop', period: () => ({ timeZone: 'UTC', resetDay: 1 }), raise: (a) => void alerts.push(a),
      password: () => undefined,
    });
    try {
      const call = { budgets: ['team'], integration: 'exa', amount: 5_000 };
      expect(await codeOf(shared.reserve(call))).toBe('ledger_unavailable');
      expect(alerts.map((a) => [a.tier, a.kind])).toEqual([['critical', 'ledger_unavailable']]);
      let probeDone = false;
      const probe = shared.reserve(call).finally(() => (probeDone = true));
      expect(await codeOf(shared.reserve(call))).toBe('ledger_unavailable');
      expect(probeDone).toBe(false);
      expect(await codeOf(probe)).toBe('ledger_unavailable');
      expect(alerts).toHaveLength(1);
    } finally {
      await shared.close();
    }
  });
});
