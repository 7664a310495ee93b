// The simulated usbmuxd over its real unix socket, driven with the protocols/ usbmux codec.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encodePlist } from '../../protocols/index.js';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator.js';
import { MuxClient } from './wire.js';

let sim: TestSimulator | undefined;
const clients: MuxClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await sim?.stop();
  sim = undefined;
});

async function mux(): Promise<MuxClient> {
  const c = await MuxClient.open(sim!.socketPath!);
  clients.push(c);
  return c;
}

describe('simulated usbmuxd', () => {
  it('lists USB and Network devices with DeviceID ≥ 1 and echoes the tag', async () => {
    sim = await startTestSimulator({ devices: [{}, { connectionType: 'Network' }] });
    const c = await mux();
    await c.request({ MessageType: 'ReadBUID' });
    const r = await c.request({ MessageType: 'ListDevices' });
    expect(r._tag).toBe(2);
    const list = r.DeviceList as { DeviceID: number; MessageType: string; Properties: Record<string, unknown> }[];
    expect(list.map((d) => d.DeviceID)).toEqual([1, 2]);
    expect(list[0]!.MessageType).toBe('Attached');
    expect(list[0]!.Properties).toMatchObject({ ConnectionType: 'USB', DeviceID: 1, SerialNumber: sim.devices[0]!.udid });
    expect(list[1]!.Properties).toMatchObject({ ConnectionType: 'Network', DeviceID: 2, SerialNumber: sim.devices[1]!.udid });
    const addr = Buffer.from(list[1]!.Properties.NetworkAddress as Uint8Array);
    expect([addr[0], addr[1]]).toEqual([16, 2]);
  });

  it('Listen reports Attached, then Detached and Attached again around a reboot; Connect is refused meanwhile', async () => {
    sim = await startTestSimulator();
    const l = await mux();
    expect(await l.request({ MessageType: 'Listen' })).toMatchObject({ MessageType: 'Result', Number: 0 });
    expect(await l.next()).toMatchObject({ MessageType: 'Attached', DeviceID: 1 });
    const t0 = Date.now();
    sim.devices[0]!.reboot(300);
    expect(await l.next()).toEqual({ MessageType: 'Detached', DeviceID: 1 });
    const during = await (await mux()).request({ MessageType: 'Connect', DeviceID: 1, PortNumber: 32498 });
    expect(during).toMatchObject({ MessageType: 'Result', Number: 2 });
    const list = await (await mux()).request({ MessageType: 'ListDevices' });
    expect(list.DeviceList).toEqual([]);
    expect(await l.next()).toMatchObject({ MessageType: 'Attached', DeviceID: 1 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    const after = await (await mux()).request({ MessageType: 'Connect', DeviceID: 1, PortNumber: 32498 });
    expect(after).toMatchObject({ Number: 0 });
  });

  it('refuses unknown ports (3), unknown devices (2) and unknown messages (1)', async () => {
    sim = await startTestSimulator();
    expect((await (await mux()).request({ MessageType: 'Connect', DeviceID: 1, PortNumber: 0x1f90 })).Number).toBe(3);
    expect((await (await mux()).request({ MessageType: 'Connect', DeviceID: 9, PortNumber: 32498 })).Number).toBe(2);
    expect((await (await mux()).request({ MessageType: 'Frobnicate' })).Number).toBe(1);
  });

  it('serves, saves (0600), and deletes pair records; SavePairRecord notifies listeners with Paired', async () => {
    sim = await startTestSimulator({ devices: [{ paired: false }] });
    const udid = sim.devices[0]!.udid;
    const c = await mux();
    expect(await c.request({ MessageType: 'ReadPairRecord', PairRecordID: udid })).toMatchObject({ Number: 2 });
    const l = await mux();
    await l.request({ MessageType: 'Listen' });
    await l.next();
    const data = encodePlist({ HostID: 'H', SystemBUID: 'B' }, 'binary');
    expect(await c.request({ MessageType: 'SavePairRecord', PairRecordID: udid, PairRecordData: data, DeviceID: 1 })).toMatchObject({ Number: 0 });
    expect(await l.next()).toEqual({ MessageType: 'Paired', DeviceID: 1 });
    const read = await c.request({ MessageType: 'ReadPairRecord', PairRecordID: udid });
    expect(Buffer.from(read.PairRecordData as Uint8Array)).toEqual(data);
    expect(statSync(join(sim.stateDir, 'lockdown', `${udid}.plist`)).mode & 0o777).toBe(0o600);
    expect(await c.request({ MessageType: 'DeletePairRecord', PairRecordID: udid })).toMatchObject({ Number: 0 });
    expect(await c.request({ MessageType: 'ReadPairRecord', PairRecordID: udid })).toMatchObject({ Number: 2 });
    expect(await c.request({ MessageType: 'ReadPairRecord', PairRecordID: '../../etc/passwd' })).toMatchObject({ Number: 2 });
  });

  it('keeps one SystemBUID and lists listeners', async () => {
    sim = await startTestSimulator();
    const a = await (await mux()).request({ MessageType: 'ReadBUID' });
    const b = await (await mux()).request({ MessageType: 'ReadBUID' });
    expect(a.BUID).toMatch(/^[0-9A-F-]{36}$/);
    expect(b.BUID).toBe(a.BUID);
    expect(sim.pairRecord(sim.devices[0]!.udid)?.SystemBUID).toBe(a.BUID);
    const l = await mux();
    await l.request({ MessageType: 'Listen' });
    const r = await (await mux()).request({ MessageType: 'ListListeners' });
    expect(r.ListenerList).toEqual([expect.objectContaining({ ProgName: 'vitest' })]);
  });
});
