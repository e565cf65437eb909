// The shared ledger's connection string, checked where it enters: TLS with a verified certificate
// over the network, none needed on this machine; the operator is shown where, never the password.
import { describe, expect, it } from 'vitest';
import { ControlError } from '../../../daemon/errors.ts';
import { checkUrl, describeUrl } from '../../../daemon/ledger/shared/connection.ts';

const refusal = (url: string): string => {
  try {
    checkUrl(url);
    return 'accepted';
  } catch (e) {
    return e instanceof ControlError ? `${e.code}: ${e.message}` : String(e);
  }
};

describe('the ledger URL', () => {
  it('needs no TLS on a Unix socket or loopback', () => {
    expect(checkUrl('postgresql://tg@localhost/ledger?host=%2Fvar%2Frun%2Fpostgresql').tls).toBe(false);
    expect(checkUrl('postgresql:///ledger?host=/tmp/pg').tls).toBe(false);
    expect(checkUrl('postgresql://tg:pw@127.0.0.1:5432/ledger').tls).toBe(false);
    expect(checkUrl('postgres://tg:pw@[::1]/ledger').tls).toBe(false);
  });

  it('verifies the server over the network, and refuses a URL that turns that off', () => {
    expect(checkUrl('postgresql://tg:pw@db.example.org:5432/ledger').tls).toBe(true);
    expect(checkUrl('postgresql://tg:pw@db.example.org/ledger?sslmode=verify-full').tls).toBe(false);
    for (const mode of ['disable', 'allow', 'prefer']) {
      expect(refusal(`postgresql://tg:pw@db.example.org/ledger?sslmode=${mode}`)).toMatch(new RegExp(`^invalid: sslmode=${mode} would send`));
    }
    expect(refusal('mysql://tg:pw@db.example.org/ledger')).toMatch(/^invalid: The ledger URL must start with postgresql:\/\//);
    expect(refusal('not a url')).toMatch(/^invalid: The ledger URL is not a URL/);
  });

  it('is shown without its password', () => {
    expect(describeUrl('postgresql://tollgate:s3cret-pw@db.example.org:6543/fleet?sslmode=verify-full')).toBe('tollgate @ db.example.org:6543 / fleet');
    expect(describeUrl('postgresql://tg@localhost/ledger?host=%2Ftmp%2Fpg')).toBe('tg @ socket /tmp/pg / ledger');
  });
});
