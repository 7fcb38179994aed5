import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const hasOpenssl = spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0;

/** For `describe.skipIf`: skip without the openssl CLI, except in CI, where makeTlsFiles then throws and the suite fails. */
export const skipOpenssl = !hasOpenssl && process.env.CI !== 'true';

/** PEM files of a throwaway private CA, a server certificate for 127.0.0.1 and a client certificate, all signed by the CA. */
export interface TlsFiles {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

/** Makes them with the openssl CLI in `dir` (EC P-256 keys, one day). */
export function makeTlsFiles(dir: string): TlsFiles {
  const file = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  const key = (name: string) => openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file(name));
  key('ca.key');
  openssl('req', '-x509', '-new', '-key', file('ca.key'), '-subj', '/CN=capbus test CA', '-days', '1', '-out', file('ca.pem'));
  const signed = (name: string, subject: string, extensions: string) => {
    key(`${name}.key`);
    openssl('req', '-new', '-key', file(`${name}.key`), '-subj', subject, '-out', file(`${name}.csr`));
    openssl('x509', '-req', '-in', file(`${name}.csr`), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-CAcreateserial', '-days', '1', '-extfile', extensions, '-out', file(`${name}.pem`));
  };
  const ext = (name: string, text: string) => {
    writeFileSync(file(name), text + '\n');
    return file(name);
  };
  signed('server', '/CN=127.0.0.1', ext('server.ext', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth'));
  signed('client', '/CN=capbus client', ext('client.ext', 'extendedKeyUsage=clientAuth'));
  return { ca: file('ca.pem'), serverCert: file('server.pem'), serverKey: file('server.key'), clientCert: file('client.pem'), clientKey: file('client.key') };
}
