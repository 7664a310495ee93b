import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { archiveBackup, archiveName } from '../../src/backup/offline/archive.js';
import { defaultBackupRoot } from '../../src/backup/offline/backup-root.js';
import { listBackups } from '../../src/backup/offline/list-backups.js';
import { openBackup } from '../../src/backup/reader/open-backup.js';
import { fileIdOf, makeBackupFixture, sampleEntries } from '../helpers/backup-fixture.js';
import { runCommand } from './run-command.js';

const top = mkdtempSync(join(tmpdir(), 'ibackup-cli-'));
afterAll(() => rmSync(top, { recursive: true, force: true }));
let n = 0;
const freshDir = (): string => join(top, `d${++n}`);

function threeDevices(dir: string): void {
  makeBackupFixture({ root: dir, udid: '00008110-000A', deviceName: 'Alice iPhone', productType: 'iPhone14,2', productVersion: '17.5.1', lastBackupDate: new Date('2024-06-01T10:00:00Z') });
  makeBackupFixture({ root: dir, udid: '00008110-000A', folder: '00008110-000A-20240101-120000', deviceName: 'Alice iPhone', lastBackupDate: new Date('2023-12-31T10:00:00Z') });
  makeBackupFixture({ root: dir, udid: 'b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0', deviceName: 'Bob iPad', productType: 'iPad7,5', productVersion: '12.5.7', snapshotState: 'uploading' });
  makeBackupFixture({ root: dir, udid: 'c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1', deviceName: 'Old iPhone', productType: 'iPhone8,1', format: 'mbdb' });
}

describe('list', () => {
  it('lists every backup, archived copies too, with device facts (JSON and text)', async () => {
    const dir = freshDir();
    threeDevices(dir);
    writeFileSync(join(dir, 'not-a-backup.txt'), 'x');
    makeBackupFixture({ root: dir, udid: '00008110-000A', folder: '.ibackup-staging-00008110-000A' }); // the engine's work in progress
    makeBackupFixture({ root: join(dir, 'empty-folder'), udid: 'x' }); // a backup one level too deep is not listed
    const r = await runCommand(['list', '--dir', dir, '--json']);
    expect(r.code).toBe(0);
    const { backups } = JSON.parse(r.stdout);
    expect(backups.map((b: Record<string, unknown>) => [b.name, b.udid, b.deviceName, b.model, b.iosVersion, b.isComplete, b.isEncrypted, b.manifestFormat])).toEqual([
      ['00008110-000A', '00008110-000A', 'Alice iPhone', 'iPhone14,2', '17.5.1', true, false, 'db'],
      ['00008110-000A-20240101-120000', '00008110-000A', 'Alice iPhone', 'iPhone14,2', '17.5.1', true, false, 'db'],
      ['b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0', 'b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0', 'Bob iPad', 'iPad7,5', '12.5.7', false, false, 'db'],
      ['c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1', 'c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1', 'Old iPhone', 'iPhone8,1', '9.3.5', true, false, 'mbdb'],
    ]);
    expect(backups[0].lastBackupDate).toBe('2024-06-01T10:00:00.000Z');
    expect(backups[1].archivedAt).toBe(new Date(2024, 0, 1, 12, 0, 0).toISOString());
    expect(backups[0].archivedAt).toBeUndefined();
    for (const b of backups) expect(b.sizeOnDisk).toBeGreaterThan(300_000);

    const text = await runCommand(['list', '--dir', dir]);
    expect(text.code).toBe(0);
    const lines = text.stdout.trim().split('\n');
    expect(lines).toHaveLength(6);
    expect(lines[1]).toMatch(/^DEVICE\s+UDID\s+MODEL\s+iOS\s+LAST BACKUP/);
    expect(lines[3]).toMatch(/Alice iPhone.*00008110-000A-20240101-120000 \(archived\)$/);
    expect(lines[4]).toMatch(/Bob iPad\s+b0b0.*iPad7,5\s+12\.5\.7.*\sno\s+b0b0/);
  });

  it('takes the folder from IBACKUP_DIR, else the platform MobileSync location', async () => {
    expect(defaultBackupRoot({ IBACKUP_DIR: '/x/y' }, 'linux')).toBe('/x/y');
    expect(defaultBackupRoot({ HOME: '/home/u' }, 'darwin')).toBe('/home/u/Library/Application Support/MobileSync/Backup');
    expect(defaultBackupRoot({ HOME: '/home/u' }, 'linux')).toBe('/home/u/.local/share/MobileSync/Backup');
    expect(defaultBackupRoot({ HOME: '/home/u', XDG_DATA_HOME: '/data' }, 'linux')).toBe('/data/MobileSync/Backup');
    expect(defaultBackupRoot({ HOME: 'C:\\Users\\u', APPDATA: 'C:\\AppData' }, 'win32')).toMatch(/^C:\\AppData.Apple Computer.MobileSync.Backup$/);
    const dir = freshDir();
    makeBackupFixture({ root: dir, udid: 'env-device' });
    const saved = process.env.IBACKUP_DIR;
    process.env.IBACKUP_DIR = dir;
    try {
      const r = await runCommand(['list', '--json']);
      expect(JSON.parse(r.stdout).backups.map((b: { udid: string }) => b.udid)).toEqual(['env-device']);
      const show = await runCommand(['show', 'env-device']);
      expect(show.code).toBe(0);
    } finally {
      if (saved === undefined) delete process.env.IBACKUP_DIR;
      else process.env.IBACKUP_DIR = saved;
    }
  });

  it('an empty or missing folder lists nothing', async () => {
    const r = await runCommand(['list', '--dir', join(top, 'nope')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/No backups in/);
  });
});

describe('show', () => {
  it('summarizes one backup by UDID within --dir or by path', async () => {
    const dir = freshDir();
    threeDevices(dir);
    const r = await runCommand(['show', '00008110-000A', '--dir', dir]);
    expect(r.code).toBe(0);
    const entries = sampleEntries();
    expect(r.stdout).toMatch(/Device:\s+Alice iPhone\n/);
    expect(r.stdout).toMatch(/Model:\s+iPhone14,2\n/);
    expect(r.stdout).toMatch(/iOS:\s+17\.5\.1 \(21F90\)\n/);
    expect(r.stdout).toMatch(/Complete:\s+yes \(snapshot finished\)\n/);
    expect(r.stdout).toContain(
      `Entries:       ${entries.filter((e) => e.type === 'file').length} files, ${entries.filter((e) => e.type === 'dir').length} folders, 2 symlinks\n`,
    );
    const j = await runCommand(['show', join(dir, 'c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1'), '--json']);
    const s = JSON.parse(j.stdout);
    expect(s).toMatchObject({ deviceName: 'Old iPhone', manifestFormat: 'mbdb', isComplete: true });
    expect(s.entries.totalSize).toBe(entries.reduce((t, e) => t + (e.content?.length ?? 0), 0));
    const bob = await runCommand(['show', 'b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0', '--dir', dir]);
    expect(bob.stdout).toMatch(/Complete:\s+no \(snapshot uploading\)/);
  });

  it('explains a backup that does not exist', async () => {
    const r = await runCommand(['show', 'nope', '--dir', freshDir(), '--json']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no backup named "nope"/);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: { code: 'BACKUP_NOT_FOUND' } });
    const usage = await runCommand(['show']);
    expect(usage.code).toBe(2);
  });
});

