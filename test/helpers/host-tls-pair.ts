// A TLS server standing in for a device and the host's side of it: a plain TCP socket upgraded with the engine's
// own upgradeToTls (src/lockdown/tls.ts), as lockdown and service connections are.
import { generateKeyPairSync } from 'node:crypto';
import net from 'node:net';
import { createServer, type TlsOptions, type TLSSocket } from 'node:tls';
import { afterEach } from 'vitest';
import { makeCertificate } from '../../mocks/lockdownd/certificates.js';
import { upgradeToTls } from '../../src/lockdown/tls.js';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const keyPem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
const certPem = makeCertificate({ kind: 'root', subjectPublicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(), issuerPrivateKeyPem: keyPem });

const open: TLSSocket[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.destroy();
});

/** Both ends of one connection (destroyed after the test); `serverOptions` configure the device's side. */
export async function hostTlsPair(serverOptions: TlsOptions = {}): Promise<{ host: TLSSocket; device: TLSSocket }> {
  const server = createServer({ key: keyPem, cert: certPem, ...serverOptions });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const device = new Promise<TLSSocket>((r) => server.once('secureConnection', r));
  const raw = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  await new Promise<void>((r, j) => raw.once('connect', r).once('error', j));
  const host = await upgradeToTls(raw, { cert: Buffer.from(certPem), key: Buffer.from(keyPem) }, 'test service', { timeoutMs: 10_000 });
  const dev = await device;
  server.close();
  open.push(host, dev);
  return { host, device: dev };
}
