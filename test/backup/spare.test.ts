// The spare (docs/backup-design.md): the tree an incremental backup replaced is kept as a hard-link mirror of the
// new backup and becomes the next staging folder, instead of deleting it and cloning the backup again.
import { existsSync, lstatSync } from 'node:fs';
import { link, mkdir, mkdtemp, readFile, readdir, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodePlist } from '../../protocols/index.js';
import { flushTree, hardLinkClone, type FlushMethod, type StagedChanges } from '../../src/backup/fs-durable.js';
import { mirrorTree } from '../../src/backup/mirror-tree.js';
import { keepAsSpare } from '../../src/backup/spare.js';
import { backupFolders, BackupStaging } from '../../src/backup/staging.js';
import { deleteBackup } from '../../src/backup/offline/delete.js';
import { BACKUP_MARKERS, expectRootHolds, folderSnapshot, treeInodes } from './backup-helpers.js';

const UDID = '00008120-001A2B3C4D5E0001';
let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'ibk-spare-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const ino = (p: string): number => lstatSync(p).ino;

/** A complete backup: markers, two data folders with a few files each. */
async function completeBackup(dir: string, marker: string): Promise<void> {
  for (const d of ['ab', 'cd']) await mkdir(join(dir, d), { recursive: true });
  await writeFile(join(dir, 'Status.plist'), encodePlist({ SnapshotState: 'finished', Version: '3.3' }, 'binary'));
  await writeFile(join(dir, 'Info.plist'), `info ${marker}`);
  await writeFile(join(dir, 'Manifest.plist'), `manifest ${marker}`);
  await writeFile(join(dir, 'Manifest.db'), `db ${marker}`);
  for (const n of ['ab00', 'ab01', 'ab02']) await writeFile(join(dir, 'ab', n), `data ${n} ${marker}`);
  for (const n of ['cd00', 'cd01']) await writeFile(join(dir, 'cd', n), `data ${n} ${marker}`);
}

/** What a device does in a staging folder, through new inodes only (as the mobilebackup2 handlers do). */
async function replaceFile(staging: BackupStaging, rel: string, text: string): Promise<void> {
  const p = join(staging.dir, rel);
  await writeFile(`${p}.new`, text);
  const { rename } = await import('node:fs/promises');
  await rename(`${p}.new`, p);
  staging.touchedDir(join(p, '..'));
}

/** A complete backup, then an incremental one that replaced ab/ab00 (so a spare exists). */
async function backupWithSpare(): Promise<ReturnType<typeof backupFolders>> {
  const f = backupFolders(root, UDID);
  await completeBackup(f.current, 'v1');
  const first = await BackupStaging.prepare({ root, folder: UDID, durable: false });
  await replaceFile(first, 'ab/ab00', 'v2');
  await first.commit();
  return f;
}