describe('ls', () => {
  const dir = freshDir();
  threeDevices(dir);

  it.each(['00008110-000A', 'c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1'])('lists every entry and filters by domain and path (%s)', async (udid) => {
    const all = await runCommand(['ls', udid, '--dir', dir]);
    expect(all.code).toBe(0);
    expect(all.stdout.trim().split('\n').sort()).toEqual(
      sampleEntries()
        .map((e) => `${e.domain}/${e.relativePath}${e.type === 'dir' && e.relativePath ? '/' : ''}`)
        .sort(),
    );
    const home = await runCommand(['ls', udid, '--dir', dir, '--domain', 'HomeDomain', '--path', '**/*.plist']);
    expect(home.stdout.trim().split('\n').sort()).toEqual([
      'HomeDomain/Library/Preferences/com.apple.springboard.plist',
      'HomeDomain/Library/Preferences/empty.plist',
    ]);
    const long = await runCommand(['ls', udid, '--dir', dir, '--long', '--path', 'Library/Notes/*']);
    const lines = long.stdout.trim().split('\n').sort();
    expect(lines).toHaveLength(3);
    expect(lines.find((l) => l.includes('current'))).toMatch(/^lrwxr-xr-x .* HomeDomain\/Library\/Notes\/current -> notes\.sqlite$/);
    expect(lines.find((l) => l.includes('notes.sqlite') && !l.includes('->'))).toMatch(/^-rw-r--r--\s+501:501\s+300000 \d{4}-\d\d-\d\d \d\d:\d\d p3 HomeDomain\/Library\/Notes\/notes\.sqlite$/);
    const json = await runCommand(['ls', udid, '--dir', dir, '--json', '--domain', 'CameraRollDomain', '--path', 'Media/DCIM/*/*']);
    const parsed = JSON.parse(json.stdout) as { relativePath: string; size: number; mode: number; fileID: string }[];
    expect(parsed.map((e) => e.relativePath).sort()).toEqual(['Media/DCIM/100APPLE/IMG_0001.JPG', 'Media/DCIM/100APPLE/IMG_0002.HEIC']);
    expect(parsed.find((e) => e.relativePath.endsWith('HEIC'))).toMatchObject({ mode: 0o444, size: 11, fileID: fileIdOf('CameraRollDomain', 'Media/DCIM/100APPLE/IMG_0002.HEIC') });
    const none = await runCommand(['ls', udid, '--dir', dir, '--json', '--domain', 'Nothing']);
    expect(JSON.parse(none.stdout)).toEqual([]);
  });
});

