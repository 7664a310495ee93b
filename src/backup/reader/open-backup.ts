import { createReadStream, existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import type { PlistDict } from '../../../protocols/plist/types.js';
import { BackupReaderError, encryptedError } from './errors.js';
import { extractBackup } from './extract.js';
import { compileFilter, hasGlobChars } from './filter.js';
import { iterateManifestDb, openManifestDb } from './manifest-db.js';
import { iterateMbdb } from './manifest-mbdb.js';
import { readPlistDictFile } from './plist-file.js';
import type { Backup, BackupEntry, EntryFilter, ExtractOptions, ManifestFormat } from './types.js';
import { verifyBackup } from './verify.js';

/** The files whose presence makes a folder a backup folder. */
export const BACKUP_MARKERS = ['Info.plist', 'Manifest.plist', 'Status.plist', 'Manifest.db', 'Manifest.mbdb'] as const;

export function looksLikeBackup(dir: string): boolean {
  return BACKUP_MARKERS.some((m) => existsSync(join(dir, m)));
}

/** Info/Status/Manifest.plist that could not be parsed, kept so verify() can report them. */
export type PlistLoadErrors = Partial<Record<'info' | 'status' | 'manifest', Error>>;

export interface OpenedBackup extends Backup {
  /** Problems met while reading the plists (the matching field is then undefined). */
  readonly plistErrors: PlistLoadErrors;
  /** Absolute path of Manifest.db / Manifest.mbdb, if there is one. */
  readonly manifestPath: string | undefined;
}

async function loadPlist(path: string, key: keyof PlistLoadErrors, errors: PlistLoadErrors): Promise<PlistDict | undefined> {
  try {
    return await readPlistDictFile(path);
  } catch (err) {
    if (!(err instanceof BackupReaderError)) throw err;
    errors[key] = err;
    return undefined;
  }
}

function udidOf(dir: string, info: PlistDict | undefined, manifest: PlistDict | undefined): string {
  const fromInfo = info?.['Target Identifier'] ?? info?.['Unique Identifier'];
  if (typeof fromInfo === 'string' && fromInfo) return fromInfo;
  const lockdown = manifest?.Lockdown;
  if (lockdown && typeof lockdown === 'object' && 'UniqueDeviceID' in lockdown && typeof lockdown.UniqueDeviceID === 'string') {
    return lockdown.UniqueDeviceID;
  }
  return basename(dir).replace(/-\d{8}-\d{6}$/, '');
}

/**
 * Opens a backup folder without a device: reads Info/Status/Manifest.plist and finds the file index
 * (Manifest.db for iOS ≥ 10, Manifest.mbdb for iOS 5–9). Throws BACKUP_NOT_FOUND when `path` is not one.
 */
export async function openBackup(path: string): Promise<OpenedBackup> {
  const dir = resolve(path);
  let st;
  try {
    st = await stat(dir);
  } catch {
    throw new BackupReaderError('BACKUP_NOT_FOUND', `no backup at ${dir}: the folder does not exist`);
  }
  if (!st.isDirectory() || !looksLikeBackup(dir)) {
    throw new BackupReaderError('BACKUP_NOT_FOUND', `${dir} is not a backup folder (no Info.plist, Manifest.plist, Status.plist or Manifest.db)`, {
      hint: 'give the folder named after the device UDID, or run `ibackup list` to see the backups',
    });
  }
  const plistErrors: PlistLoadErrors = {};
  const info = await loadPlist(join(dir, 'Info.plist'), 'info', plistErrors);
  const status = await loadPlist(join(dir, 'Status.plist'), 'status', plistErrors);
  const manifest = await loadPlist(join(dir, 'Manifest.plist'), 'manifest', plistErrors);
  const dbPath = join(dir, 'Manifest.db');
  const mbdbPath = join(dir, 'Manifest.mbdb');
  const manifestFormat: ManifestFormat | undefined = existsSync(dbPath) ? 'db' : existsSync(mbdbPath) ? 'mbdb' : undefined;
  const manifestPath = manifestFormat === 'db' ? dbPath : manifestFormat === 'mbdb' ? mbdbPath : undefined;
  const isEncrypted = manifest?.IsEncrypted === true;
  const isComplete = status?.SnapshotState === 'finished' && manifestFormat !== undefined;

  const backup: OpenedBackup = {
    path: dir,
    udid: udidOf(dir, info, manifest),
    info,
    status,
    manifest,
    manifestFormat,
    manifestPath,
    isEncrypted,
    isComplete,
    plistErrors,

    files(filter?: EntryFilter): AsyncIterableIterator<BackupEntry> {
      return iterateFiles(dir, manifestFormat, manifestPath, isEncrypted, filter);
    },

    readFile(entry: BackupEntry): Readable {
      if (entry.type !== 'file') {
        throw new BackupReaderError('BACKUP_NOT_A_FILE', `${entry.domain}/${entry.relativePath} is a ${entry.type}, not a file`);
      }
      if (isEncrypted) throw encryptedError(`read ${entry.domain}/${entry.relativePath}`);
      if (!existsSync(entry.blobPath)) {
        if (entry.size === 0) return Readable.from([]);
        throw new BackupReaderError('BACKUP_BLOB_MISSING', `the content of ${entry.domain}/${entry.relativePath} (${entry.fileID}) is missing from the backup`, {
          hint: 'run `ibackup verify` on this backup; make a new full backup to repair it',
        });
      }
      return createReadStream(entry.blobPath);
    },

    extract(out: string, filterOrOptions?: EntryFilter | ExtractOptions) {
      const opts: ExtractOptions =
        filterOrOptions && ('filter' in filterOrOptions || 'signal' in filterOrOptions || 'onEntry' in filterOrOptions)
          ? (filterOrOptions as ExtractOptions)
          : { filter: filterOrOptions as EntryFilter | undefined };
      return extractBackup(backup, out, opts);
    },

    verify(options?: { signal?: AbortSignal }) {
      return verifyBackup(backup, options?.signal);
    },
  };
  return backup;
}

async function* iterateFiles(
  dir: string,
  format: ManifestFormat | undefined,
  manifestPath: string | undefined,
  isEncrypted: boolean,
  filter: EntryFilter | undefined,
): AsyncGenerator<BackupEntry> {
  if (!format || !manifestPath) {
    throw new BackupReaderError('BACKUP_NO_MANIFEST', `${dir} has no file index (neither Manifest.db nor Manifest.mbdb)`, {
      hint: 'the backup is incomplete; run a new backup',
    });
  }
  const matches = compileFilter(filter);
  if (format === 'mbdb') {
    for await (const e of iterateMbdb(manifestPath, dir)) if (matches(e)) yield e;
    return;
  }
  const db = openManifestDb(manifestPath, isEncrypted);
  try {
    const exactDomain = filter?.domain !== undefined && !hasGlobChars(filter.domain) ? filter.domain : undefined;
    let n = 0;
    for (const e of iterateManifestDb(db, dir, manifestPath, exactDomain)) {
      if (matches(e)) yield e;
      // Let other work (timers, I/O) run now and then during a long synchronous scan.
      if (++n % 4096 === 0) await new Promise<void>((r) => setImmediate(r));
    }
  } finally {
    db.close();
  }
}