describe('mirrorTree', () => {
  it('makes a folder an exact hard-link mirror: wrong inodes, kinds, extras and temp names go, missing entries come', async () => {
    const src = join(root, 'src');
    const dst = join(root, 'dst');
    await completeBackup(src, 'x');
    await mkdir(join(src, 'ef', 'deep'), { recursive: true });
    await writeFile(join(src, 'ef', 'deep', 'f'), 'deep');
    await symlink('ab/ab00', join(src, 'to-ab00'));
    await writeFile(join(src, 'ab', '.ibtmp-1-2'), 'an upload in flight'); // never mirrored
    await mkdir(join(dst, 'ab'), { recursive: true });
    await mkdir(join(dst, 'cd'), { recursive: true });
    await link(join(src, 'ab', 'ab00'), join(dst, 'ab', 'ab00')); // already right
    await writeFile(join(dst, 'ab', 'ab01'), 'data ab01 x'); // same bytes, another inode: replaced
    await writeFile(join(dst, 'ab', 'stale'), 'gone from src');
    await mkdir(join(dst, 'ab', 'ab02')); // a folder where src has a file
    await writeFile(join(dst, 'cd', 'cd00'), 'x');
    await writeFile(join(dst, 'Manifest.db'), 'old');
    await writeFile(join(dst, 'ef'), 'a file where src has a folder');
    await mkdir(join(dst, 'zz', 'sub'), { recursive: true });
    await writeFile(join(dst, 'zz', 'sub', 'f'), 'extra folder');
    await writeFile(join(dst, '.ibtmp-9-9'), 'temp');
    await symlink('elsewhere', join(dst, 'to-ab00'));
    const keep = ino(join(dst, 'ab', 'ab00'));

    const r = await mirrorTree(src, dst);
    const want = treeInodes(src);
    want.delete('ab/.ibtmp-1-2');
    expect(treeInodes(dst)).toEqual(want);
    expect(ino(join(dst, 'ab', 'ab00'))).toBe(keep);
    expect(r.removed).toBe(9);
    expect(r.linked).toBe(9); // ab01 ab02 cd00 cd01, the four markers, ef/deep/f
    expect(await readFile(join(src, 'ab', 'ab01'), 'utf8')).toBe('data ab01 x'); // the source is never touched
  });

  it('with `only`, compares just those folders and the ones above them', async () => {
    const src = join(root, 'src');
    const dst = join(root, 'dst');
    await completeBackup(src, 'x');
    await mkdir(dst);
    await mirrorTree(src, dst);
    await writeFile(join(dst, 'cd', 'cd00.extra'), 'outside the listed folders: trusted, left alone');
    await unlink(join(dst, 'ab', 'ab01'));
    await writeFile(join(dst, 'ab', 'ab01'), 'another inode');
    await unlink(join(dst, 'Manifest.db')); // the top folder is always compared
    await mirrorTree(src, dst, { only: ['ab'] });
    expect(ino(join(dst, 'ab', 'ab01'))).toBe(ino(join(src, 'ab', 'ab01')));
    expect(ino(join(dst, 'Manifest.db'))).toBe(ino(join(src, 'Manifest.db')));
    expect(existsSync(join(dst, 'cd', 'cd00.extra'))).toBe(true);
    await mirrorTree(src, dst);
    expect(treeInodes(dst)).toEqual(treeInodes(src));
  });
});

