import { IBackupError } from '../errors.js';
import { layerLogger } from '../log.js';
import { TransportError, delay, resolveTimeouts, type MuxDevice, type UsbmuxClient } from '../transport/index.js';
import { isLockdownError } from './errors.js';
import type { LockdownClient } from './lockdown-client.js';
import { findDevice, muxFor, openLockdownClient, type DeviceOptions } from './open.js';
import {
  deletePairRecordFile,
  encodePairRecord,
  loadPairRecord,
  newHostId,
  userPairRecordDir,
  writePairRecordFile,
  type PairRecord,
} from './pair-record.js';

const log = layerLogger('lockdown');

/** Progress of a pairing that a UI can show. */
export type PairingEvent =
  | { type: 'trust-pending'; attempt: number; message: string }
  | { type: 'unlock-required'; attempt: number; message: string }
  | { type: 'paired'; udid: string };

export interface PairOptions extends DeviceOptions {
  onEvent?: (e: PairingEvent) => void;
  /** Keep retrying while the device is locked (PasswordProtected) instead of failing at once (default false). */
  waitForUnlock?: boolean;
}

export interface PairResult {
  udid: string;
  record: PairRecord;
  /** Whether usbmuxd accepted the record (SavePairRecord). */
  savedToUsbmuxd: boolean;
  /** The 0600 file written, when one was. */
  file?: string;
}

export const TRUST_MESSAGE = 'Tap “Trust” on the iPhone and enter its passcode to pair with this computer.';
export const UNLOCK_MESSAGE = 'Unlock the iPhone to pair with this computer.';

/** Pairs on an open lockdown connection (no session yet). Generates the certificates and saves the record. */
export async function pairOnClient(client: LockdownClient, mux: UsbmuxClient, device: MuxDevice, opts: PairOptions = {}): Promise<PairResult> {
  const timeouts = resolveTimeouts(opts.timeouts);
  const signal = opts.signal;
  const publicKey = await client.getValue(undefined, 'DevicePublicKey', signal);
  if (!(publicKey instanceof Uint8Array) && typeof publicKey !== 'string') {
    throw new IBackupError('PAIRING_FAILED', 'the device did not send its public key (DevicePublicKey)', {
      hint: 'Reconnect the device over USB and try again.',
    });
  }
  const wifi = await client.getValue(undefined, 'WiFiAddress', signal).catch(() => undefined);
  let systemBuid: string;
  try {
    systemBuid = await mux.readBuid(signal);
  } catch (err) {
    if (err instanceof TransportError && (err.code === 'ABORTED' || err.code === 'MUX_NOT_RUNNING')) throw err;
    systemBuid = newHostId();
    log.debug({ err: (err as Error).message }, 'ReadBUID failed; using a fresh SystemBUID');
  }
  // node-forge (≈ 40 modules) is loaded only here, when a pair record is made, not on every start-up.
  const { generatePairingCertificates } = await import('./certificates.js');
  const record: PairRecord = { ...generatePairingCertificates(publicKey), HostID: newHostId(), SystemBUID: systemBuid };
  if (typeof wifi === 'string') record.WiFiMACAddress = wifi;

  const deadline = Date.now() + timeouts.pairingDialogMs;
  let reply;
  for (let attempt = 1; ; attempt++) {
    try {
      reply = await client.pair(record, signal);
      break;
    } catch (err) {
      const pending = isLockdownError(err, 'PairingDialogResponsePending');
      const locked = isLockdownError(err, 'PasswordProtected') && opts.waitForUnlock === true;
      if (!pending && !locked) throw err;
      opts.onEvent?.(
        pending ? { type: 'trust-pending', attempt, message: TRUST_MESSAGE } : { type: 'unlock-required', attempt, message: UNLOCK_MESSAGE },
      );
      if (Date.now() + timeouts.pairingRetryMs > deadline) {
        throw new TransportError(
          'TIMEOUT',
          pending
            ? `pairing: “Trust” was not tapped on the iPhone within ${Math.round(timeouts.pairingDialogMs / 1000)} s`
            : `pairing: the iPhone stayed locked for ${Math.round(timeouts.pairingDialogMs / 1000)} s`,
          { cause: err, hint: pending ? TRUST_MESSAGE : UNLOCK_MESSAGE },
        );
      }
      await delay(timeouts.pairingRetryMs, signal, 'pairing');
    }
  }
  if (reply.EscrowBag instanceof Uint8Array) record.EscrowBag = Buffer.from(reply.EscrowBag);
  const result = await savePairing(mux, device, record, opts);
  opts.onEvent?.({ type: 'paired', udid: device.udid });
  return result;
}

