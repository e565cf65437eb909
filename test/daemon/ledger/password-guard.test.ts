// The shared ledger's database password (in the connection string kept in the keychain) is a
// credential like the keys Tollgate holds: the credential scanner refuses a request carrying it,
// from the first call after a start, and once it is set up over PUT /v1/ledger.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LEDGER_URL_ACCOUNT } from '../../../daemon/keychain/daemon-secrets.ts';
import { Harness } from '../../helpers/harness.ts';
import { canRunPostgres, startPostgres, type TestPostgres } from '../../helpers/postgres.ts';

const PASSWORD = 'pg-Xy7.Secret_2026';
const runs = canRunPostgres() || process.env.CI === 'true';

/** A call on a local integration carrying `text` in its query and its body. */
const leak = (h: Harness, text: string) => Promise.all([
  h.call('search', `/res/v1/web/search?q=${encodeURIComponent(text)}`),
  h.call('search', '/res/v1/web/search', { method: 'GET', headers: { 'x-note': `see postgres:${text}@db` } }),
]);

describe('the ledger password in outgoing requests', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start();
    await h.addIntegration();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('is refused from the first call after a start, the database not even reached', async () => {
    for (const r of await leak(h, PASSWORD)) expect(r.status).toBe(200);
    // A database nobody answers at: the URL is read from the keychain at start, not connected to.
    await h.keychain.set(LEDGER_URL_ACCOUNT, `postgresql://tollgate:${encodeURIComponent(PASSWORD)}@127.0.0.1:1/ledger`);
    await h.restartDaemon();
    const sent = h.upstream.requests.length;
    for (const r of await leak(h, PASSWORD)) {
      expect(r.status).toBe(403);
      expect(r.json.error.code).toBe('exfiltration_blocked');
    }
    expect(h.upstream.requests.length).toBe(sent);
    // Other text still passes.
    expect((await h.call('search', '/res/v1/web/search?q=postgres')).status).toBe(200);
  });

  it('is refused given as a password parameter of the URL too', async () => {
    const other = 'Other-pg.Passw0rd';
    await h.keychain.set(LEDGER_URL_ACCOUNT, `postgresql://tollgate@127.0.0.1:1/ledger?password=${other}`);
    await h.restartDaemon();
    expect((await h.call('search', `/res/v1/web/search?q=${other}`)).json.error.code).toBe('exfiltration_blocked');
    await h.keychain.delete(LEDGER_URL_ACCOUNT);
    await h.restartDaemon();
  });
});

describe.skipIf(!runs)('the ledger password, set up and removed over the control socket', () => {
  let pg: TestPostgres;
  let h: Harness;
  beforeAll(async () => {
    pg = await startPostgres();
    h = await Harness.start();
    await h.addIntegration();
  });
  afterAll(async () => {
    await h?.close();
    pg?.destroy();
  });

  it('is refused once PUT /v1/ledger keeps it, and no longer once DELETE /v1/ledger forgets it', async () => {
    // The test cluster trusts local connections: the password is carried, not checked.
    const url = (await pg.createDatabase('guard')).replace('postgres@', `postgres:${PASSWORD}@`);
    expect((await h.control('PUT', '/v1/ledger', { url })).status).toBe(200);
    for (const r of await leak(h, PASSWORD)) expect(r.json.error.code).toBe('exfiltration_blocked');
    expect((await h.control('DELETE', '/v1/ledger')).status).toBe(200);
    for (const r of await leak(h, PASSWORD)) expect(r.status).toBe(200);
  });
});
