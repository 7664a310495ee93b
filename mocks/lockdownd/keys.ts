// RSA key pairs for the simulated device and the host pair records it creates. Generating 2048-bit keys takes
// tens of milliseconds each and tests start many simulators, so keys are cached per process by slot name.
import { generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';

const generateKeyPairAsync = promisify(generateKeyPair);

export interface RsaKeyPair {
  /** PKCS#8 PEM (`BEGIN PRIVATE KEY`), as libimobiledevice 1.3.0 writes pair-record keys. */
  privateKeyPem: string;
  /** PKCS#1 PEM (`BEGIN RSA PUBLIC KEY`), the form lockdownd reports as DevicePublicKey. */
  publicKeyPkcs1Pem: string;
}

const cache = new Map<string, Promise<RsaKeyPair>>();

async function generate(): Promise<RsaKeyPair> {
  const { privateKey, publicKey } = await generateKeyPairAsync('rsa', {
    modulusLength: 2048,
    publicExponent: 65537,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });
  return { privateKeyPem: privateKey, publicKeyPkcs1Pem: publicKey };
}

/** The key pair for `slot` (e.g. "root", "host", "device-1"), generated once per process. */
export function cachedKeyPair(slot: string): Promise<RsaKeyPair> {
  let p = cache.get(slot);
  if (!p) {
    p = generate();
    cache.set(slot, p);
    p.catch(() => cache.delete(slot));
  }
  return p;
}