describe('the spare', () => {
  it('an incremental commit keeps the replaced tree as a mirror without markers; the next backup starts from it', async () => {
    const f = backupFolders(root, UDID);
    await completeBackup(f.current, 'v1');
    const first = await BackupStaging.prepare({ root, folder: UDID, durable: false });
    expect(first.start).toBe('clone');
    const oldAb01 = ino(join(f.current, 'ab', 'ab01'));
    await replaceFile(first, 'ab/ab01', 'data ab01 v2');
    await replaceFile(first, 'Status.plist', encodePlist({ SnapshotState: 'finished', Version: '3.3' }, 'xml').toString());
    await unlink(join(first.dir, 'cd', 'cd01'));
    first.touchedDir(join(first.dir, 'cd'));
    await mkdir(join(first.dir, 'ef'));
    await writeFile(join(first.dir, 'ef', 'ef00'), 'new');
    first.touchedDir(join(first.dir, 'ef'));
    first.touchedDir(first.dir);
    await first.commit();

    expectRootHolds(root, UDID);
    for (const m of BACKUP_MARKERS) expect(existsSync(join(f.spare, m))).toBe(false);
    // the replaced and the deleted file had their only other link in the old tree: freed, not kept in the spare
    const spare = treeInodes(f.spare);
    spare.delete('.ibackup-spare.json'); // a new file: it may reuse a freed inode number
    expect([...spare.values()]).not.toContain(`ino:${oldAb01}`);
    // …but moved to the trash (a rename), for the next backup to delete while it waits for the device
    const trashed = treeInodes(f.trash);
    expect([...trashed.values()]).toContain(`ino:${oldAb01}`);
    expect(trashed.size).toBe(3); // ab01 and Status.plist replaced, cd01 deleted
    expect(await readFile(join(f.current, 'ab', 'ab01'), 'utf8')).toBe('data ab01 v2');
    expect(existsSync(join(f.current, 'cd', 'cd01'))).toBe(false);

    const backup = await folderSnapshot(f.current);
    const second = await BackupStaging.prepare({ root, folder: UDID, durable: false });
    expect(second.start).toBe('spare');
    expect(second.linkedFiles).toBe(BACKUP_MARKERS.length); // only the markers were missing
    // (the trash is being emptied meanwhile; discard below waits for it)
    expect(existsSync(f.spare)).toBe(false);
    expect(treeInodes(second.dir)).toEqual(treeInodes(f.current));
    expect(await folderSnapshot(f.current)).toEqual(backup); // making the staging folder changed nothing
    await second.discard();
    expect(await readdir(root)).toEqual([UDID]);
  });

  it('a folder changed without telling the staging object is still re-checked (its mtime moved)', async () => {
    const f = backupFolders(root, UDID);
    await completeBackup(f.current, 'v1');
    const first = await BackupStaging.prepare({ root, folder: UDID, durable: false });
    // folder times have the file system's clock granularity (a few ms): change the folder clearly later
    await new Promise((r) => setTimeout(r, 50));
    await unlink(join(first.dir, 'cd', 'cd00'));
    await writeFile(join(first.dir, 'cd', 'cd09'), 'new, and nobody called touchedDir');
    await first.commit();
    expectRootHolds(root, UDID);
    const second = await BackupStaging.prepare({ root, folder: UDID, durable: false });
    expect(treeInodes(second.dir)).toEqual(treeInodes(f.current));
    await second.discard();
  });

  it('a backup changed by another tool since (new Status.plist, a file added anywhere) makes it check every folder', async () => {
    const f = await backupWithSpare();
    // another tool writes into the backup in place: a new file in a folder our backup did not change
    await writeFile(join(f.current, 'cd', 'cd07'), 'written by someone else');
    await writeFile(join(f.current, 'Status.plist'), encodePlist({ SnapshotState: 'finished', Version: '3.3', By: 'other' }, 'binary'));
    const second = await BackupStaging.prepare({ root, folder: UDID, durable: false });
    expect(second.start).toBe('spare');
    expect(treeInodes(second.dir)).toEqual(treeInodes(f.current));
    await second.discard();
  });

  it('a damaged record, or a leftover staging folder from a crash, is checked whole and never trusted', async () => {
    const f = await backupWithSpare();
    await writeFile(join(f.spare, '.ibackup-spare.json'), '{"version":1,"of":"x","differs":["../../etc"]}');
    await writeFile(join(f.spare, 'cd', 'junk'), 'junk');
    const second = await BackupStaging.prepare({ root, folder: UDID, durable: false });
    expect(treeInodes(second.dir)).toEqual(treeInodes(f.current));
    // a crash: the staging folder is left with half-written files; next run uses it as the spare
    await unlink(join(second.dir, 'ab', 'ab00')); // a replacement half written (new inode, as the engine writes)
    await writeFile(join(second.dir, 'ab', 'ab00'), 'half');
    await writeFile(join(second.dir, 'ab', '.ibtmp-3-4'), 'half');
    await second.release(); // the process died: lock gone, staging folder left
    const third = await BackupStaging.prepare({ root, folder: UDID, durable: false });
    expect(third.start).toBe('spare');
    expect(treeInodes(third.dir)).toEqual(treeInodes(f.current));
    expect(await readFile(join(third.dir, 'ab', 'ab00'), 'utf8')).toBe('v2');
    await third.discard();
  });

  it('--full removes the spare (a full backup shares nothing with it); a full backup over one leaves none', async () => {
    const f = backupFolders(root, UDID);
    await completeBackup(f.current, 'v1');
    const first = await BackupStaging.prepare({ root, folder: UDID, durable: false });
    await first.commit();
    expect(existsSync(f.spare)).toBe(true);
    const full = await BackupStaging.prepare({ root, folder: UDID, full: true, durable: false });
    expect(full.start).toBe('empty');
    expect(existsSync(f.spare)).toBe(false);
    await completeBackup(full.dir, 'v2');
    await full.commit();
    expect(await readdir(root)).toEqual([UDID]);
  });

  it('deleting a backup deletes its spare and its trash too (they hold its files and its old files)', async () => {
    const f = backupFolders(root, UDID);
    await completeBackup(f.current, 'v1');
    const first = await BackupStaging.prepare({ root, folder: UDID, durable: false });
    await replaceFile(first, 'ab/ab01', 'data ab01 v2');
    await first.commit();
    expect(existsSync(f.spare)).toBe(true);
    expect(existsSync(f.trash)).toBe(true); // the replaced ab01
    await deleteBackup(f.current);
    expect(await readdir(root)).toEqual([]);
  });
});

