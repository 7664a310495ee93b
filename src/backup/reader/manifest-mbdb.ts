import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { BackupReaderError } from './errors.js';
import { entryTypeOfMode, fileIdOf } from './file-id.js';
import type { BackupEntry } from './types.js';

/**
 * Manifest.mbdb (iOS 5–9): magic `mbdb` + `05 00`, then records, all big-endian:
 *   domain, path, target, digest, encryptionKey  — each u16 length + bytes, 0xFFFF = null
 *   mode u16, inode u64, uid u32, gid u32, mtime u32, atime u32, ctime u32, size u64,
 *   protectionClass u8, propertyCount u8, then propertyCount × (name, value) strings.
 * The file content is stored flat at `<backup>/<sha1("<domain>-<path>")>`.
 */
export const MBDB_MAGIC = Buffer.from([0x6d, 0x62, 0x64, 0x62, 0x05, 0x00]);

/** Raw mbdb record as stored. */
export interface MbdbRecord {
  domain: string;
  path: string;
  target: string | null;
  digest: Buffer | null;
  encryptionKey: Buffer | null;
  mode: number;
  inode: bigint;
  uid: number;
  gid: number;
  mtime: number;
  atime: number;
  ctime: number;
  size: bigint;
  protectionClass: number;
  properties: [string, Buffer][];
}

const CHUNK = 256 * 1024;

class Incomplete extends Error {}

/** Reads one record at `pos`; throws Incomplete if `buf` ends first. */
function parseRecord(buf: Buffer, pos: number): { record: MbdbRecord; next: number } {
  let p = pos;
  const need = (n: number): void => {
    if (p + n > buf.length) throw new Incomplete();
  };
  const bytes = (): Buffer | null => {
    need(2);
    const len = buf.readUInt16BE(p);
    p += 2;
    if (len === 0xffff) return null;
    need(len);
    const b = buf.subarray(p, p + len);
    p += len;
    return b;
  };
  const str = (): string | null => {
    const b = bytes();
    return b === null ? null : b.toString('utf8');
  };
  const domain = str();
  const path = str();
  const target = str();
  const digest = bytes();
  const encryptionKey = bytes();
  need(2 + 8 + 4 * 5 + 8 + 2);
  const mode = buf.readUInt16BE(p);
  const inode = buf.readBigUInt64BE(p + 2);
  const uid = buf.readUInt32BE(p + 10);
  const gid = buf.readUInt32BE(p + 14);
  const mtime = buf.readUInt32BE(p + 18);
  const atime = buf.readUInt32BE(p + 22);
  const ctime = buf.readUInt32BE(p + 26);
  const size = buf.readBigUInt64BE(p + 30);
  const protectionClass = buf.readUInt8(p + 38);
  const count = buf.readUInt8(p + 39);
  p += 40;
  const properties: [string, Buffer][] = [];
  for (let i = 0; i < count; i++) {
    const name = str() ?? '';
    const value = bytes() ?? Buffer.alloc(0);
    properties.push([name, Buffer.from(value)]);
  }
  return {
    record: {
      domain: domain ?? '',
      path: path ?? '',
      target,
      digest: digest && Buffer.from(digest),
      encryptionKey: encryptionKey && Buffer.from(encryptionKey),
      mode,
      inode,
      uid,
      gid,
      mtime,
      atime,
      ctime,
      size,
      protectionClass,
      properties,
    },
    next: p,
  };
}

function corrupt(mbdbPath: string, detail: string): BackupReaderError {
  return new BackupReaderError('BACKUP_MANIFEST_CORRUPT', `${mbdbPath} cannot be read: ${detail}`, {
    hint: 'the backup is damaged; make a new backup',
  });
}

/** Streams the records of a Manifest.mbdb, reading the file in bounded chunks. */
export async function* readMbdbRecords(mbdbPath: string, signal?: AbortSignal): AsyncGenerator<MbdbRecord> {
  const fh = await open(mbdbPath, 'r');
  try {
    let buf = Buffer.alloc(0);
    let pos = 0;
    let offset = 0; // file offset of buf[0]
    let eof = false;
    const fill = async (): Promise<void> => {
      const keep = buf.subarray(pos);
      const chunk = Buffer.allocUnsafe(Math.max(CHUNK, keep.length));
      const { bytesRead } = await fh.read(chunk, 0, chunk.length, offset + buf.length);
      if (bytesRead === 0) eof = true;
      offset += pos;
      buf = Buffer.concat([keep, chunk.subarray(0, bytesRead)]);
      pos = 0;
    };
    while (buf.length < MBDB_MAGIC.length && !eof) await fill();
    if (buf.length < MBDB_MAGIC.length || !buf.subarray(0, MBDB_MAGIC.length).equals(MBDB_MAGIC)) {
      throw corrupt(mbdbPath, 'not a Manifest.mbdb (expected magic "mbdb" 05 00)');
    }
    pos = MBDB_MAGIC.length;
    while (true) {
      signal?.throwIfAborted();
      if (pos === buf.length) {
        if (eof) return;
        await fill();
        if (buf.length === 0) return;
        continue;
      }
      let parsed;
      try {
        parsed = parseRecord(buf, pos);
      } catch (err) {
        if (!(err instanceof Incomplete)) throw err;
        if (eof) throw corrupt(mbdbPath, `truncated record at byte ${offset + pos}`);
        await fill();
        continue;
      }
      pos = parsed.next;
      yield parsed.record;
    }
  } finally {
    await fh.close();
  }
}

/** Entries of a Manifest.mbdb, in file order. */
export async function* iterateMbdb(mbdbPath: string, backupPath: string, signal?: AbortSignal): AsyncGenerator<BackupEntry> {
  for await (const r of readMbdbRecords(mbdbPath, signal)) {
    const type = entryTypeOfMode(r.mode);
    if (!type) throw corrupt(mbdbPath, `unknown file type in mode 0o${r.mode.toString(8)} of ${r.domain}/${r.path}`);
    const fileID = fileIdOf(r.domain, r.path);
    const entry: BackupEntry = {
      fileID,
      domain: r.domain,
      relativePath: r.path,
      type,
      mode: r.mode & 0o7777,
      size: type === 'file' ? Number(r.size) : 0,
      mtime: r.mtime,
      ctime: r.ctime,
      birth: r.ctime,
      atime: r.atime,
      uid: r.uid,
      gid: r.gid,
      inode: Number(r.inode),
      protectionClass: r.protectionClass,
      hasEncryptionKey: r.encryptionKey !== null && r.encryptionKey.length > 0,
      blobPath: join(backupPath, fileID),
    };
    if (r.target !== null && type === 'symlink') entry.target = r.target;
    yield entry;
  }
}
