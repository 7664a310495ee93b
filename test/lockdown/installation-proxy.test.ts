import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../mocks/simulator.js';
import { connect } from '../../src/lockdown/device.js';
import { INSTALLATION_PROXY_SERVICE, browseApplications } from '../../src/services/installation-proxy/index.js';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

describe('installation_proxy Browse', () => {
  it('collects every BrowsingApplications batch until Status Complete', async () => {
    sim = await startSimulator({ devices: [{ serviceSSL: { [INSTALLATION_PROXY_SERVICE]: true } }] });
    const dev = await connect(undefined, { muxAddress: sim.address, pairRecordDir: false });
    try {
      const conn = await dev.startService(INSTALLATION_PROXY_SERVICE);
      const apps = await browseApplications(conn, {
        applicationType: 'User',
        returnAttributes: ['CFBundleIdentifier', 'ApplicationSINF', 'iTunesMetadata'],
      });
      await conn.close();
      expect(apps.length).toBeGreaterThan(0);
      for (const app of apps) expect(typeof app.CFBundleIdentifier).toBe('string');
      expect(new Set(apps.map((a) => a.CFBundleIdentifier)).size).toBe(apps.length);
    } finally {
      await dev.close();
    }
  });
});
