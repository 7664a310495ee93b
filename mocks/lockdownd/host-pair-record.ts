// The pair record a simulator keeps ready for the host ("paired" mode), so tools work without pairing first:
// the same keys and certificates a host makes when it pairs, plus the device's view of that pairing.
import { randomBytes, randomUUID } from 'node:crypto';
import type { PlistDict } from '../../protocols/index.js';
import type { PairedHost } from '../device/pairing-state.js';
import { makeCertificate } from './certificates.js';
import { cachedKeyPair } from './keys.js';

export interface HostPairing {
  /** What usbmuxd serves as PairRecordData (encode as a binary plist). */
  record: PlistDict;
  /** What the device remembers about this host. */
  device: PairedHost;
}

export interface HostPairingInput {
  devicePublicKeyPem: string;
  systemBUID: string;
  wifiAddress: string;
}

export function newEscrowBag(): Buffer {
  return randomBytes(48);
}

export async function createHostPairing(input: HostPairingInput): Promise<HostPairing> {
  const [root, host] = await Promise.all([cachedKeyPair('host-root'), cachedKeyPair('host-cert')]);
  const rootCertPem = makeCertificate({
    kind: 'root',
    subjectPublicKeyPem: root.publicKeyPkcs1Pem,
    issuerPrivateKeyPem: root.privateKeyPem,
  });
  const hostCertPem = makeCertificate({
    kind: 'host',
    subjectPublicKeyPem: host.publicKeyPkcs1Pem,
    issuerPrivateKeyPem: root.privateKeyPem,
  });
  const deviceCertPem = makeCertificate({
    kind: 'device',
    subjectPublicKeyPem: input.devicePublicKeyPem,
    issuerPrivateKeyPem: root.privateKeyPem,
  });
  const hostId = randomUUID().toUpperCase();
  const escrowBag = newEscrowBag();
  const record: PlistDict = {
    DeviceCertificate: Buffer.from(deviceCertPem),
    EscrowBag: escrowBag,
    HostCertificate: Buffer.from(hostCertPem),
    HostID: hostId,
    HostPrivateKey: Buffer.from(host.privateKeyPem),
    RootCertificate: Buffer.from(rootCertPem),
    RootPrivateKey: Buffer.from(root.privateKeyPem),
    SystemBUID: input.systemBUID,
    WiFiMACAddress: input.wifiAddress,
  };
  return {
    record,
    device: { hostId, systemBUID: input.systemBUID, rootCertPem, hostCertPem, deviceCertPem, escrowBag },
  };
}
