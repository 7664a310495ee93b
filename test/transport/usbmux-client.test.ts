import { once } from 'node:events';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../mocks/simulator.js';
import { decodePlist, encodePlist, isPlistDict } from '../../protocols/index.js';
import { UsbmuxClient, type MuxDevice } from '../../src/transport/index.js';
import { TransportError } from '../../src/transport/errors.js';
import { expectNoLeaks, handleCounts } from './handles.js';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

describe('UsbmuxClient against the simulated usbmuxd', () => {
  it('lists USB and Network devices, reads the BUID and pair records', async () => {
    sim = await startSimulator({ devices: [{}, { connectionType: 'Network', paired: false }] });
    const baseline = handleCounts();
    const mux = new UsbmuxClient({ address: sim.address });
    const list = await mux.listDevices();
    expect(list.map((d) => [d.udid, d.connectionType])).toEqual([
      [sim.devices[0]!.udid, 'USB'],
      [sim.devices[1]!.udid, 'Network'],
    ]);
    expect(list[0]!.deviceId).toBe(sim.devices[0]!.deviceId);
    const buid = await mux.readBuid();
    expect(buid).toMatch(/^[0-9A-F-]{36}$/i);
    const rec = await mux.readPairRecord(sim.devices[0]!.udid);
    expect(rec).toBeInstanceOf(Buffer);
    const decoded = decodePlist(rec!);
    expect(isPlistDict(decoded) && typeof decoded.HostID).toBe('string');
    expect(await mux.readPairRecord(sim.devices[1]!.udid)).toBeUndefined();
    await expectNoLeaks(baseline);
  });

  it('saves and deletes pair records', async () => {
    sim = await startSimulator({ devices: [{ paired: false }] });
    const mux = new UsbmuxClient({ address: sim.address });
    const udid = sim.devices[0]!.udid;
    const data = encodePlist({ HostID: 'ABC', SystemBUID: 'X' }, 'binary');
    await mux.savePairRecord(udid, data, sim.devices[0]!.deviceId);
    expect(Buffer.compare((await mux.readPairRecord(udid))!, data)).toBe(0);
    expect(sim.pairRecord(udid)).toMatchObject({ HostID: 'ABC' });
    await mux.deletePairRecord(udid);
    expect(await mux.readPairRecord(udid)).toBeUndefined();
  });

  it('gives typed errors: unknown device, refused port, no usbmuxd', async () => {
    sim = await startSimulator();
    const mux = new UsbmuxClient({ address: sim.address });
    const baseline = handleCounts();
    const noDev = await mux.connect(9999, 62078).catch((e: unknown) => e);
    expect(noDev).toBeInstanceOf(TransportError);
    expect((noDev as TransportError).code).toBe('DEVICE_NOT_FOUND');
    expect((noDev as TransportError).message).toContain('device not found');
    const refused = await mux.connect(sim.devices[0]!.deviceId, 4242).catch((e: unknown) => e);
    expect((refused as TransportError).code).toBe('CONNECTION_REFUSED');
    expect((refused as TransportError).message).toContain('connection refused by device');
    const none = new UsbmuxClient({ address: `UNIX:${join(tmpdir(), `no-such-mux-${process.pid}.sock`)}` });
    const notRunning = await none.listDevices().catch((e: unknown) => e);
    expect((notRunning as TransportError).code).toBe('MUX_NOT_RUNNING');
    expect((notRunning as TransportError).message).toContain('no usbmuxd running');
    expect((notRunning as TransportError).message).toContain('is it installed/started?');
    await expectNoLeaks(baseline);
  });

  it('connects to lockdownd and gets a raw pipe', async () => {
    sim = await startSimulator();
    const mux = new UsbmuxClient({ address: sim.address });
    const sock = await mux.connect(sim.devices[0]!.deviceId, 62078);
    const { encodeLockdownFrame, LockdownFrameDecoder } = await import('../../protocols/index.js');
    sock.write(encodeLockdownFrame({ Request: 'QueryType' }));
    const dec = new LockdownFrameDecoder();
    let msgs: unknown[] = [];
    while (msgs.length === 0) msgs = dec.push((await once(sock, 'data'))[0] as Buffer);
    expect(msgs[0]).toMatchObject({ Type: 'com.apple.mobile.lockdown' });
    sock.destroy();
  });

  it('Listen reports attached devices, then detach and re-attach', async () => {
    sim = await startSimulator({ devices: [{}, {}] });
    const baseline = handleCounts();
    const mux = new UsbmuxClient({ address: sim.address });
    const listener = await mux.listen();
    const attached: MuxDevice[] = [];
    const detached: { deviceId: number; udid?: string }[] = [];
    listener.on('attached', (d) => attached.push(d));
    listener.on('detached', (d) => detached.push(d));
    const waitFor = async (cond: () => boolean): Promise<void> => {
      const end = Date.now() + 5000;
      while (!cond()) {
        if (Date.now() > end) throw new Error('timed out waiting for a Listen event');
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    await waitFor(() => attached.length === 2);
    expect(attached.map((d) => d.udid).sort()).toEqual(sim.devices.map((d) => d.udid).sort());
    sim.devices[1]!.detach();
    await waitFor(() => detached.length === 1);
    expect(detached[0]).toEqual({ deviceId: sim.devices[1]!.deviceId, udid: sim.devices[1]!.udid });
    expect((await mux.listDevices()).map((d) => d.udid)).toEqual([sim.devices[0]!.udid]);
    sim.devices[1]!.attach();
    await waitFor(() => attached.length === 3);
    expect(attached[2]!.udid).toBe(sim.devices[1]!.udid);
    const closed = once(listener, 'close');
    listener.close();
    await closed;
    await expectNoLeaks(baseline);
  });
});
