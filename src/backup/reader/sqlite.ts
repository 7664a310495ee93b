import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import { IBackupError } from '../../errors.js';

export type SqliteDatabase = BetterSqlite3.Database;

let sqliteLib: typeof BetterSqlite3 | undefined;

/**
 * better-sqlite3's Database class, loaded on first use: a static import made every command of the bundled CLI load
 * its native addon at start-up (≈ 20–40 ms of a backup's start, measured), though only reading a backup's
 * Manifest.db needs it. Call it outside the try that maps open errors to "corrupt Manifest.db": a library that
 * cannot be loaded is SQLITE_UNAVAILABLE, not a problem of the backup.
 */
export function sqliteDatabase(): typeof BetterSqlite3 {
  if (sqliteLib) return sqliteLib;
  try {
    sqliteLib = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;
  } catch (err) {
    throw new IBackupError('SQLITE_UNAVAILABLE', `The SQLite library (better-sqlite3) could not be loaded: ${(err as Error).message}`, {
      cause: err,
      hint: 'Reinstall the dependencies (npm ci) so that its native addon is built for this Node.js version.',
    });
  }
  return sqliteLib;
}
