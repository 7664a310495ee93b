import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AfcFileMode, AfcLockOp, decodePlist, type PlistDict } from '../../protocols/index.js';
import { backup, type BackupEvent } from '../../src/backup/index.js';
import { SYNC_LOCK_PATH } from '../../src/backup/sync-lock.js';
import { connect } from '../../src/lockdown/device.js';
import { AFC_SERVICE, AfcClient } from '../../src/services/afc/index.js';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator.js';
import { expectBackupOf } from '../interop/idevicebackup2-support.js';

let sim: TestSimulator;
let root: string;
beforeAll(async () => {
  sim = await startTestSimulator({ devices: [{ dataset: 'tiny' }] });
  root = await mkdtemp(join(tmpdir(), 'ibk-synclock-'));
});
afterAll(async () => {
  await sim?.stop();
  await rm(root, { recursive: true, force: true });
});

/** Another host holding the device's sync lock. */
async function holdSyncLock() {
  const device = await connect(undefined, { muxAddress: sim.address });
  const afc = new AfcClient(await device.startService(AFC_SERVICE));
  const handle = await afc.open(SYNC_LOCK_PATH, AfcFileMode.Rw);
  await afc.lock(handle, AfcLockOp.Exclusive);
  return {
    async release() {
      await afc.lock(handle, AfcLockOp.Unlock);
      await afc.close(handle);
      await afc.disconnect();
      await device.close();
    },
  };
}

describe('the device sync lock', () => {
  it('waits while another host holds it, then gives up with SYNC_LOCK_BUSY; nothing is left behind', async () => {
    const other = await holdSyncLock();
    const events: BackupEvent[] = [];
    try {
      await expect(
        backup({ dir: root, muxAddress: sim.address, fsync: false, syncLockTimeoutMs: 800, onEvent: (e) => events.push(e) }),
      ).rejects.toMatchObject({ code: 'SYNC_LOCK_BUSY', hint: expect.stringContaining('Finder') });
    } finally {
      await other.release();
    }
    expect(events.some((e) => e.type === 'phase' && e.phase === 'waiting-for-sync-lock')).toBe(true);
    expect(await readdir(root)).toEqual([]);
  });

  it('goes ahead as soon as the other host releases it, with the device information read after that', async () => {
    const device = sim.devices[0]!;
    const name = device.getValue('', 'DeviceName');
    const other = await holdSyncLock();
    // The other host renames the device while it holds the lock: the backup, which read the information while
    // waiting for the lock, must read it again.
    setTimeout(() => {
      device.setValue('', 'DeviceName', 'Renamed while locked');
      void other.release();
    }, 600);
    try {
      const result = await backup({ dir: root, muxAddress: sim.address, fsync: false, syncLockTimeoutMs: 10_000 });
      expect(result.full).toBe(true);
      await expectBackupOf(root, device.udid, sim.device().fs);
      const info = decodePlist(await readFile(join(root, device.udid, 'Info.plist'))) as PlistDict;
      expect(info['Device Name']).toBe('Renamed while locked');
    } finally {
      device.setValue('', 'DeviceName', name);
    }
  });

  it('a syncCancelRequest from the device stops the backup with CANCELLED_BY_DEVICE and keeps the previous backup', async () => {
    const udid = sim.devices[0]!.udid;
    const before = await readdir(join(root, udid));
    let posted = false;
    await expect(
      backup({
        dir: root,
        muxAddress: sim.address,
        fsync: false,
        full: true,
        onEvent: (e) => {
          if (e.type === 'file' && !posted) {
            posted = true;
            sim.device().postNotification('com.apple.itunes-client.syncCancelRequest');
          }
        },
      }),
    ).rejects.toMatchObject({ code: 'CANCELLED_BY_DEVICE' });
    expect(posted).toBe(true);
    expect(await readdir(join(root, udid))).toEqual(before);
    expect(await readdir(root)).toEqual([udid]);
    await expectBackupOf(root, udid, sim.device().fs);
  });
});
