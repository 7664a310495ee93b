import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../mocks/simulator.js';
import { connect } from '../../src/lockdown/device.js';
import { listDevices } from '../../src/lockdown/devices.js';
import { LockdownError } from '../../src/lockdown/errors.js';
import { NotificationProxyClient, NOTIFICATION_PROXY_SERVICE } from '../../src/services/notification-proxy/index.js';
import { AFC_SERVICE, AfcClient } from '../../src/services/afc/index.js';
import { TLSSocket } from 'node:tls';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

describe('connect() against the simulator', () => {
  it('opens a TLS session, reads values, starts services with and without service TLS', async () => {
    sim = await startSimulator({ devices: [{ sessionSSL: true, serviceSSL: { [AFC_SERVICE]: true } }] });
    const udid = sim.devices[0]!.udid;
    const dev = await connect(udid, { muxAddress: sim.address, pairRecordDir: false });
    try {
      expect(dev.udid).toBe(udid);
      expect(dev.connectionType).toBe('USB');
      expect(dev.lockdown.tls).toBe(true);
      expect(await dev.lockdown.getValue(undefined, 'UniqueDeviceID')).toBe(udid);
      const all = await dev.lockdown.getValue();
      expect(all).toMatchObject({ UniqueDeviceID: udid });
      expect(typeof (all as Record<string, unknown>).ProductVersion).toBe('string');

      const afcConn = await dev.startService(AFC_SERVICE);
      expect(afcConn.stream).toBeInstanceOf(TLSSocket);
      const afc = new AfcClient(afcConn);
      expect(Array.isArray(await afc.readDir('/'))).toBe(true);
      await afc.disconnect();

      const npConn = await dev.startService(NOTIFICATION_PROXY_SERVICE);
      expect(npConn.stream).not.toBeInstanceOf(TLSSocket);
      const np = new NotificationProxyClient(npConn);
      const got = new Promise<string>((resolve) => np.onNotification(resolve));
      await np.observe('com.apple.itunes-client.syncCancelRequest');
      await new Promise((r) => setTimeout(r, 50));
      sim.devices[0]!.postNotification('com.apple.itunes-client.syncCancelRequest');
      expect(await got).toBe('com.apple.itunes-client.syncCancelRequest');
      await np.close();
    } finally {
      await dev.close();
    }
  });

  it('works without session TLS and reports lockdown errors as typed errors', async () => {
    sim = await startSimulator({ devices: [{ sessionSSL: false }] });
    const dev = await connect(undefined, { muxAddress: sim.address, pairRecordDir: false });
    try {
      expect(dev.lockdown.tls).toBe(false);
      const err = await dev.startService('com.example.nope').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LockdownError);
      expect((err as LockdownError).code).toBe('InvalidService');
      expect(await dev.lockdown.getValue(undefined, 'DeviceName')).toBeTypeOf('string');
    } finally {
      await dev.close();
    }
  });

  it('lists devices with details', async () => {
    sim = await startSimulator({ devices: [{}, { paired: false, connectionType: 'Network' }] });
    const list = await listDevices({ muxAddress: sim.address, pairRecordDir: false });
    expect(list).toHaveLength(2);
    const [a, b] = list;
    expect(a).toMatchObject({ udid: sim.devices[0]!.udid, connectionType: 'USB', paired: true });
    expect(a!.name).toBeTypeOf('string');
    expect(a!.model).toBeTypeOf('string');
    expect(a!.productVersion).toBeTypeOf('string');
    expect(b).toMatchObject({ udid: sim.devices[1]!.udid, connectionType: 'Network', paired: false });
  });
});
