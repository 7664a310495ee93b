import { join } from 'node:path';
import { decodePlist } from '../../../protocols/plist/index.js';
import { BackupReaderError, encryptedError } from './errors.js';
import { decodeMBFile } from './keyed-archive.js';
import { entryTypeOfMode } from './file-id.js';
import { sqliteDatabase, type SqliteDatabase } from './sqlite.js';
import type { BackupEntry, BackupEntryType } from './types.js';

interface FilesRow {
  fileID: string;
  domain: string;
  relativePath: string;
  flags: number;
  file: Buffer | null;
}

function typeOf(flags: number, mode: number): BackupEntryType | undefined {
  if (flags === 1) return 'file';
  if (flags === 2) return 'dir';
  if (flags === 4) return 'symlink';
  return entryTypeOfMode(mode);
}

function corrupt(dbPath: string, detail: string, cause?: unknown): BackupReaderError {
  return new BackupReaderError('BACKUP_MANIFEST_CORRUPT', `${dbPath} cannot be read: ${detail}`, {
    cause,
    hint: 'the backup is damaged; make a new backup (or restore Manifest.db from an archived copy)',
  });
}

/** Opens Manifest.db read-only; an encrypted Manifest.db (not SQLite) of an encrypted backup gives BACKUP_ENCRYPTED. */
export function openManifestDb(dbPath: string, isEncrypted: boolean): SqliteDatabase {
  const Sqlite = sqliteDatabase();
  let db: SqliteDatabase | undefined;
  try {
    db = new Sqlite(dbPath, { readonly: true, fileMustExist: true });
    db.prepare('SELECT fileID, domain, relativePath, flags, file FROM Files LIMIT 0').all();
    return db;
  } catch (err) {
    db?.close();
    if (isEncrypted) throw encryptedError('read its file list (Manifest.db is encrypted)');
    throw corrupt(dbPath, (err as Error).message, err);
  }
}

/** Turns one Files row into an entry. Throws BACKUP_MANIFEST_CORRUPT on a record that cannot be decoded. */
export function entryFromRow(row: FilesRow, backupPath: string, dbPath: string): BackupEntry {
  if (typeof row.fileID !== 'string' || !/^[0-9a-f]{40}$/i.test(row.fileID)) {
    throw corrupt(dbPath, `bad fileID ${JSON.stringify(row.fileID)}`);
  }
  let rec;
  try {
    if (!row.file) throw new TypeError('empty file record');
    rec = decodeMBFile(decodePlist(row.file));
  } catch (err) {
    throw corrupt(dbPath, `file record of ${row.domain}/${row.relativePath} (${row.fileID}): ${(err as Error).message}`, err);
  }
  const type = typeOf(Number(row.flags), rec.mode);
  if (!type) throw corrupt(dbPath, `unknown flags ${row.flags} for ${row.domain}/${row.relativePath}`);
  const fileID = row.fileID.toLowerCase();
  const entry: BackupEntry = {
    fileID,
    domain: String(row.domain),
    relativePath: String(row.relativePath ?? ''),
    type,
    mode: rec.mode & 0o7777,
    size: type === 'file' ? rec.size : 0,
    mtime: rec.mtime,
    ctime: rec.ctime,
    birth: rec.birth,
    uid: rec.uid,
    gid: rec.gid,
    inode: rec.inode,
    protectionClass: rec.protectionClass,
    hasEncryptionKey: rec.hasEncryptionKey,
    blobPath: join(backupPath, fileID.slice(0, 2), fileID),
  };
  if (rec.target !== undefined) entry.target = rec.target;
  return entry;
}

/**
 * Every row of `Files`, ordered by domain and path, one at a time (better-sqlite3 `.iterate()`): a manifest of a
 * million rows is never held in memory. `domain` (exact) narrows the query itself.
 */
export function* iterateManifestDb(db: SqliteDatabase, backupPath: string, dbPath: string, domain?: string): Generator<BackupEntry> {
  let rows: IterableIterator<unknown>;
  try {
    rows =
      domain === undefined
        ? db.prepare('SELECT fileID, domain, relativePath, flags, file FROM Files ORDER BY domain, relativePath').iterate()
        : db.prepare('SELECT fileID, domain, relativePath, flags, file FROM Files WHERE domain = ? ORDER BY relativePath').iterate(domain);
  } catch (err) {
    throw corrupt(dbPath, (err as Error).message, err);
  }
  try {
    while (true) {
      let next: IteratorResult<unknown>;
      try {
        next = rows.next();
      } catch (err) {
        throw corrupt(dbPath, (err as Error).message, err);
      }
      if (next.done) return;
      yield entryFromRow(next.value as FilesRow, backupPath, dbPath);
    }
  } finally {
    // Ends the statement when the consumer stops early, so the connection can be used (and closed) again.
    rows.return?.();
  }
}
