import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../mocks/simulator.js';
import { connect } from '../../src/lockdown/device.js';
import { LockdownError } from '../../src/lockdown/errors.js';
import { readPairRecordFile } from '../../src/lockdown/pair-record.js';
import { pairDevice, unpairDevice, validatePairing, type PairingEvent } from '../../src/lockdown/pairing.js';
import { TransportError } from '../../src/transport/errors.js';

let sim: Simulator | undefined;
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ibk-pair-'));
});
afterEach(async () => {
  await sim?.close();
  sim = undefined;
  rmSync(dir, { recursive: true, force: true });
});

const fast = { pairingRetryMs: 50, pairingDialogMs: 10_000 };

describe('pairing from scratch', () => {
  it('pairs through a Trust dialog that stays pending for a few retries, then uses the record', async () => {
    sim = await startSimulator({ devices: [{ paired: false, trust: { pendingAttempts: 3 } }] });
    const udid = sim.devices[0]!.udid;
    expect(sim.pairRecord(udid)).toBeUndefined();
    const events: PairingEvent[] = [];
    const result = await pairDevice(udid, { muxAddress: sim.address, pairRecordDir: dir, timeouts: fast, onEvent: (e) => events.push(e) });
    expect(events.filter((e) => e.type === 'trust-pending').map((e) => (e as { attempt: number }).attempt)).toEqual([1, 2, 3]);
    expect(events.at(-1)).toEqual({ type: 'paired', udid });
    expect(events[0]).toMatchObject({ message: expect.stringContaining('Trust') });

    // Saved through usbmuxd (SavePairRecord) and as a 0600 file.
    expect(result.savedToUsbmuxd).toBe(true);
    expect(sim.pairRecord(udid)).toMatchObject({ HostID: result.record.HostID, SystemBUID: result.record.SystemBUID });
    expect(result.file).toBe(join(dir, `${udid}.plist`));
    expect(statSync(result.file!).mode & 0o777).toBe(0o600);
    const fromFile = await readPairRecordFile(dir, udid);
    expect(fromFile?.HostID).toBe(result.record.HostID);
    expect(result.record.EscrowBag?.length).toBeGreaterThan(0);

    // Certificates: SHA-256, root signs host and device cert, device cert carries the device's key.
    const root = new X509Certificate(result.record.RootCertificate);
    const host = new X509Certificate(result.record.HostCertificate);
    const devCert = new X509Certificate(result.record.DeviceCertificate);
    expect(host.verify(root.publicKey)).toBe(true);
    expect(devCert.verify(root.publicKey)).toBe(true);
    expect(root.ca).toBe(true);
    expect(host.ca).toBe(false);
    expect(result.record.HostPrivateKey.toString()).toContain('BEGIN PRIVATE KEY');

    // The new record works: TLS session, validate.
    const dev = await connect(udid, { muxAddress: sim.address, pairRecordDir: dir, autoPair: false });
    expect(await dev.lockdown.getValue(undefined, 'UniqueDeviceID')).toBe(udid);
    await dev.close();
    expect(await validatePairing(udid, { muxAddress: sim.address, pairRecordDir: dir })).toEqual({ udid, hostId: result.record.HostID });
  });

  it('falls back to the pair record file when usbmuxd has none', async () => {
    sim = await startSimulator({ devices: [{ paired: false }] });
    const udid = sim.devices[0]!.udid;
    const result = await pairDevice(udid, { muxAddress: sim.address, pairRecordDir: dir, timeouts: fast });
    const { UsbmuxClient } = await import('../../src/transport/index.js');
    await new UsbmuxClient({ address: sim.address }).deletePairRecord(udid);
    expect(sim.pairRecord(udid)).toBeUndefined();
    const dev = await connect(udid, { muxAddress: sim.address, pairRecordDir: dir, autoPair: false });
    expect(dev.pairRecord.HostID).toBe(result.record.HostID);
    await dev.close();
  });

  it('gives UserDeniedPairing as a typed error when Trust is refused', async () => {
    sim = await startSimulator({ devices: [{ paired: false, trust: 'deny' }] });
    const err = await pairDevice(undefined, { muxAddress: sim.address, pairRecordDir: dir, timeouts: fast }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockdownError);
    expect((err as LockdownError).code).toBe('UserDeniedPairing');
    expect((err as LockdownError).hint).toMatch(/Trust/);
    expect(sim.pairRecord(sim.devices[0]!.udid)).toBeUndefined();
  });

  it('gives PasswordProtected (unlock the iPhone) for a locked device, or waits for the unlock', async () => {
    sim = await startSimulator({ devices: [{ paired: false, locked: true }] });
    const err = await pairDevice(undefined, { muxAddress: sim.address, pairRecordDir: dir, timeouts: fast }).catch((e: unknown) => e);
    expect((err as LockdownError).code).toBe('PasswordProtected');
    expect((err as LockdownError).hint).toMatch(/[Uu]nlock the iPhone/);
    const events: string[] = [];
    const waiting = pairDevice(undefined, {
      muxAddress: sim.address,
      pairRecordDir: dir,
      timeouts: fast,
      waitForUnlock: true,
      onEvent: (e) => {
        events.push(e.type);
        if (e.type === 'unlock-required' && e.attempt === 2) (sim!.devices[0] as unknown as { locked: boolean }).locked = false;
      },
    });
    await expect(waiting).resolves.toMatchObject({ udid: sim.devices[0]!.udid });
    expect(events).toEqual(['unlock-required', 'unlock-required', 'paired']);
  });

  it('stops waiting for Trust after the pairing timeout', async () => {
    sim = await startSimulator({ devices: [{ paired: false, trust: { pendingAttempts: 1000 } }] });
    const err = await pairDevice(undefined, {
      muxAddress: sim.address,
      pairRecordDir: dir,
      timeouts: { pairingRetryMs: 50, pairingDialogMs: 400 },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).code).toBe('TIMEOUT');
    expect((err as TransportError).message).toContain('Trust');
  });

  it('connect() pairs automatically when there is no record; unpair makes the device forget the host', async () => {
    sim = await startSimulator({ devices: [{ paired: false }] });
    const udid = sim.devices[0]!.udid;
    const noPair = await connect(udid, { muxAddress: sim.address, pairRecordDir: dir, autoPair: false }).catch((e: unknown) => e);
    expect((noPair as LockdownError).code).toBe('NOT_PAIRED');
    const dev = await connect(udid, { muxAddress: sim.address, pairRecordDir: dir, timeouts: fast });
    const hostId = dev.pairRecord.HostID;
    await dev.close();
    const record = (await readPairRecordFile(dir, udid))!;
    const r = await unpairDevice(udid, { muxAddress: sim.address, pairRecordDir: dir });
    expect(r).toEqual({ udid, device: true, usbmuxd: true, file: true });
    expect(sim.devices[0]!.pairedHost(hostId)).toBeUndefined();
    expect(sim.pairRecord(udid)).toBeUndefined();
    // The device no longer accepts the old record.
    const { UsbmuxClient } = await import('../../src/transport/index.js');
    const { encodePairRecord } = await import('../../src/lockdown/pair-record.js');
    await new UsbmuxClient({ address: sim.address }).savePairRecord(udid, encodePairRecord(record));
    const stale = await validatePairing(udid, { muxAddress: sim.address, pairRecordDir: false }).catch((e: unknown) => e);
    expect((stale as LockdownError).code).toBe('InvalidHostID');
    expect((stale as LockdownError).hint).toMatch(/pair/);
  });
});