/** Saves through usbmuxd (SavePairRecord) and as a 0600 file; fails only if neither worked. */
async function savePairing(mux: UsbmuxClient, device: MuxDevice, record: PairRecord, opts: PairOptions): Promise<PairResult> {
  let savedToUsbmuxd = false;
  let muxError: unknown;
  try {
    await mux.savePairRecord(device.udid, encodePairRecord(record), device.deviceId, opts.signal);
    savedToUsbmuxd = true;
  } catch (err) {
    muxError = err;
    log.warn({ err: (err as Error).message }, 'usbmuxd did not store the pair record');
  }
  const result: PairResult = { udid: device.udid, record, savedToUsbmuxd };
  if (opts.pairRecordDir !== false) {
    try {
      result.file = await writePairRecordFile(opts.pairRecordDir ?? userPairRecordDir(), device.udid, record);
    } catch (err) {
      if (!savedToUsbmuxd) throw err;
      log.warn({ err: (err as Error).message }, 'could not write the pair record file');
    }
  } else if (!savedToUsbmuxd) {
    throw muxError;
  }
  return result;
}

/** `ibackup pair`: pairs with the device (Trust dialog on the device), saving the record. */
export async function pairDevice(udid?: string, opts: PairOptions = {}): Promise<PairResult> {
  const mux = muxFor(opts);
  const device = await findDevice(mux, udid, opts.signal);
  const client = await openLockdownClient(mux, device, opts);
  try {
    return await pairOnClient(client, mux, device, opts);
  } finally {
    await client.close();
  }
}

/** `ibackup validate`: checks that the stored pair record is accepted by the device (by starting a session). */
export async function validatePairing(udid?: string, opts: DeviceOptions = {}): Promise<{ udid: string; hostId: string }> {
  const mux = muxFor(opts);
  const device = await findDevice(mux, udid, opts.signal);
  const found = await loadPairRecord(device.udid, { mux, pairRecordDir: opts.pairRecordDir, signal: opts.signal });
  if (!found) throw notPaired(device.udid);
  const client = await openLockdownClient(mux, device, opts);
  try {
    const version = await client.getValue(undefined, 'ProductVersion', opts.signal).catch(() => undefined);
    const major = typeof version === 'string' ? Number.parseInt(version, 10) : NaN;
    if (major < 7) await client.validatePair(found.record, opts.signal);
    await client.startSession(found.record, { signal: opts.signal, maxTls10: major < 10 });
    await client.stopSession(opts.signal);
    return { udid: device.udid, hostId: found.record.HostID };
  } finally {
    await client.close();
  }
}

export interface UnpairResult {
  udid: string;
  /** The device accepted Unpair (false when it no longer knew this host). */
  device: boolean;
  usbmuxd: boolean;
  file: boolean;
}

/** `ibackup unpair`: tells the device to forget this host, and deletes the stored records. */
export async function unpairDevice(udid?: string, opts: DeviceOptions = {}): Promise<UnpairResult> {
  const mux = muxFor(opts);
  const device = await findDevice(mux, udid, opts.signal);
  const found = await loadPairRecord(device.udid, { mux, pairRecordDir: opts.pairRecordDir, signal: opts.signal });
  if (!found) throw notPaired(device.udid);
  const result: UnpairResult = { udid: device.udid, device: false, usbmuxd: false, file: false };
  const client = await openLockdownClient(mux, device, opts);
  try {
    await client.unpair(found.record, opts.signal);
    result.device = true;
  } catch (err) {
    if (!isLockdownError(err, 'InvalidHostID')) throw err;
  } finally {
    await client.close();
  }
  try {
    await mux.deletePairRecord(device.udid, opts.signal);
    result.usbmuxd = true;
  } catch (err) {
    log.debug({ err: (err as Error).message }, 'usbmuxd DeletePairRecord failed');
  }
  if (opts.pairRecordDir !== false) result.file = await deletePairRecordFile(opts.pairRecordDir ?? userPairRecordDir(), device.udid);
  return result;
}

export function notPaired(udid: string): IBackupError {
  return new IBackupError('NOT_PAIRED', `this computer is not paired with ${udid}`, {
    hint: 'Run `ibackup pair` and tap “Trust” on the iPhone.',
  });
}
