import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';

export type SqliteDatabase = BetterSqlite3.Database;

let sqliteLib: typeof BetterSqlite3 | undefined;

/**
 * Open an SQLite file with better-sqlite3, loaded on first use: a static import made every command of the bundled
 * CLI load its native addon at start-up (≈ 20–40 ms of a backup's start, measured), though only reading a backup's
 * Manifest.db needs it.
 */
export function openSqlite(path: string, options?: BetterSqlite3.Options): SqliteDatabase {
  sqliteLib ??= createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;
  return new sqliteLib(path, options);
}
