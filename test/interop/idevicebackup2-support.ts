// Shared checks for the idevicebackup2 interop tests: a backup folder written by Debian's idevicebackup2 must
// hold exactly the simulated device's files.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { expect } from 'vitest';
import { decodePlist, isPlistDict, type PlistDict } from '../../protocols/index.js';
import { fileId, readManifestDb, recordOfEntry } from '../../mocks/manifest/index.js';
import type { SimFileEntry, SimFileSystem } from '../../mocks/types.js';

export const IDEVICEBACKUP2 = 'idevicebackup2';

export async function sha1Of(s: Readable): Promise<string> {
  const h = createHash('sha1');
  for await (const c of s) h.update(c as Buffer);
  return h.digest('hex');
}

export function readPlistFile(path: string): PlistDict {
  const v = decodePlist(readFileSync(path));
  if (!isPlistDict(v)) throw new Error(`${path} is not a dictionary plist`);
  return v;
}

/** "Received N files from device." (N includes the device's Status.plist ×2, Manifest.db and Manifest.plist). */
export function receivedFiles(stdout: string): number {
  const m = /Received (\d+) files? from device\./.exec(stdout);
  if (!m) throw new Error(`no "Received N files" line in:\n${stdout.slice(-2000)}`);
  return Number(m[1]);
}
/** Files a backup uploads besides data files: Status.plist (uploading), Manifest.db, Manifest.plist, Status.plist. */
export const BOOKKEEPING_UPLOADS = 4;

/** Metadata and content of every entry, keyed "domain/relativePath" (for before/after comparisons). */
export async function fingerprint(fs: SimFileSystem): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const e of fs.entries()) {
    const hash = e.type === 'file' ? await sha1Of(fs.openRead(e)) : '';
    const meta = [e.type, e.mode, e.size, e.mtime, e.ctime, e.birth, e.uid, e.gid, e.inode, e.protectionClass, e.target ?? null, hash];
    out.set(`${e.domain}/${e.relativePath}`, JSON.stringify(meta));
  }
  return out;
}

/** All files below `<root>/<udid>/xx/` (two-hex-digit folders). */
function dataFiles(backupDir: string): string[] {
  const out: string[] = [];
  for (const d of readdirSync(backupDir)) {
    if (!/^[0-9a-f]{2}$/.test(d) || !statSync(join(backupDir, d)).isDirectory()) continue;
    for (const f of readdirSync(join(backupDir, d))) out.push(`${d}/${f}`);
  }
  return out.sort();
}

/**
 * The folder `<root>/<udid>` is a complete, finished backup of `fs`: Info/Status/Manifest plists, one Manifest.db
 * row per entry with matching metadata, and one data file per file entry whose bytes equal the device's.
 */
export async function expectBackupOf(root: string, udid: string, fs: SimFileSystem): Promise<void> {
  const dir = join(root, udid);
  expect(existsSync(join(dir, 'Info.plist'))).toBe(true);
  const status = readPlistFile(join(dir, 'Status.plist'));
  expect(status).toMatchObject({ SnapshotState: 'finished', Version: '3.3' });
  const manifest = readPlistFile(join(dir, 'Manifest.plist'));
  expect(manifest).toMatchObject({ IsEncrypted: false, Lockdown: { UniqueDeviceID: udid } });
  expect(existsSync(join(dir, 'Snapshot'))).toBe(false);

  const entries = fs.entries();
  const rows = new Map(readManifestDb(join(dir, 'Manifest.db')).map((r) => [r.fileID, r]));
  expect(rows.size).toBe(entries.length);
  const files: SimFileEntry[] = [];
  for (const e of entries) {
    const id = fileId(e.domain, e.relativePath);
    const row = rows.get(id);
    expect(row, `${e.domain}/${e.relativePath}`).toBeDefined();
    expect(row?.record).toEqual(recordOfEntry(e));
    if (e.type === 'file') files.push(e);
  }
  const expected = files.map((e) => fileId(e.domain, e.relativePath)).map((id) => `${id.slice(0, 2)}/${id}`).sort();
  expect(dataFiles(dir)).toEqual(expected);
  for (const e of files) {
    const id = fileId(e.domain, e.relativePath);
    const onHost = await sha1Of(createReadStream(join(dir, id.slice(0, 2), id)));
    expect(onHost, `${e.domain}/${e.relativePath}`).toBe(await sha1Of(fs.openRead(e)));
  }
}
