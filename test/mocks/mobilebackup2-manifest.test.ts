import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { decodePlist, isPlistDict, PlistUid } from '../../protocols/index.js';
import { openSimFileSystem } from '../../mocks/fs/index.js';
import {
  buildManifestPlist,
  buildStatusPlist,
  decodeMBFile,
  encodeMBFile,
  fileId,
  readManifestDb,
  recordOfEntry,
  writeManifestDb,
} from '../../mocks/manifest/index.js';
import type { SimFileEntry } from '../../mocks/types.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'manifest-'));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

const symlink: SimFileEntry = {
  domain: 'HomeDomain', relativePath: 'Library/Preferences/alias.plist', type: 'symlink', mode: 0o755, size: 0,
  mtime: 1_690_000_000, ctime: 1_690_000_100, birth: 1_680_000_000, uid: 501, gid: 501, inode: 123456, protectionClass: 0,
  target: 'com.apple.springboard.plist',
};

describe('Manifest.db and MBFile records', () => {
  it('fileID is the lowercase SHA-1 of "domain-relativePath"', () => {
    // sha1("HomeDomain-Library/SMS/sms.db"), the well-known ID of the SMS database
    expect(fileId('HomeDomain', 'Library/SMS/sms.db')).toBe('3d0d7e5fb2ce288813306e4d4636395e047a3d28');
  });

  it('MBFile is an NSKeyedArchiver bplist with the documented layout and round-trips', () => {
    const rec = recordOfEntry(symlink);
    const bytes = encodeMBFile(rec);
    expect(bytes.subarray(0, 8).toString('latin1')).toBe('bplist00');
    const top = decodePlist(bytes);
    if (!isPlistDict(top)) throw new Error('not a dict');
    expect(top.$archiver).toBe('NSKeyedArchiver');
    expect(top.$version).toBe(100000);
    const objects = top.$objects as unknown[];
    expect(objects[0]).toBe('$null');
    expect(((top.$top as Record<string, unknown>).root as PlistUid).value).toBe(1);
    const file = objects[1] as Record<string, unknown>;
    expect(objects[(file.RelativePath as PlistUid).value]).toBe(symlink.relativePath);
    expect(objects[(file.Target as PlistUid).value]).toBe(symlink.target);
    expect(objects[(file.$class as PlistUid).value]).toEqual({ $classname: 'MBFile', $classes: ['MBFile', 'NSObject'] });
    expect(file.Mode).toBe(0o120755);
    expect(file).toMatchObject({ Size: 0, LastModified: 1_690_000_000, LastStatusChange: 1_690_000_100, Birth: 1_680_000_000, UserID: 501, GroupID: 501, InodeNumber: 123456, ProtectionClass: 0, Flags: 0 });
    expect(decodeMBFile(bytes)).toEqual(rec);
    const big = recordOfEntry({ ...symlink, type: 'file', target: undefined, size: 2 * 1024 ** 3 });
    expect(decodeMBFile(encodeMBFile(big))).toEqual(big);
    expect(big.mode).toBe(0o100755);
    expect(() => decodeMBFile(Buffer.from('bplist00garbage'))).toThrow();
  });

  it('writes the Files/Properties schema with one row per entry, readable by sqlite and by readManifestDb', async () => {
    const fs = await openSimFileSystem({ stateDir: await tempDir(), dataset: 'tiny' });
    const path = join(await tempDir(), 'Manifest.db');
    const entries = fs.entries();
    writeManifestDb(path, entries);
    const db = new Database(path, { readonly: true });
    const cols = (db.prepare("PRAGMA table_info('Files')").all() as { name: string; type: string; pk: number }[]).map((c) => `${c.name}:${c.type}:${c.pk}`);
    expect(cols).toEqual(['fileID:TEXT:1', 'domain:TEXT:0', 'relativePath:TEXT:0', 'flags:INTEGER:0', 'file:BLOB:0']);
    expect((db.prepare("PRAGMA table_info('Properties')").all() as { name: string }[]).map((c) => c.name)).toEqual(['key', 'value']);
    const indexes = (db.prepare("SELECT name FROM sqlite_master WHERE type='index' AND tbl_name='Files' AND sql IS NOT NULL").all() as { name: string }[]).map((r) => r.name);
    expect(indexes.length).toBe(3);
    const counts = db.prepare('SELECT flags, COUNT(*) n FROM Files GROUP BY flags ORDER BY flags').all();
    db.close();
    const by = (t: SimFileEntry['type']) => entries.filter((e) => e.type === t).length;
    expect(counts).toEqual([{ flags: 1, n: by('file') }, { flags: 2, n: by('dir') }, { flags: 4, n: by('symlink') }]);
    const rows = readManifestDb(path);
    expect(rows).toHaveLength(entries.length);
    for (const e of entries) {
      const row = rows.find((r) => r.fileID === fileId(e.domain, e.relativePath));
      expect(row?.domain).toBe(e.domain);
      expect(row?.relativePath).toBe(e.relativePath);
      expect(row?.record).toEqual(recordOfEntry(e));
    }
    const missing = join(await tempDir(), 'missing.db');
    expect(() => readManifestDb(missing)).toThrow(expect.objectContaining({ code: 'MANIFEST_DB_INVALID' }));
  });

  it('Manifest.plist and Status.plist carry the keys hosts read', () => {
    const m = buildManifestPlist({
      lockdownValues: { DeviceName: 'iPhone', ProductVersion: '17.5', ProductType: 'iPhone15,2', BuildVersion: '21F79', SerialNumber: 'F00', Secret: 'x' },
      udid: 'UDID1', isEncrypted: false, wasPasscodeSet: false, bundleIds: ['com.example.app'],
    });
    expect(m).toMatchObject({ Version: '10.0', IsEncrypted: false, WasPasscodeSet: false, Lockdown: { UniqueDeviceID: 'UDID1', DeviceName: 'iPhone', ProductVersion: '17.5' } });
    expect((m.Lockdown as Record<string, unknown>).Secret).toBeUndefined();
    expect(m.Date).toBeInstanceOf(Date);
    expect(Object.keys(m.Applications as object)).toEqual(['com.example.app']);
    const s = buildStatusPlist({ isFullBackup: true, snapshotState: 'finished' });
    expect(s).toMatchObject({ Version: '3.3', BackupState: 'new', SnapshotState: 'finished', IsFullBackup: true });
    expect(String(s.UUID)).toMatch(/^[0-9A-F-]{36}$/);
  });
});
