import { existsSync } from 'node:fs';
import { link, mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { encodePlist } from '../../protocols/index.js';
import { backupFolders, BackupStaging, isCompleteBackup } from '../../src/backup/staging.js';
import { deviceSegments } from '../../src/backup/confine.js';
import { expectRootHolds, folderSnapshot } from './backup-helpers.js';
import { tempDirsPerTest } from '../helpers/temp-dirs.js';

const UDID = '00008120-001A2B3C4D5E0001';
let root: string;

const newRoot = tempDirsPerTest('ibk-staging-');
beforeEach(() => {
  root = newRoot();
});

async function completeBackup(dir: string, marker: string): Promise<void> {
  await mkdir(join(dir, 'ab'), { recursive: true });
  await writeFile(join(dir, 'Status.plist'), encodePlist({ SnapshotState: 'finished', Version: '3.3' }, 'binary'));
  await writeFile(join(dir, 'Manifest.db'), `db ${marker}`);
  await writeFile(join(dir, 'ab', 'ab00'), `data ${marker}`);
}

describe('staging folder', () => {
  it('clones a complete previous backup with hard links, and commit swaps atomically', async () => {
    const f = backupFolders(root, UDID);
    await completeBackup(f.current, 'old');
    const before = await folderSnapshot(f.current);
    const staging = await BackupStaging.prepare({ root, folder: UDID });
    expect(staging.incremental).toBe(true);
    expect(staging.start).toBe('clone');
    expect(staging.linkedFiles).toBe(3);
    expect((await stat(join(staging.dir, 'ab/ab00'))).ino).toBe((await stat(join(f.current, 'ab/ab00'))).ino);
    expect(existsSync(f.lock)).toBe(true);
    // a second backup of the same device is refused while the first holds the lock
    await expect(BackupStaging.prepare({ root, folder: UDID })).rejects.toMatchObject({ code: 'BACKUP_IN_PROGRESS' });
    await writeFile(join(staging.dir, 'Manifest.db.new'), 'x');
    expect(await folderSnapshot(f.current)).toEqual(before);
    await staging.commit();
    expectRootHolds(root, UDID); // the backup, and the tree it replaced kept as its spare
    expect(await readFile(join(f.current, 'Manifest.db.new'), 'utf8')).toBe('x');
  });

  it('start() holds the lock when it returns and fills the staging folder in the background', async () => {
    const f = backupFolders(root, UDID);
    await completeBackup(f.current, 'old');
    const { ready } = await BackupStaging.start({ root, folder: UDID });
    expect(existsSync(f.lock)).toBe(true);
    // refused at once — before the first one's staging folder is even ready
    await expect(BackupStaging.start({ root, folder: UDID })).rejects.toMatchObject({ code: 'BACKUP_IN_PROGRESS' });
    const staging = await ready;
    expect(staging.start).toBe('clone');
    expect(await folderSnapshot(staging.dir)).toEqual(await folderSnapshot(f.current));
    await staging.discard();
    expect(existsSync(f.lock)).toBe(false);
    expect(await readdir(root)).toEqual([UDID]);
  });

  it('starts empty for --full or when the previous backup is incomplete; discard leaves the previous untouched', async () => {
    const f = backupFolders(root, UDID);
    await completeBackup(f.current, 'old');
    const before = await folderSnapshot(f.current);
    const full = await BackupStaging.prepare({ root, folder: UDID, full: true });
    expect(full.incremental).toBe(false);
    expect(await readdir(full.dir)).toEqual([]);
    await full.discard();
    expect(await readdir(root)).toEqual([UDID]);
    expect(await folderSnapshot(f.current)).toEqual(before);

    await writeFile(join(f.current, 'Status.plist'), encodePlist({ SnapshotState: 'uploading' }, 'binary'));
    expect(await isCompleteBackup(f.current)).toBe(false);
    const fresh = await BackupStaging.prepare({ root, folder: UDID });
    expect(fresh.incremental).toBe(false);
    await fresh.discard();
    await writeFile(join(f.current, 'Status.plist'), '');
    expect(await isCompleteBackup(f.current)).toBe(false);
  });

  it('recovers from a crash in the middle of the swap (previous moved away, new not yet in place)', async () => {
    const f = backupFolders(root, UDID);
    await completeBackup(f.previous, 'old');
    const before = await folderSnapshot(f.previous);
    await mkdir(f.staging);
    await writeFile(join(f.staging, 'half'), 'half-written');
    await writeFile(f.lock, '999999999\n'); // a dead process's lock
    const staging = await BackupStaging.prepare({ root, folder: UDID });
    expect(await folderSnapshot(f.current)).toEqual(before);
    expect(existsSync(join(staging.dir, 'half'))).toBe(false);
    expect(staging.incremental).toBe(true);
    await staging.discard();
    expect((await readdir(root)).sort()).toEqual([UDID]);
  });

  it('finishes a swap that was interrupted after the new backup was in place', async () => {
    const f = backupFolders(root, UDID);
    await completeBackup(f.current, 'new');
    await completeBackup(f.previous, 'old');
    const staging = await BackupStaging.prepare({ root, folder: UDID });
    expect(existsSync(f.previous)).toBe(false);
    expect(await readFile(join(f.current, 'Manifest.db'), 'utf8')).toBe('db new');
    await staging.discard();
  });

  it('never changes the previous backup through a hard link (files are replaced, not rewritten)', async () => {
    const f = backupFolders(root, UDID);
    await completeBackup(f.current, 'old');
    const staging = await BackupStaging.prepare({ root, folder: UDID });
    const { AtomicFileWriter } = await import('../../src/services/mobilebackup2/index.js');
    const w = await AtomicFileWriter.create(join(staging.dir, 'ab', 'ab00'));
    await w.write(Buffer.from('data new'));
    await w.commit(true);
    expect(await readFile(join(f.current, 'ab', 'ab00'), 'utf8')).toBe('data old');
    await link(join(staging.dir, 'ab', 'ab00'), join(staging.dir, 'ab', 'copy'));
    await staging.commit();
    expect(await readFile(join(f.current, 'ab', 'ab00'), 'utf8')).toBe('data new');
  });
});

describe('device path checks', () => {
  it('accepts paths inside the UDID folder and refuses everything else', () => {
    expect(deviceSegments(`${UDID}/Snapshot/ab/ab01`, [UDID])).toEqual(['Snapshot', 'ab', 'ab01']);
    expect(deviceSegments(`${UDID}//./Status.plist`, [UDID])).toEqual(['Status.plist']);
    expect(deviceSegments(UDID, [UDID])).toEqual([]);
    for (const bad of ['', '/etc/passwd', `${UDID}/../x`, `../${UDID}/x`, 'C:/x', 'c:x', `${UDID}/a\\b`, `${UDID}/a\0b`, `${UDID}/a:b`, 'OTHER/x', '..']) {
      expect(() => deviceSegments(bad, [UDID]), bad).toThrow(expect.objectContaining({ code: 'UNSAFE_PATH' }));
    }
    expect(() => deviceSegments(42, [UDID])).toThrow(expect.objectContaining({ code: 'UNSAFE_PATH' }));
  });
});
