import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodePlist } from '../../protocols/plist/index.js';
import { openBackup } from '../../src/backup/reader/open-backup.js';
import { decodeMBFile } from '../../src/backup/reader/keyed-archive.js';
import { compileFilter, globToRegExp } from '../../src/backup/reader/filter.js';
import type { BackupEntry } from '../../src/backup/reader/types.js';
import { encodeMBFileArchive, encodeMbdb, fileIdOf, makeBackupFixture, sampleEntries, type FixtureEntry } from '../helpers/backup-fixture.js';

const root = mkdtempSync(join(tmpdir(), 'ibackup-reader-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function collect(it: AsyncIterable<BackupEntry>): Promise<BackupEntry[]> {
  const out: BackupEntry[] = [];
  for await (const e of it) out.push(e);
  return out;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function expectMatchesFixture(got: BackupEntry, want: FixtureEntry): void {
  expect(got.fileID).toBe(fileIdOf(want.domain, want.relativePath));
  expect(got.type).toBe(want.type);
  expect(got.mode).toBe(want.mode);
  expect(got.mtime).toBe(want.mtime);
  expect(got.size).toBe(want.type === 'file' ? (want.content?.length ?? 0) : 0);
  expect(got.protectionClass).toBe(want.protectionClass ?? 3);
  expect(got.uid).toBe(501);
  expect(got.inode).toBe(want.inode ?? 1000);
  if (want.type === 'symlink') expect(got.target).toBe(want.target);
  else expect(got.target).toBeUndefined();
}

describe.each(['db', 'mbdb'] as const)('openBackup (%s)', (format) => {
  const entries = sampleEntries(3);
  const path = makeBackupFixture({ root, udid: `00008110-00${format}`, format, entries });

  it('reads the plists and the file index with every field', async () => {
    const b = await openBackup(path);
    expect(b.udid).toBe(`00008110-00${format}`);
    expect(b.manifestFormat).toBe(format);
    expect(b.isEncrypted).toBe(false);
    expect(b.isComplete).toBe(true);
    expect(b.info?.['Device Name']).toBe('Test iPhone');
    const got = await collect(b.files());
    expect(got).toHaveLength(entries.length);
    const byKey = new Map(got.map((e) => [`${e.domain}/${e.relativePath}`, e]));
    for (const want of entries) {
      const e = byKey.get(`${want.domain}/${want.relativePath}`);
      expect(e, `${want.domain}/${want.relativePath}`).toBeDefined();
      expectMatchesFixture(e!, want);
    }
  });

  it('streams file contents byte for byte', async () => {
    const b = await openBackup(path);
    for await (const e of b.files({ type: 'file' })) {
      const want = entries.find((w) => w.domain === e.domain && w.relativePath === e.relativePath)!;
      expect((await readAll(b.readFile(e))).equals(want.content!)).toBe(true);
    }
  });

  it('filters by domain and path glob (a folder glob selects its contents)', async () => {
    const b = await openBackup(path);
    const names = async (f: Parameters<typeof b.files>[0]): Promise<string[]> =>
      (await collect(b.files(f))).map((e) => `${e.domain}/${e.relativePath}`).sort();
    expect(await names({ domain: 'CameraRollDomain', path: 'Media/DCIM/*/*.JPG' })).toEqual(['CameraRollDomain/Media/DCIM/100APPLE/IMG_0001.JPG']);
    expect(await names({ path: 'Media/DCIM' })).toEqual([
      'CameraRollDomain/Media/DCIM',
      'CameraRollDomain/Media/DCIM/100APPLE',
      'CameraRollDomain/Media/DCIM/100APPLE/IMG_0001.JPG',
      'CameraRollDomain/Media/DCIM/100APPLE/IMG_0002.HEIC',
    ]);
    expect(await names({ domain: 'AppDomain-*' })).toEqual(['AppDomain-com.example.notes/Documents/a b ü.txt']);
    expect(await names({ domain: 'HomeDomain', type: 'symlink' })).toEqual(['HomeDomain/Library/Notes/absolute-link', 'HomeDomain/Library/Notes/current']);
    expect(await names({ domain: 'NoSuchDomain' })).toEqual([]);
  });

  it('refuses to read a directory as a file', async () => {
    const b = await openBackup(path);
    const dir = (await collect(b.files({ type: 'dir' })))[0]!;
    expect(() => b.readFile(dir)).toThrow(expect.objectContaining({ code: 'BACKUP_NOT_A_FILE' }));
  });
});

describe('NSKeyedArchiver MBFile records', () => {
  it('resolves UIDs for RelativePath, Target and an NSMutableData EncryptionKey', () => {
    const rec = decodeMBFile(
      decodePlist(encodeMBFileArchive({ domain: 'D', relativePath: 'a/link', type: 'symlink', mode: 0o755, mtime: 5, target: '../b' }, { encryptionKey: Buffer.alloc(40, 1) })),
    );
    expect(rec).toMatchObject({ relativePath: 'a/link', target: '../b', hasEncryptionKey: true, mode: 0o120755, mtime: 5 });
  });
  it('rejects a record whose UID points outside $objects', () => {
    expect(() => decodeMBFile({ $top: { root: { value: 9 } as never }, $objects: ['$null'] })).toThrow();
  });
});

describe('glob', () => {
  it('keeps * within a folder and lets ** cross folders', () => {
    expect(globToRegExp('Library/*.plist').test('Library/a.plist')).toBe(true);
    expect(globToRegExp('Library/*.plist').test('Library/x/a.plist')).toBe(false);
    expect(globToRegExp('**/*.plist').test('Library/x/a.plist')).toBe(true);
    expect(globToRegExp('**/*.plist').test('a.plist')).toBe(true);
    expect(globToRegExp('IMG_000[12].*').test('IMG_0002.HEIC')).toBe(true);
    expect(globToRegExp('IMG_000[!12].*').test('IMG_0002.HEIC')).toBe(false);
    expect(globToRegExp('a+b(c)').test('a+b(c)')).toBe(true);
    expect(compileFilter({ path: '/Library' })({ domain: 'X', relativePath: 'Library/a', type: 'file' })).toBe(true);
  });
});

describe('large manifests', () => {
  // Folders: no content files to write, so the fixture stays quick to build.
  const many = (n: number): FixtureEntry[] =>
    Array.from({ length: n }, (_, i) => ({ domain: 'HomeDomain', relativePath: `Library/Caches/f${String(i).padStart(6, '0')}`, type: 'dir' as const, mode: 0o755, mtime: 1_600_000_000 + i }));

  it('streams a Manifest.mbdb much larger than one read chunk, across chunk boundaries', async () => {
    const entries = many(10_000);
    const path = makeBackupFixture({ root, udid: 'mbdb-many', format: 'mbdb', entries: [] });
    const mbdb = encodeMbdb(entries);
    expect(mbdb.length).toBeGreaterThan(2 * 256 * 1024);
    writeFileSync(join(path, 'Manifest.mbdb'), mbdb);
    const b = await openBackup(path);
    const got: string[] = [];
    for await (const e of b.files()) got.push(`${e.relativePath}@${e.mtime}`);
    expect(got).toEqual(entries.map((e) => `${e.relativePath}@${e.mtime}`));
  });

  it('reports a truncated Manifest.mbdb as corrupt', async () => {
    const path = makeBackupFixture({ root, udid: 'mbdb-trunc', format: 'mbdb' });
    const mbdb = encodeMbdb(sampleEntries());
    writeFileSync(join(path, 'Manifest.mbdb'), mbdb.subarray(0, mbdb.length - 7));
    const b = await openBackup(path);
    await expect(collect(b.files())).rejects.toMatchObject({ code: 'BACKUP_MANIFEST_CORRUPT' });
  });

  it('iterates a Manifest.db row by row and closes it when the consumer stops early', async () => {
    const path = makeBackupFixture({ root, udid: 'db-many', entries: many(5_000) });
    const b = await openBackup(path);
    let n = 0;
    for await (const _ of b.files()) if (++n === 10) break;
    expect(n).toBe(10);
    // The early break released the database: it can be opened for writing and changed.
    const db = new Database(join(path, 'Manifest.db'));
    db.prepare('DELETE FROM Files WHERE relativePath LIKE ?').run('Library/Caches/f001%');
    db.close();
    let total = 0;
    for await (const _ of b.files({ path: 'Library/Caches/*' })) total++;
    expect(total).toBe(4_000);
  });
});
