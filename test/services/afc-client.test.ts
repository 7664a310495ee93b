import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { AfcFileMode, AfcLockOp } from '../../protocols/index.js';
import { startSimulator, type Simulator } from '../../mocks/simulator.js';
import { connect, type Device } from '../../src/lockdown/device.js';
import { AFC_SERVICE, AfcClient, AfcStatusError } from '../../src/services/afc/index.js';

let sim: Simulator | undefined;
let dev: Device | undefined;
afterEach(async () => {
  await dev?.close();
  dev = undefined;
  await sim?.close();
  sim = undefined;
});

for (const serviceSSL of [false, true]) {
  describe(`AfcClient against the simulated com.apple.afc (service TLS ${serviceSSL ? 'on' : 'off'})`, () => {
    it('reads the media tree, writes/reads/removes files and folders', async () => {
      sim = await startSimulator({ devices: [{ serviceSSL: { [AFC_SERVICE]: serviceSSL } }] });
      dev = await connect(undefined, { muxAddress: sim.address, pairRecordDir: false });
      const afc = new AfcClient(await dev.startService(AFC_SERVICE));
      expect(await afc.readDir('/')).toEqual(expect.arrayContaining(['iTunes_Control', 'Books']));
      const prefs = await afc.readFile('/iTunes_Control/iTunes/iTunesPrefs');
      expect(prefs?.toString()).toBe('simulated iTunesPrefs\n');
      expect(await afc.readFile('/iTunes_Control/iTunes/absent')).toBeUndefined();
      expect(await afc.getFileInfo('/nope')).toBeUndefined();
      const dirInfo = await afc.getFileInfo('/Books');
      expect(dirInfo?.type).toBe('dir');

      await afc.makeDir('/iTunesRestore');
      const big = randomBytes(200_000); // spans several 64 KiB reads
      await afc.writeFile('/iTunesRestore/RestoreApplications.plist', big);
      const info = await afc.getFileInfo('/iTunesRestore/RestoreApplications.plist');
      expect(info).toMatchObject({ size: big.length, type: 'file' });
      expect(typeof info!.mtimeNs).toBe('bigint');
      expect(Buffer.compare((await afc.readFile('/iTunesRestore/RestoreApplications.plist'))!, big)).toBe(0);
      expect(await afc.readDir('/iTunesRestore')).toEqual(['RestoreApplications.plist']);
      await afc.removePath('/iTunesRestore/RestoreApplications.plist');
      await afc.removePath('/iTunesRestore');
      expect(await afc.getFileInfo('/iTunesRestore')).toBeUndefined();
      const missing = await afc.removePath('/iTunesRestore').catch((e: unknown) => e);
      expect(missing).toBeInstanceOf(AfcStatusError);
      expect((missing as AfcStatusError).code).toBe('AFC_ERROR');
      expect((missing as AfcStatusError).afcCode).toBe(8);
      await afc.disconnect();
    });
  });
}

describe('AFC sync lock', () => {
  it('an exclusive lock held by one connection makes another get OP_WOULD_BLOCK until unlocked', async () => {
    sim = await startSimulator();
    dev = await connect(undefined, { muxAddress: sim.address, pairRecordDir: false });
    const a = new AfcClient(await dev.startService(AFC_SERVICE));
    const b = new AfcClient(await dev.startService(AFC_SERVICE));
    const ha = await a.open('/com.apple.itunes.lock_sync', AfcFileMode.Rw);
    const hb = await b.open('/com.apple.itunes.lock_sync', AfcFileMode.Rw);
    expect(ha).not.toBe(0n);
    await a.lock(ha, AfcLockOp.Exclusive);
    const blocked = await b.lock(hb, AfcLockOp.Exclusive).catch((e: unknown) => e);
    expect((blocked as AfcStatusError).afcCode).toBe(19);
    expect((blocked as Error).message).toContain('would block');
    await a.lock(ha, AfcLockOp.Unlock);
    await b.lock(hb, AfcLockOp.Exclusive);
    await b.lock(hb, AfcLockOp.Unlock);
    await a.close(ha);
    await b.close(hb);
    await a.disconnect();
    await b.disconnect();
    const after = await a.readDir('/').catch((e: unknown) => e);
    expect((after as { code: string }).code).toBe('CONNECTION_CLOSED');
  });
});
