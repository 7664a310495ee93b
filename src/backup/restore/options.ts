import type { PlistDict } from '../../../protocols/index.js';
import type { DeviceHandle } from '../../lockdown/device.js';
import type { RestoreEvent } from './events.js';

export interface RestoreOptions {
  /** Device UDID; default: the only/first USB device. Ignored when `device` is given. */
  udid?: string;
  /** An already connected device (the caller keeps ownership and closes it). */
  device?: DeviceHandle;
  /** The backup: a folder path, or a folder name (UDID) inside `dir`. Default: `<dir>/<sourceUdid or device UDID>`. */
  backup?: string;
  /** Backup root folder (default: IBACKUP_DIR, else the platform's MobileSync/Backup folder). */
  dir?: string;
  /** Also restore system files (RestoreSystemFiles). Default false. */
  system?: boolean;
  /** Let the device reboot when the restore is done (default true; false sends RestoreShouldReboot:false). */
  reboot?: boolean;
  /** Let the device keep a copy of the backup while restoring (default false: RestoreDontCopyBackup:true). */
  copy?: boolean;
  /** Restore the device's settings too (default false: RestorePreserveSettings:true). */
  settings?: boolean;
  /** Remove items on the device that are not in the backup (RemoveItemsNotRestored). */
  remove?: boolean;
  /** Do not write /iTunesRestore/RestoreApplications.plist (the apps to reinstall). */
  skipApps?: boolean;
  /** Whose backup it is (SourceIdentifier), to restore another device's backup. Default: the backup's folder name. */
  sourceUdid?: string;
  /** Password of an encrypted backup (sent to the device only, never logged). */
  password?: string;
  signal?: AbortSignal;
  onEvent?: (event: RestoreEvent) => void;
  /** usbmuxd address ('UNIX:/path', '/path', 'host:port'); default USBMUXD_SOCKET_ADDRESS or the platform default. */
  muxAddress?: string;
  /** After a restore with reboot, wait for the device to come back (default true). */
  waitForReboot?: boolean;
  /** How long to wait for the device to come back after the reboot (default 5 minutes). */
  rebootTimeoutMs?: number;
  /** How long to wait for another host's sync lock (default 60 s). */
  syncLockTimeoutMs?: number;
  /** Minimum interval between progress events (default 200 ms). */
  progressIntervalMs?: number;
}

/**
 * The `Options` dict of the mobilebackup2 `Restore` request, as idevicebackup2 1.3.0 builds it
 * (protocol-reference §5.2): RestoreSystemFiles always; RestoreShouldReboot only when false;
 * RestoreDontCopyBackup unless copying; RestorePreserveSettings always; RemoveItemsNotRestored only when true;
 * Password when given.
 */
export function restoreRequestOptions(o: Pick<RestoreOptions, 'system' | 'reboot' | 'copy' | 'settings' | 'remove' | 'password'>): PlistDict {
  const opts: PlistDict = { RestoreSystemFiles: o.system === true };
  if (o.reboot === false) opts.RestoreShouldReboot = false;
  if (o.copy !== true) opts.RestoreDontCopyBackup = true;
  opts.RestorePreserveSettings = o.settings !== true;
  if (o.remove === true) opts.RemoveItemsNotRestored = true;
  if (o.password !== undefined) opts.Password = o.password;
  return opts;
}

/** The request options without secrets, for logs and events. */
export function redactedRequestOptions(opts: PlistDict): PlistDict {
  const { Password, ...rest } = opts;
  return Password === undefined ? rest : { ...rest, Password: '(hidden)' };
}
