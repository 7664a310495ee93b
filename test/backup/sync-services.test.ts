import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { startSyncServices } from '../../src/backup/sync-services.js';
import { connect, type DeviceHandle } from '../../src/lockdown/device.js';
import { MOBILEBACKUP2_SERVICE } from '../../src/services/mobilebackup2/index.js';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator.js';

let sim: TestSimulator;
beforeAll(async () => {
  sim = await startTestSimulator({ devices: [{ dataset: 'tiny' }] });
});
afterAll(async () => {
  await sim?.stop();
});

async function until(check: () => boolean, ms = 3000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  return check();
}

describe('startSyncServices', () => {
  it('starts notification_proxy, AFC and mobilebackup2; the caller owns them', async () => {
    const device = await connect(undefined, { muxAddress: sim.address });
    try {
      const s = await startSyncServices(device, 'backup', { signal: new AbortController().signal, cancel: new AbortController(), emit: () => undefined, log: pino({ level: 'silent' }) });
      expect(await s.mb2.handshake()).toBeGreaterThan(0);
      expect((await s.afc.getFileInfo('/'))?.type).toBe('dir');
      await s.mb2.close();
      await s.afc.disconnect();
      await s.np.close();
    } finally {
      await device.close();
    }
  });

  it('when one service cannot start, closes those that did before it throws', async () => {
    const real = await connect(undefined, { muxAddress: sim.address });
    const simDevice = sim.devices[0]!;
    try {
      await real.lockdown.getValue(undefined, 'ProductVersion'); // the lockdown session is open before counting
      const before = simDevice.openConnections;
      const refused = new Error('mobilebackup2 refused');
      const device: DeviceHandle = {
        udid: real.udid,
        connectionType: real.connectionType,
        lockdown: real.lockdown,
        startService: async (name, opts) => {
          if (name !== MOBILEBACKUP2_SERVICE) return real.startService(name, opts);
          await new Promise((r) => setTimeout(r, 100)); // the others are open by then
          throw refused;
        },
        close: () => real.close(),
      };
      const started = startSyncServices(device, 'restore', { signal: new AbortController().signal, cancel: new AbortController(), emit: () => undefined, log: pino({ level: 'silent' }) });
      await expect(started).rejects.toBe(refused);
      expect(await until(() => simDevice.openConnections === before)).toBe(true);
    } finally {
      await real.close();
    }
  });
});
