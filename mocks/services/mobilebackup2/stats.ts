// Counters of what the simulated BackupAgent2 did, for tests (keyed by device, never persisted).
import type { SimDevice } from '../../types.js';

export interface BackupReport {
  mode: 'full' | 'incremental';
  /** Data files uploaded (not counting Manifest.db, Manifest.plist, Status.plist). */
  filesUploaded: number;
  bytesUploaded: number;
  /** Files removed from the host's backup because they no longer exist on the device. */
  filesRemoved: number;
}

export interface RestoreReport {
  filesRestored: number;
  bytesRestored: number;
  entriesRemoved: number;
  skippedDomains: string[];
}

export interface Mobilebackup2Stats {
  backups: BackupReport[];
  restores: RestoreReport[];
}

const stats = new WeakMap<SimDevice, Mobilebackup2Stats>();

export function mobilebackup2Stats(device: SimDevice): Mobilebackup2Stats {
  let s = stats.get(device);
  if (!s) stats.set(device, (s = { backups: [], restores: [] }));
  return s;
}
