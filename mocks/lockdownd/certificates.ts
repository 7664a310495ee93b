// X.509 certificates of a pairing (root CA, host, device), made as libimobiledevice makes them: RSA, serial 0,
// empty subject and issuer, ten years, signed by the root (SHA-256, as libimobiledevice master does).
import { X509Certificate, createPublicKey } from 'node:crypto';
import { createRequire } from 'node:module';
import type Forge from 'node-forge';

let forgeLib: typeof Forge | undefined;
/**
 * node-forge, loaded on first use: a static import made every command of the bundled CLI pay ≈ 45 ms of start-up
 * for a library that only pairing needs.
 */
function loadForge(): typeof Forge {
  return (forgeLib ??= createRequire(import.meta.url)('node-forge') as typeof Forge);
}

export type CertKind = 'root' | 'host' | 'device';

export interface MakeCertOptions {
  kind: CertKind;
  /** Public key of the certificate's subject, any PEM form Node reads (PKCS#1 or SPKI). */
  subjectPublicKeyPem: string;
  /** Private key (PEM) of the root that signs it (the subject's own key for the root). */
  issuerPrivateKeyPem: string;
}

function forgePublicKey(pem: string): Forge.pki.rsa.PublicKey {
  const forge = loadForge();
  const spki = createPublicKey(pem).export({ type: 'spki', format: 'pem' }).toString();
  return forge.pki.publicKeyFromPem(spki) as Forge.pki.rsa.PublicKey;
}

function extensionsFor(kind: CertKind): object[] {
  if (kind === 'root') return [{ name: 'basicConstraints', cA: true, critical: true }];
  const ext: object[] = [
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
  ];
  if (kind === 'device') ext.push({ name: 'subjectKeyIdentifier' });
  return ext;
}

export function makeCertificate(opts: MakeCertOptions): string {
  const forge = loadForge();
  const cert = forge.pki.createCertificate();
  cert.publicKey = forgePublicKey(opts.subjectPublicKeyPem);
  cert.serialNumber = '00';
  const now = new Date();
  cert.validity.notBefore = now;
  cert.validity.notAfter = new Date(now.getTime() + 10 * 365 * 24 * 3600 * 1000);
  cert.setSubject([]);
  cert.setIssuer([]);
  cert.setExtensions(extensionsFor(opts.kind));
  cert.sign(forge.pki.privateKeyFromPem(opts.issuerPrivateKeyPem), forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}

/** Why a pair record's certificates do not belong to this device, or undefined when they do. */
export function checkPairCertificates(
  rootCertPem: string,
  deviceCertPem: string,
  devicePublicKeyPem: string,
): string | undefined {
  let root: X509Certificate;
  let device: X509Certificate;
  try {
    root = new X509Certificate(rootCertPem);
    device = new X509Certificate(deviceCertPem);
  } catch {
    return 'a certificate does not parse';
  }
  const want = createPublicKey(devicePublicKeyPem).export({ type: 'spki', format: 'der' });
  const got = device.publicKey.export({ type: 'spki', format: 'der' });
  if (!want.equals(got)) return "DeviceCertificate is not over the device's public key";
  if (!device.verify(root.publicKey)) return 'DeviceCertificate is not signed by RootCertificate';
  return undefined;
}
