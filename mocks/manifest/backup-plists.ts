// Manifest.plist and Status.plist, as the device writes them into a backup (binary plists).
import { randomUUID } from 'node:crypto';
import { isPlistDict } from '../../protocols/plist/index.js';
import type { PlistDict, PlistValue } from '../../protocols/plist/index.js';

export type SnapshotState = 'uploading' | 'moving' | 'removing' | 'finished';

export interface StatusPlistOptions {
  uuid?: string;
  date?: Date;
  isFullBackup: boolean;
  snapshotState: SnapshotState;
  backupState?: 'empty' | 'old' | 'new';
}

export function buildStatusPlist(o: StatusPlistOptions): PlistDict {
  return {
    Version: '3.3',
    UUID: o.uuid ?? randomUUID().toUpperCase(),
    Date: o.date ?? new Date(),
    BackupState: o.backupState ?? 'new',
    SnapshotState: o.snapshotState,
    IsFullBackup: o.isFullBackup,
  };
}

/** Lockdown values a Manifest.plist carries (`Lockdown` dict). */
const LOCKDOWN_KEYS = ['BuildVersion', 'DeviceName', 'ProductType', 'ProductVersion', 'SerialNumber', 'UniqueDeviceID'];

export interface ManifestPlistOptions {
  /** All lockdown values of the device (GetValue without domain/key). */
  lockdownValues: PlistValue | undefined;
  udid: string;
  isEncrypted: boolean;
  wasPasscodeSet: boolean;
  /** Bundle IDs of the apps with data in the backup. */
  bundleIds: string[];
  date?: Date;
}

export function buildManifestPlist(o: ManifestPlistOptions): PlistDict {
  const values = isPlistDict(o.lockdownValues) ? o.lockdownValues : {};
  const lockdown: PlistDict = { UniqueDeviceID: o.udid };
  for (const k of LOCKDOWN_KEYS) if (values[k] !== undefined) lockdown[k] = values[k];
  const applications: PlistDict = {};
  for (const id of o.bundleIds) {
    applications[id] = { CFBundleIdentifier: id, CFBundleVersion: '1.0', ContainerContentClass: 'Data/Application' };
  }
  return {
    Version: '10.0',
    SystemDomainsVersion: '24.0',
    Date: o.date ?? new Date(),
    IsEncrypted: o.isEncrypted,
    WasPasscodeSet: o.wasPasscodeSet,
    Lockdown: lockdown,
    Applications: applications,
  };
}
