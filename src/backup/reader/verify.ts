import { stat } from 'node:fs/promises';
import { CodedError } from '../../../protocols/errors.js';
import { isPlistDict } from '../../../protocols/plist/types.js';
import type { OpenedBackup } from './open-backup.js';
import { sqliteDatabase, type SqliteDatabase } from './sqlite.js';
import type { BackupEntry, VerifyProblem, VerifyReport } from './types.js';

const MAX_PROBLEMS = 1000;
const STAT_BATCH = 64;

class ProblemList {
  readonly items: VerifyProblem[] = [];
  count = 0;
  add(p: VerifyProblem): void {
    this.count++;
    if (this.items.length < MAX_PROBLEMS) this.items.push(p);
  }
}

function checkPlists(b: OpenedBackup, problems: ProblemList): void {
  const pe = b.plistErrors;
  if (pe.info) problems.add({ code: 'INFO_UNREADABLE', message: pe.info.message });
  else if (!b.info) problems.add({ code: 'INFO_MISSING', message: 'Info.plist is missing' });
  if (pe.status) problems.add({ code: 'STATUS_UNREADABLE', message: pe.status.message });
  else if (!b.status) problems.add({ code: 'STATUS_MISSING', message: 'Status.plist is missing' });
  else {
    const state = b.status.SnapshotState;
    if (state !== 'finished') {
      problems.add({ code: 'STATUS_INCOMPLETE', message: `Status.plist SnapshotState is ${JSON.stringify(state)}, not "finished": the last backup did not complete` });
    }
    const version = Number.parseFloat(String(b.status.Version ?? ''));
    if (!(version >= 2.4 && version < 4)) {
      problems.add({ code: 'STATUS_VERSION', message: `Status.plist Version ${JSON.stringify(b.status.Version)} is not a supported version (2.4 to 3.x)` });
    }
  }
  if (pe.manifest) problems.add({ code: 'MANIFEST_PLIST_UNREADABLE', message: pe.manifest.message });
  else if (!b.manifest) problems.add({ code: 'MANIFEST_PLIST_MISSING', message: 'Manifest.plist is missing' });
  const infoUdid = b.info?.['Target Identifier'];
  const lockdown = b.manifest?.Lockdown;
  const manifestUdid = isPlistDict(lockdown) ? lockdown.UniqueDeviceID : undefined;
  if (typeof infoUdid === 'string' && typeof manifestUdid === 'string' && infoUdid.toLowerCase() !== manifestUdid.toLowerCase()) {
    problems.add({ code: 'UDID_MISMATCH', message: `Info.plist is for device ${infoUdid} but Manifest.plist for ${manifestUdid}` });
  }
}

function quickCheck(dbPath: string): string | undefined {
  const Sqlite = sqliteDatabase();
  let db: SqliteDatabase | undefined;
  try {
    db = new Sqlite(dbPath, { readonly: true, fileMustExist: true });
    const rows = db.prepare('PRAGMA quick_check').all() as { quick_check: string }[];
    const bad = rows.map((r) => r.quick_check).filter((r) => r !== 'ok');
    return bad.length ? bad.slice(0, 5).join('; ') : undefined;
  } catch (err) {
    return (err as Error).message;
  } finally {
    db?.close();
  }
}

async function checkBlob(e: BackupEntry, checkSize: boolean, problems: ProblemList): Promise<void> {
  const where = { domain: e.domain, relativePath: e.relativePath, fileID: e.fileID };
  let st;
  try {
    st = await stat(e.blobPath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    // Empty files may have no content file; extraction writes them empty.
    if (e.size > 0) problems.add({ code: 'BLOB_MISSING', message: `content of ${e.domain}/${e.relativePath} (${e.size} bytes) is missing: ${e.blobPath}`, ...where });
    return;
  }
  if (!st.isFile()) {
    problems.add({ code: 'BLOB_NOT_FILE', message: `content of ${e.domain}/${e.relativePath} is not a regular file: ${e.blobPath}`, ...where });
  } else if (checkSize && st.size !== e.size) {
    problems.add({ code: 'BLOB_SIZE', message: `content of ${e.domain}/${e.relativePath} is ${st.size} bytes, the manifest says ${e.size}`, ...where });
  }
}

/**
 * Checks a backup folder offline: the plists are present, readable and agree; the file index is readable; every
 * file entry's content is present with the recorded size (sizes are skipped for encrypted backups).
 */
export async function verifyBackup(b: OpenedBackup, signal?: AbortSignal): Promise<VerifyReport> {
  const problems = new ProblemList();
  const report: VerifyReport = { ok: false, counts: { files: 0, dirs: 0, symlinks: 0 }, totalSize: 0, problems: problems.items, problemCount: 0 };
  checkPlists(b, problems);
  if (!b.manifestPath) {
    problems.add({ code: 'MANIFEST_MISSING', message: 'the file index is missing (neither Manifest.db nor Manifest.mbdb)' });
  } else {
    const dbProblem = b.manifestFormat === 'db' && !b.isEncrypted ? quickCheck(b.manifestPath) : undefined;
    if (dbProblem) {
      problems.add({ code: 'MANIFEST_CORRUPT', message: `Manifest.db is damaged: ${dbProblem}` });
    } else {
      let batch: BackupEntry[] = [];
      const flush = async (): Promise<void> => {
        await Promise.all(batch.map((e) => checkBlob(e, !b.isEncrypted, problems)));
        batch = [];
      };
      try {
        for await (const e of b.files()) {
          signal?.throwIfAborted();
          if (e.type === 'file') {
            report.counts.files++;
            report.totalSize += e.size;
            batch.push(e);
            if (batch.length >= STAT_BATCH) await flush();
          } else if (e.type === 'dir') report.counts.dirs++;
          else report.counts.symlinks++;
        }
        await flush();
        if (b.isEncrypted) report.skippedBlobs = 'encrypted backup: content sizes were not compared (contents are encrypted)';
      } catch (err) {
        if (!(err instanceof CodedError)) throw err;
        if (err.code === 'BACKUP_ENCRYPTED') {
          report.skippedBlobs = 'encrypted backup: the file index is encrypted, so entries and contents were not checked';
        } else {
          problems.add({ code: 'MANIFEST_CORRUPT', message: err.message });
        }
      }
    }
  }
  report.problemCount = problems.count;
  report.ok = problems.count === 0;
  return report;
}
