// lockdownd Pair / ValidatePair / Unpair on the simulated device: the trust dialog (pending, deny), the passcode
// lock, and checking that the host's certificates really belong to this device.
import { isPlistDict, type PlistDict, type PlistValue } from '../../protocols/index.js';
import type { SimulatedDevice } from '../device/sim-device.js';
import { checkPairCertificates } from './certificates.js';
import { newEscrowBag } from './host-pair-record.js';

/** A PEM delivered as plist data (or, leniently, as a string). */
export function pemOf(v: PlistValue | undefined): string | undefined {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
  return undefined;
}

function fail(request: string, error: string): PlistDict {
  return { Request: request, Error: error };
}

export function handlePair(req: PlistDict, device: SimulatedDevice): PlistDict {
  const record = req.PairRecord;
  if (!isPlistDict(record)) return fail('Pair', 'MissingPairRecord');
  if (device.locked) return fail('Pair', 'PasswordProtected');
  const trust = device.trust;
  if (trust === 'deny') return fail('Pair', 'UserDeniedPairing');
  if (typeof trust === 'object' && device.pairAttempts < trust.pendingAttempts) {
    device.pairAttempts++;
    return fail('Pair', 'PairingDialogResponsePending');
  }
  const hostId = record.HostID;
  const rootCertPem = pemOf(record.RootCertificate);
  const hostCertPem = pemOf(record.HostCertificate);
  const deviceCertPem = pemOf(record.DeviceCertificate);
  if (typeof hostId !== 'string' || !hostId || !rootCertPem || !hostCertPem || !deviceCertPem) {
    return fail('Pair', 'InvalidPairRecord');
  }
  const problem = checkPairCertificates(rootCertPem, deviceCertPem, device.keys.publicKeyPkcs1Pem);
  if (problem) return fail('Pair', 'InvalidPairRecord');
  const existing = device.pairedHost(hostId);
  const escrowBag = existing?.escrowBag ?? newEscrowBag();
  device.addPairedHost({
    hostId,
    systemBUID: typeof record.SystemBUID === 'string' ? record.SystemBUID : '',
    rootCertPem,
    hostCertPem,
    deviceCertPem,
    escrowBag,
  });
  return { Request: 'Pair', EscrowBag: escrowBag };
}

export function handleValidatePair(req: PlistDict, device: SimulatedDevice): PlistDict {
  const record = req.PairRecord;
  if (!isPlistDict(record)) return fail('ValidatePair', 'MissingPairRecord');
  if (!device.pairedHost(record.HostID)) return fail('ValidatePair', 'InvalidHostID');
  return { Request: 'ValidatePair' };
}

export function handleUnpair(req: PlistDict, device: SimulatedDevice, sessionHostId?: string): PlistDict {
  const record = req.PairRecord;
  const hostId = isPlistDict(record) ? record.HostID : sessionHostId;
  if (typeof hostId !== 'string') return fail('Unpair', 'MissingPairRecord');
  if (!device.removePairedHost(hostId)) return fail('Unpair', 'InvalidHostID');
  return { Request: 'Unpair' };
}
