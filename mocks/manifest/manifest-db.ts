// Manifest.db: the SQLite index of a backup (one Files row per entry).
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import { CodedError } from '../../protocols/errors.js';
import type { SimFileEntry } from '../types.js';
import { fileId } from './file-id.js';
import { decodeMBFile, decodeMBFileDirect, encodeMBFile, recordOfEntry, type MBFileRecord } from './mbfile.js';

let sqliteLib: typeof BetterSqlite3 | undefined;
/** better-sqlite3 on first use (the CLI bundle carries the simulator; a static import cost every command ≈ 20–40 ms). */
function sqliteDatabase(): typeof BetterSqlite3 {
  return (sqliteLib ??= createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3);
}

/** Manifest.db `flags`: 1 file, 2 directory, 4 symlink. */
export const ManifestFlags = { file: 1, dir: 2, symlink: 4 } as const;

export interface ManifestRow {
  fileID: string;
  domain: string;
  relativePath: string;
  flags: number;
  /** The decoded `file` column (undefined if the blob is missing or unreadable). */
  record?: MBFileRecord;
}

const TABLES = `
CREATE TABLE Files (fileID TEXT PRIMARY KEY, domain TEXT, relativePath TEXT, flags INTEGER, file BLOB);
CREATE TABLE Properties (key TEXT PRIMARY KEY, value BLOB);
`;
/** Built after the rows are in (one sort per index instead of 50,000 random inserts). */
const INDEXES = `
CREATE INDEX FilesDomainIdx ON Files(domain);
CREATE INDEX FilesRelativePathIdx ON Files(relativePath);
CREATE INDEX FilesFlagsIdx ON Files(flags);
`;

/**
 * A new Manifest.db at `path` (must not exist), written in steps: rows as they become known (one transaction),
 * the indexes and properties at the end. A device can so build it while the host is busy storing uploads,
 * instead of all at once after the last one while the host waits.
 */
export class ManifestDbWriter {
  private readonly db: BetterSqlite3.Database;
  private readonly insert: BetterSqlite3.Statement;

  constructor(path: string) {
    this.db = new (sqliteDatabase())(path);
    try {
      // A scratch file written in one go: no rollback journal, no fsync, enough cache to never spill mid-transaction.
      this.db.pragma('journal_mode = OFF');
      this.db.pragma('synchronous = OFF');
      this.db.pragma('cache_size = -131072');
      this.db.exec(TABLES);
      this.insert = this.db.prepare('INSERT INTO Files (fileID, domain, relativePath, flags, file) VALUES (?, ?, ?, ?, ?)');
      this.db.exec('BEGIN');
    } catch (err) {
      this.db.close();
      throw err;
    }
  }

  /** Add the rows of `entries[from, to)`. */
  add(entries: readonly SimFileEntry[], from = 0, to = entries.length): void {
    for (let i = from; i < to; i++) {
      const e = entries[i] as SimFileEntry;
      this.insert.run(fileId(e.domain, e.relativePath), e.domain, e.relativePath, ManifestFlags[e.type], encodeMBFile(recordOfEntry(e)));
    }
  }

  /** Properties, indexes, commit and close. */
  finish(properties: Record<string, Buffer | string> = {}): void {
    const prop = this.db.prepare('INSERT INTO Properties (key, value) VALUES (?, ?)');
    for (const [k, v] of Object.entries(properties)) prop.run(k, v);
    this.db.exec(INDEXES);
    this.db.exec('COMMIT');
    this.close();
  }

  /** Close (without finishing: the file is left incomplete, for the caller to throw away). */
  close(): void {
    if (this.db.open) this.db.close();
  }
}

/** Write a new Manifest.db at `path` (must not exist) listing `entries`. */
export function writeManifestDb(path: string, entries: readonly SimFileEntry[], properties: Record<string, Buffer | string> = {}): void {
  const writer = new ManifestDbWriter(path);
  try {
    writer.add(entries);
    writer.finish(properties);
  } finally {
    writer.close();
  }
}

/** Read every row of a Manifest.db (throws MANIFEST_DB_INVALID if it is not one). */
export function readManifestDb(path: string): ManifestRow[] {
  const Sqlite = sqliteDatabase(); // (a library that cannot load is not an invalid Manifest.db)
  let db: BetterSqlite3.Database;
  try {
    db = new Sqlite(path, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw new CodedError('MANIFEST_DB_INVALID', `cannot open Manifest.db ${path}: ${(err as Error).message}`, { cause: err });
  }
  try {
    const rows = db.prepare('SELECT fileID, domain, relativePath, flags, file FROM Files').all() as {
      fileID: string;
      domain: string;
      relativePath: string;
      flags: number;
      file: Buffer | null;
    }[];
    return rows.map((r) => {
      const row: ManifestRow = { fileID: r.fileID, domain: r.domain, relativePath: r.relativePath, flags: r.flags };
      if (r.file) {
        try {
          row.record = decodeMBFileDirect(r.file) ?? decodeMBFile(r.file);
        } catch {
          // leave record undefined: the caller treats the file as unknown
        }
      }
      return row;
    });
  } catch (err) {
    throw new CodedError('MANIFEST_DB_INVALID', `Manifest.db ${path} is not readable: ${(err as Error).message}`, { cause: err });
  } finally {
    db.close();
  }
}
