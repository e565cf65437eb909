// Throwaway PKI for tests: a CA and a server certificate for 127.0.0.1, ::1 and localhost,
// made at test time with the `openssl` CLI (EC P-256 keys, so it takes a few milliseconds).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestPki {
  /** PEM file of the CA certificate (e.g. for NODE_EXTRA_CA_CERTS). */
  caCertPath: string;
  /** The CA certificate, PEM. */
  caPem: string;
  /** The server certificate (leaf only), PEM; SANs IP:127.0.0.1, IP:::1, DNS:localhost. */
  certPem: string;
  /** The server's private key, PEM. */
  keyPem: string;
}

const CA_CONFIG = `[req]
distinguished_name = dn
prompt = no
x509_extensions = v3_ca
[dn]
CN = Tollgate Test CA
[v3_ca]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
`;

const SERVER_CONFIG = `[req]
distinguished_name = dn
prompt = no
[dn]
CN = localhost
`;

const SERVER_EXT = `[v3_server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, IP:::1, DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
`;

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync('openssl', args, {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      // The system's openssl.cnf must not change what is made here.
      env: { ...process.env, OPENSSL_CONF: join(cwd, 'ca.cnf') },
    });
  } catch (err) {
    const e = err as { stderr?: Buffer; message: string };
    throw new Error(`openssl ${args[0]} failed: ${e.stderr?.toString().trim() || e.message}`);
  }
}

function serial(): string {
  const b = randomBytes(16);
  b[0] = (b[0] ?? 0) & 0x7f; // positive
  return '0x' + b.toString('hex');
}

/**
 * Makes a CA and a server certificate (valid for 7 days from now) in `dir` (created
 * when missing): ca.pem, ca.key, server.pem, server.key.
 */
export function makeTestPki(dir: string): TestPki {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'ca.cnf'), CA_CONFIG);
  writeFileSync(join(dir, 'server.cnf'), SERVER_CONFIG);
  writeFileSync(join(dir, 'server-ext.cnf'), SERVER_EXT);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

  openssl(
    ['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-config', 'ca.cnf',
      '-sha256', '-days', '7', '-set_serial', serial()],
    dir,
  );
  openssl(
    ['req', '-new', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-config', 'server.cnf'],
    dir,
  );
  openssl(
    ['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', serial(),
      '-sha256', '-days', '7', '-extfile', 'server-ext.cnf', '-extensions', 'v3_server', '-out', 'server.pem'],
    dir,
  );

  const caCertPath = join(dir, 'ca.pem');
  return {
    caCertPath,
    caPem: readFileSync(caCertPath, 'utf8'),
    certPem: readFileSync(join(dir, 'server.pem'), 'utf8'),
    keyPem: readFileSync(join(dir, 'server.key'), 'utf8'),
  };
}