describe('durability of the spare', () => {
  it('the folders the mirroring changed are fsynced before the record is written, and only those', async () => {
    const f = backupFolders(root, UDID);
    await completeBackup(f.current, 'v1');
    await hardLinkClone(f.current, f.previous);
    // the new backup replaced ab/ab00 and gained a folder; cd is the same in both trees
    await unlink(join(f.current, 'ab', 'ab00'));
    await writeFile(join(f.current, 'ab', 'ab00'), 'v2');
    await mkdir(join(f.current, 'gh', 'sub'), { recursive: true });
    await writeFile(join(f.current, 'gh', 'sub', 'gh00'), 'new');
    const synced: { dir: string; recordThere: boolean }[] = [];
    const syncFolder = async (dir: string): Promise<void> => {
      synced.push({ dir: relative(f.spare, dir), recordThere: existsSync(join(f.spare, '.ibackup-spare.json')) });
    };
    const r = await keepAsSpare(f.previous, f.spare, f.current, ['', 'ab', 'gh', join('gh', 'sub')], undefined, { syncFolder });
    expect(r?.changedDirs.sort()).toEqual(['', 'ab', 'gh', join('gh', 'sub')]);
    expect(synced.map((s) => s.dir).sort()).toEqual(['', 'ab', 'gh', join('gh', 'sub')]);
    expect(synced.every((s) => !s.recordThere)).toBe(true);
    expect(JSON.parse(await readFile(join(f.spare, '.ibackup-spare.json'), 'utf8')).version).toBe(2);
    expect(treeInodes(f.spare).get(join('ab', 'ab00'))).toBe(treeInodes(f.current).get(join('ab', 'ab00')));
  });

  it('a backup started from such a spare fsyncs only the folders that changed; otherwise every folder', async () => {
    const f = backupFolders(root, UDID);
    await completeBackup(f.current, 'v1');
    await mkdir(join(f.current, 'ef'));
    await writeFile(join(f.current, 'ef', 'ef00'), 'nobody changes this folder');
    const folders: string[][] = [];
    const flush = async (dir: string, changes?: StagedChanges): Promise<FlushMethod> => {
      folders.push([...(changes?.folders ?? [])].sort());
      return flushTree(dir, changes);
    };
    const first = await BackupStaging.prepare({ root, folder: UDID, flush });
    expect(first.start).toBe('clone');
    await replaceFile(first, 'ab/ab00', 'v2');
    await first.commit();
    expect(folders[0]).toEqual(['', 'ab', 'cd', 'ef']); // a new clone: every folder
    const second = await BackupStaging.prepare({ root, folder: UDID, flush });
    expect(second.start).toBe('spare');
    await replaceFile(second, 'cd/cd00', 'v3');
    await second.commit();
    expect(folders[1]).toEqual(['', 'cd']);
    expect(await readFile(join(f.current, 'cd', 'cd00'), 'utf8')).toBe('v3');
    // a spare kept without durability (or by an earlier version: record version 1) promises nothing
    const third = await BackupStaging.prepare({ root, folder: UDID, durable: false });
    await replaceFile(third, 'ab/ab01', 'v4');
    await third.commit();
    expect(JSON.parse(await readFile(join(f.spare, '.ibackup-spare.json'), 'utf8')).version).toBe(1);
    const fourth = await BackupStaging.prepare({ root, folder: UDID, flush });
    expect(fourth.start).toBe('spare');
    await replaceFile(fourth, 'ab/ab02', 'v5');
    await fourth.commit();
    expect(folders[2]).toEqual(['', 'ab', 'cd', 'ef']);
    expectRootHolds(root, UDID);
  });
});

describe('a spare that cannot be used', () => {
  it('a file where the spare folder should be is deleted; the backup is cloned instead (full backups too)', async () => {
    const f = backupFolders(root, UDID);
    await completeBackup(f.current, 'v1');
    await writeFile(f.spare, 'not a folder');
    const staging = await BackupStaging.prepare({ root, folder: UDID, durable: false });
    expect(staging.start).toBe('clone');
    expect(existsSync(f.spare)).toBe(false);
    expect(treeInodes(staging.dir)).toEqual(treeInodes(f.current));
    await staging.discard();
    await writeFile(f.spare, 'not a folder');
    const full = await BackupStaging.prepare({ root, folder: UDID, full: true, durable: false });
    expect(full.start).toBe('empty');
    expect(existsSync(f.spare)).toBe(false);
    await full.discard();
    expect(await readdir(root)).toEqual([UDID]);
  });
});