describe('archive and delete', () => {
  it('archives beside the backup: contents hard-linked, plists and Manifest.db real copies', async () => {
    const dir = freshDir();
    const src = makeBackupFixture({ root: dir, udid: 'arch-1' });
    const now = new Date(2024, 4, 6, 7, 8, 9);
    const result = await archiveBackup(src, { now });
    expect(result.path).toBe(join(dir, 'arch-1-20240506-070809'));
    expect(archiveName('arch-1', now)).toBe('arch-1-20240506-070809');
    const files = sampleEntries().filter((e) => e.type === 'file');
    expect(result.linked).toBe(files.length);
    expect(result.copied).toBe(4); // Info, Status, Manifest.plist, Manifest.db
    const blobOf = (root: string, e: (typeof files)[number]): string => {
      const id = fileIdOf(e.domain, e.relativePath);
      return join(root, id.slice(0, 2), id);
    };
    for (const e of files) expect(statSync(blobOf(result.path, e)).ino).toBe(statSync(blobOf(src, e)).ino);
    for (const f of ['Info.plist', 'Status.plist', 'Manifest.plist', 'Manifest.db']) {
      expect(statSync(join(result.path, f)).ino).not.toBe(statSync(join(src, f)).ino);
      expect(readFileSync(join(result.path, f)).equals(readFileSync(join(src, f)))).toBe(true);
    }
    // Rewriting the original's plists leaves the archive as it was.
    writeFileSync(join(src, 'Status.plist'), 'rewritten');
    expect((await openBackup(result.path)).status?.SnapshotState).toBe('finished');
    expect((await (await openBackup(result.path)).verify()).ok).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(['arch-1', 'arch-1-20240506-070809']);
    await expect(archiveBackup(src, { now })).rejects.toMatchObject({ code: 'ARCHIVE_EXISTS' });

    const listed = await listBackups({ dir, sizes: false });
    expect(listed.map((b) => [b.name, b.archivedAt !== undefined])).toEqual([
      ['arch-1', false],
      ['arch-1-20240506-070809', true],
    ]);
  });

  it('archive --copy makes independent copies of everything (CLI)', async () => {
    const dir = freshDir();
    const src = makeBackupFixture({ root: dir, udid: 'arch-2', format: 'mbdb' });
    const r = await runCommand(['archive', 'arch-2', '--dir', dir, '--copy', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ ok: true, linked: 0 });
    expect(out.path).toMatch(/arch-2-\d{8}-\d{6}$/);
    const id = fileIdOf('HomeDomain', 'Library/Notes/notes.sqlite');
    expect(statSync(join(out.path, id)).ino).not.toBe(statSync(join(src, id)).ino);
    expect((await (await openBackup(out.path)).verify()).ok).toBe(true);
  });

  it('delete needs --yes without a terminal, and deletes with it', async () => {
    const dir = freshDir();
    const src = makeBackupFixture({ root: dir, udid: 'del-1' });
    const refused = await runCommand(['delete', 'del-1', '--dir', dir]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/pass --yes/);
    expect(existsSync(src)).toBe(true);
    const done = await runCommand(['delete', 'del-1', '--dir', dir, '--yes', '--json']);
    expect(done.code).toBe(0);
    expect(JSON.parse(done.stdout)).toEqual({ ok: true, deleted: src });
    expect(existsSync(src)).toBe(false);
  });

  it('delete refuses a folder that is not a backup', async () => {
    const dir = freshDir();
    const plain = join(dir, 'photos');
    makeBackupFixture({ root: dir, udid: 'photos' });
    for (const f of ['Info.plist', 'Status.plist', 'Manifest.plist', 'Manifest.db']) rmSync(join(plain, f));
    const r = await runCommand(['delete', plain, '--yes']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not a backup folder/);
    expect(existsSync(plain)).toBe(true);
  });
});
