import { existsSync } from 'node:fs';
import { link, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { encodePlist } from '../../protocols/index.js';
import { flushTree, fsyncTree, newFilesIn, syncFileSystem, type FlushIo, type FlushMethod, type StagedChanges } from '../../src/backup/fs-durable.js';
import { backupFolders, BackupStaging } from '../../src/backup/staging.js';
import { tempDirsPerTest } from '../helpers/temp-dirs.js';

// Durability moved from one fsync per received file to one flush of the staging folder before the swap
// (docs/backup-design.md): the flush must happen, on the staging folder, before the previous backup is replaced.

const UDID = '00008120-001A2B3C4D5E0001';
let root: string;

const newRoot = tempDirsPerTest('ibk-flush-');
beforeEach(() => {
  root = newRoot();
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

  it('new files of an incremental backup: only names in changed folders that are not the old inode', async () => {
    const base = join(root, 'base');
    const dir = join(root, 'staged');
    await mkdir(join(base, 'ab'), { recursive: true });
    await mkdir(join(base, 'cd'), { recursive: true });
    await mkdir(join(dir, 'ab'), { recursive: true });
    await mkdir(join(dir, 'cd'), { recursive: true });
    for (const n of ['ab/1', 'ab/2', 'cd/1']) {
      await writeFile(join(base, n), n);
      await link(join(base, n), join(dir, n)); // carried over: not written by this backup
    }
    await writeFile(join(dir, 'ab', '2.tmp'), 'new content');
    await rename(join(dir, 'ab', '2.tmp'), join(dir, 'ab', '2')); // replaced
    await writeFile(join(dir, 'ab', '3'), 'new file');
    await mkdir(join(dir, 'ef'));
    await writeFile(join(dir, 'ef', '1'), 'in a new folder');
    await writeFile(join(dir, 'cd', '9'), 'in a folder not listed'); // (a real change always marks its folder)
    expect((await newFilesIn(dir, base, ['ab', 'ef', 'gone', ''])).sort()).toEqual([join(dir, 'ab', '2'), join(dir, 'ab', '3'), join(dir, 'ef', '1')]);
    expect(await flushTree(dir, { base, dirs: ['ab', 'ef'] })).toBe('fsync-changed');
  });

  it('an incremental flush fsyncs the new files and the folders it is given (else every folder of the tree), nothing else', async () => {
    const base = join(root, 'base');
    const dir = join(root, 'staged');
    for (const d of [join(base, 'ab'), join(base, 'cd', 'sub'), join(dir, 'ab'), join(dir, 'cd', 'sub')]) await mkdir(d, { recursive: true });
    for (const n of ['ab/1', 'cd/1', 'cd/sub/1']) {
      await writeFile(join(base, n), n);
      await link(join(base, n), join(dir, n));
    }
    await writeFile(join(dir, 'ab', '2'), 'new');
    let files: string[] = [];
    let folders: string[] = [];
    const io: FlushIo = {
      fsyncFile: async (p) => void files.push(p),
      fsyncFolder: async (p) => void folders.push(p),
    };
    expect(await flushTree(dir, { base, dirs: ['ab'], folders: ['', 'ab', 'cd', 'ab'] }, io)).toBe('fsync-changed');
    expect(files).toEqual([join(dir, 'ab', '2')]);
    expect(folders.sort()).toEqual([dir, join(dir, 'ab'), join(dir, 'cd')].sort());
    files = [];
    folders = [];
    expect(await flushTree(dir, { base, dirs: ['ab'] }, io)).toBe('fsync-changed');
    expect(files).toEqual([join(dir, 'ab', '2')]);
    expect(folders.sort()).toEqual([dir, join(dir, 'ab'), join(dir, 'cd'), join(dir, 'cd', 'sub')].sort());
  });

  it('an incremental commit flushes its changes (fsync of the new files), a full one the whole folder', async () => {
    const f = backupFolders(root, UDID);
    await completeBackup(f.current, 'old');
    const seen: (StagedChanges | undefined)[] = [];
    const methods: FlushMethod[] = [];
    const synced: string[] = [];
    const io: FlushIo = { fsyncFile: async (p) => void synced.push(p), fsyncFolder: async (p) => void synced.push(p) };
    const flush = async (dir: string, changes?: StagedChanges): Promise<FlushMethod> => {
      seen.push(changes && { base: changes.base, dirs: [...changes.dirs].sort(), folders: [...(changes.folders ?? [])].sort() });
      const m = await flushTree(dir, changes, io);
      methods.push(m);
      return m;
    };
    const incremental = await BackupStaging.prepare({ root, folder: UDID, flush });
    await writeFile(join(incremental.dir, 'ab', 'new'), 'x');
    incremental.touchedDir(join(incremental.dir, 'ab'));
    await incremental.commit();
    expect(seen[0]).toEqual({ base: f.current, dirs: expect.arrayContaining(['ab']), folders: expect.arrayContaining(['', 'ab']) });
    expect(methods[0]).toBe('fsync-changed');
    // what the flush was given is what it fsynced: the new file, the staging folder and its folders
    const stagingDir = backupFolders(root, UDID).staging;
    expect(synced).toEqual(expect.arrayContaining([join(stagingDir, 'ab', 'new'), stagingDir, join(stagingDir, 'ab')]));
    const full = await BackupStaging.prepare({ root, folder: UDID, full: true, flush });
    await completeBackup(full.dir, 'new');
    await full.commit();
    expect(seen[1]).toBeUndefined();
    expect(methods[1]).toBe(process.platform === 'linux' ? 'syncfs' : 'fsync');
  });
});
