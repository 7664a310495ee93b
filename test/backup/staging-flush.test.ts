import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodePlist } from '../../protocols/index.js';
import { flushTree, fsyncTree, syncFileSystem, type FlushMethod } from '../../src/backup/fs-durable.js';
import { backupFolders, BackupStaging } from '../../src/backup/staging.js';

// Durability moved from one fsync per received file to one flush of the staging folder before the swap
// (docs/backup-design.md): the flush must happen, on the staging folder, before the previous backup is replaced.

const UDID = '00008120-001A2B3C4D5E0001';
let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'ibk-flush-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function completeBackup(dir: string, marker: string): Promise<void> {
  await mkdir(join(dir, 'ab'), { recursive: true });
  await writeFile(join(dir, 'Status.plist'), encodePlist({ SnapshotState: 'finished', Version: '3.3' }, 'binary'));
  await writeFile(join(dir, 'ab', 'ab00'), `data ${marker}`);
}

describe('staging flush before the swap', () => {
  it('flushes the staging folder once, before the previous backup is moved away', async () => {
    const f = backupFolders(root, UDID);
    await completeBackup(f.current, 'old');
    const calls: { dir: string; stagingThere: boolean; currentIsOld: string }[] = [];
    const flush = async (dir: string): Promise<FlushMethod> => {
      calls.push({
        dir,
        stagingThere: existsSync(f.staging),
        currentIsOld: await readFile(join(f.current, 'ab', 'ab00'), 'utf8'),
      });
      return 'syncfs';
    };
    const staging = await BackupStaging.prepare({ root, folder: UDID, flush });
    await writeFile(join(staging.dir, 'ab', 'new'), 'x');
    await staging.commit();
    expect(calls).toEqual([{ dir: f.staging, stagingThere: true, currentIsOld: 'data old' }]);
    expect(await readFile(join(f.current, 'ab', 'new'), 'utf8')).toBe('x');
  });

  it('a failed flush keeps the previous backup in place', async () => {
    const f = backupFolders(root, UDID);
    await completeBackup(f.current, 'old');
    const staging = await BackupStaging.prepare({
      root,
      folder: UDID,
      flush: () => Promise.reject(Object.assign(new Error('EIO: i/o error'), { code: 'EIO' })),
    });
    await writeFile(join(staging.dir, 'ab', 'ab01'), 'data new');
    await expect(staging.commit()).rejects.toThrow(/EIO/);
    expect(await readFile(join(f.current, 'ab', 'ab00'), 'utf8')).toBe('data old');
    expect(existsSync(join(f.current, 'ab', 'ab01'))).toBe(false);
    await staging.discard();
  });

  it('durable: false (fsync: false) skips the flush', async () => {
    const f = backupFolders(root, UDID);
    let flushed = 0;
    const staging = await BackupStaging.prepare({ root, folder: UDID, durable: false, flush: async () => (flushed++, 'syncfs') });
    await staging.commit();
    expect(flushed).toBe(0);
    expect(existsSync(f.current)).toBe(true);
  });

  it('the real flush: syncfs on Linux (sync -f), otherwise an fsync of every file; the fallback walks the tree', async () => {
    const dir = join(root, 'tree');
    await mkdir(join(dir, 'a', 'b'), { recursive: true });
    for (let i = 0; i < 40; i++) await writeFile(join(dir, 'a', i % 2 ? 'b' : '', `f${i}`), `content ${i}`);
    expect(await syncFileSystem(dir)).toBe(process.platform === 'linux');
    expect(await flushTree(dir)).toBe(process.platform === 'linux' ? 'syncfs' : 'fsync');
    await fsyncTree(dir, 4);
    await expect(fsyncTree(join(root, 'missing'))).rejects.toThrow(/ENOENT/);
  });
});
