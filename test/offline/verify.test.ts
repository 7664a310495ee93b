import { openSync, closeSync, writeSync, mkdtempSync, rmSync, statSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodePlist } from '../../protocols/plist/index.js';
import { openBackup } from '../../src/backup/reader/open-backup.js';
import { fileIdOf, makeBackupFixture, sampleEntries } from '../helpers/backup-fixture.js';
import { runCommand } from './run-command.js';

const root = mkdtempSync(join(tmpdir(), 'ibackup-verify-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fixture = (format: 'db' | 'mbdb' = 'db'): string => makeBackupFixture({ root, udid: `verify-${++n}`, format });

const blob = (dir: string, format: 'db' | 'mbdb', domain: string, relativePath: string): string => {
  const id = fileIdOf(domain, relativePath);
  return format === 'db' ? join(dir, id.slice(0, 2), id) : join(dir, id);
};

describe.each(['db', 'mbdb'] as const)('verify (%s)', (format) => {
  it('passes a good backup', async () => {
    const dir = fixture(format);
    const report = await (await openBackup(dir)).verify();
    const files = sampleEntries().filter((e) => e.type === 'file');
    expect(report).toMatchObject({ ok: true, problems: [], problemCount: 0 });
    expect(report.counts.files).toBe(files.length);
    expect(report.totalSize).toBe(files.reduce((s, e) => s + e.content!.length, 0));
    const r = await runCommand(['verify', dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/OK: the backup is consistent/);
  });

  it('reports a deleted blob and a truncated blob, and exits non-zero', async () => {
    const dir = fixture(format);
    unlinkSync(blob(dir, format, 'HomeDomain', 'Library/Notes/notes.sqlite'));
    const jpg = blob(dir, format, 'CameraRollDomain', 'Media/DCIM/100APPLE/IMG_0001.JPG');
    truncateSync(jpg, statSync(jpg).size - 3);
    const report = await (await openBackup(dir)).verify();
    expect(report.ok).toBe(false);
    expect(report.problems.map((p) => [p.code, p.relativePath]).sort()).toEqual([
      ['BLOB_MISSING', 'Library/Notes/notes.sqlite'],
      ['BLOB_SIZE', 'Media/DCIM/100APPLE/IMG_0001.JPG'],
    ]);
    const r = await runCommand(['verify', dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/BLOB_MISSING: content of HomeDomain\/Library\/Notes\/notes.sqlite/);
    expect(r.stdout).toMatch(/BLOB_SIZE: content of CameraRollDomain\/Media\/DCIM\/100APPLE\/IMG_0001.JPG is \d+ bytes, the manifest says \d+/);
    expect(r.stdout).toMatch(/FAILED: 2 problem/);
  });
});

describe('verify: manifest and plists', () => {
  it('reports a corrupt Manifest.db (garbage over its pages)', async () => {
    const dir = fixture();
    const db = join(dir, 'Manifest.db');
    const fd = openSync(db, 'r+');
    const size = statSync(db).size;
    for (let off = 4096; off < size; off += 4096) writeSync(fd, Buffer.alloc(512, 0xee), 0, 512, off);
    closeSync(fd);
    const r = await runCommand(['verify', dir, '--json']);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.ok).toBe(false);
    expect(report.problems.map((p: { code: string }) => p.code)).toContain('MANIFEST_CORRUPT');
  });

  it('reports a truncated Manifest.db', async () => {
    const dir = fixture();
    truncateSync(join(dir, 'Manifest.db'), 1000);
    const report = await (await openBackup(dir)).verify();
    expect(report.problems.map((p) => p.code)).toEqual(['MANIFEST_CORRUPT']);
  });

  it('reports a Manifest.db that is not SQLite at all, and a missing one', async () => {
    const dir = fixture();
    writeFileSync(join(dir, 'Manifest.db'), 'not a database');
    expect((await (await openBackup(dir)).verify()).problems.map((p) => p.code)).toEqual(['MANIFEST_CORRUPT']);
    unlinkSync(join(dir, 'Manifest.db'));
    const b = await openBackup(dir);
    expect(b.isComplete).toBe(false);
    expect((await b.verify()).problems.map((p) => p.code)).toEqual(['MANIFEST_MISSING']);
  });

  it('reports an unfinished snapshot, an unreadable Status.plist and disagreeing UDIDs', async () => {
    const dir = fixture();
    writeFileSync(join(dir, 'Status.plist'), encodePlist({ Version: '3.3', SnapshotState: 'uploading', Date: new Date() }, 'binary'));
    writeFileSync(join(dir, 'Manifest.plist'), encodePlist({ IsEncrypted: false, Lockdown: { UniqueDeviceID: 'someone-else' } }, 'xml'));
    let codes = (await (await openBackup(dir)).verify()).problems.map((p) => p.code);
    expect(codes).toEqual(['STATUS_INCOMPLETE', 'UDID_MISMATCH']);
    writeFileSync(join(dir, 'Status.plist'), 'garbage');
    codes = (await (await openBackup(dir)).verify()).problems.map((p) => p.code);
    expect(codes).toEqual(['STATUS_UNREADABLE', 'UDID_MISMATCH']);
  });

  it('encrypted: passes, but says that contents could not be checked', async () => {
    const dir = makeBackupFixture({ root, udid: 'verify-enc', encrypted: true });
    const report = await (await openBackup(dir)).verify();
    expect(report.ok).toBe(true);
    expect(report.skippedBlobs).toMatch(/encrypted/);
  });
});
