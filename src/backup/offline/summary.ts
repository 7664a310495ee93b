import { basename } from 'node:path';
import { isPlistDict, type PlistDict, type PlistValue } from '../../../protocols/plist/types.js';
import type { OpenedBackup } from '../reader/open-backup.js';

/** What `ibackup list` / `show` tell about a backup, from its plists. */
export interface BackupSummary {
  path: string;
  /** Folder name (the UDID, or `<UDID>-YYYYMMDD-HHMMSS` for an archived copy). */
  name: string;
  udid: string;
  deviceName?: string;
  /** Product Type, e.g. "iPhone14,2". */
  model?: string;
  iosVersion?: string;
  buildVersion?: string;
  serialNumber?: string;
  /** ISO date of the last backup (Info.plist Last Backup Date, else Status.plist / Manifest.plist Date). */
  lastBackupDate?: string;
  isEncrypted: boolean;
  isComplete: boolean;
  isFullBackup?: boolean;
  snapshotState?: string;
  manifestFormat?: 'db' | 'mbdb';
  /** Set for archived copies: when the copy was made (from the folder name, local time). */
  archivedAt?: string;
  /** Bytes on disk (filled in by listBackups when asked). */
  sizeOnDisk?: number;
}

const ARCHIVE_SUFFIX = /^(.+)-(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})$/;

/** `{ udid, date }` when `name` is an archived copy's folder name `<UDID>-YYYYMMDD-HHMMSS`. */
export function parseArchiveName(name: string): { udid: string; date: Date } | undefined {
  const m = ARCHIVE_SUFFIX.exec(name);
  if (!m) return undefined;
  const [, udid, y, mo, d, h, mi, s] = m as unknown as [string, string, string, string, string, string, string, string];
  const date = new Date(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  return Number.isNaN(date.getTime()) ? undefined : { udid, date };
}

function str(v: PlistValue | undefined): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function date(v: PlistValue | undefined): string | undefined {
  return v instanceof Date && !Number.isNaN(v.getTime()) ? v.toISOString() : undefined;
}

export function summarize(b: OpenedBackup): BackupSummary {
  const info: PlistDict = b.info ?? {};
  const lockdown: PlistDict = isPlistDict(b.manifest?.Lockdown) ? b.manifest.Lockdown : {};
  const name = basename(b.path);
  const s: BackupSummary = {
    path: b.path,
    name,
    udid: b.udid,
    isEncrypted: b.isEncrypted,
    isComplete: b.isComplete,
  };
  const set = <K extends keyof BackupSummary>(k: K, v: BackupSummary[K] | undefined): void => {
    if (v !== undefined) s[k] = v;
  };
  set('deviceName', str(info['Device Name']) ?? str(info['Display Name']) ?? str(lockdown.DeviceName));
  set('model', str(info['Product Type']) ?? str(lockdown.ProductType));
  set('iosVersion', str(info['Product Version']) ?? str(lockdown.ProductVersion));
  set('buildVersion', str(info['Build Version']) ?? str(lockdown.BuildVersion));
  set('serialNumber', str(info['Serial Number']) ?? str(lockdown.SerialNumber));
  set('lastBackupDate', date(info['Last Backup Date']) ?? date(b.status?.Date) ?? date(b.manifest?.Date));
  if (typeof b.status?.IsFullBackup === 'boolean') s.isFullBackup = b.status.IsFullBackup;
  set('snapshotState', str(b.status?.SnapshotState));
  set('manifestFormat', b.manifestFormat);
  const archived = parseArchiveName(name);
  if (archived) s.archivedAt = archived.date.toISOString();
  return s;
}
