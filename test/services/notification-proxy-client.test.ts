import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../mocks/simulator.js';
import { connect, type Device } from '../../src/lockdown/device.js';
import { NOTIFICATION_PROXY_SERVICE, NotificationProxyClient } from '../../src/services/notification-proxy/index.js';
import { expectNoLeaks, handleCounts } from '../transport/handles.js';

let sim: Simulator | undefined;
let dev: Device | undefined;
afterEach(async () => {
  await dev?.close();
  dev = undefined;
  await sim?.close();
  sim = undefined;
});

const until = async (cond: () => boolean): Promise<void> => {
  const end = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
};

for (const serviceSSL of [false, true]) {
  describe(`NotificationProxyClient (service TLS ${serviceSSL ? 'on' : 'off'})`, () => {
    it('relays observed notifications only, posts to the device, and shuts down with ProxyDeath', async () => {
      sim = await startSimulator({ devices: [{ serviceSSL: { [NOTIFICATION_PROXY_SERVICE]: serviceSSL } }] });
      dev = await connect(undefined, { muxAddress: sim.address, pairRecordDir: false });
      const baseline = handleCounts();
      const np = new NotificationProxyClient(await dev.startService(NOTIFICATION_PROXY_SERVICE));
      const got: string[] = [];
      const unsubscribe = np.onNotification((n) => got.push(n));
      await np.observe('com.apple.itunes-client.syncCancelRequest');
      await np.observe('com.apple.mobile.backup.domain_changed');
      const device = sim.devices[0]!;
      await until(() => device.observers.size > 0 && [...device.observers].some((o) => o.names.size === 2));
      device.postNotification('com.apple.mobile.backup.domain_changed');
      device.postNotification('com.example.not-observed');
      device.postNotification('com.apple.itunes-client.syncCancelRequest');
      await until(() => got.length === 2);
      expect(got).toEqual(['com.apple.mobile.backup.domain_changed', 'com.apple.itunes-client.syncCancelRequest']);
      unsubscribe();

      await np.post('com.apple.itunes-mobdev.syncWillStart');
      await until(() => device.hostNotifications.length === 1);
      expect(device.hostNotifications).toEqual(['com.apple.itunes-mobdev.syncWillStart']);

      const started = Date.now();
      await np.close();
      expect(Date.now() - started).toBeLessThan(2000);
      expect(np.error).toBeUndefined();
      expect(np.receivedProxyDeath).toBe(true);
      await np.close(); // idempotent
      await expect(np.post('x')).rejects.toMatchObject({ code: 'CONNECTION_CLOSED' });
      await expectNoLeaks(baseline);
    });
  });
}
