import type { DatasetName } from '../fs/index.js';
import type { RestoreContent, SimFaults } from '../types.js';

/** What the Trust dialog does when a host asks to pair. */
export type SimTrustMode = 'accept' | 'deny' | { pendingAttempts: number };

/** Options of one simulated device (all optional). */
export interface SimDeviceOptions {
  udid?: string;
  dataset?: DatasetName;
  seed?: number;
  /** Keep a host pair record ready in the simulator's usbmuxd (default true). false: a host must Pair first. */
  paired?: boolean;
  trust?: SimTrustMode;
  /** The device is locked with a passcode: Pair answers PasswordProtected until `device.locked = false`. */
  locked?: boolean;
  /** EnableSessionSSL in the StartSession reply (default true). */
  sessionSSL?: boolean;
  /** EnableServiceSSL per service name (default false for every service). */
  serviceSSL?: Record<string, boolean>;
  productVersion?: string;
  deviceName?: string;
  /** usbmuxd ConnectionType (default 'USB'). */
  connectionType?: 'USB' | 'Network';
  /** A passcode is set (diagnostics_relay MobileGestalt PasswordConfigured; default false). */
  passcodeSet?: boolean;
  faults?: SimFaults;
  /**
   * What a restore does with the file data it receives: 'disk' (default) stores it, so it can be read and backed
   * up again; 'hash' records each file's size and SHA-1 only; 'size' records each file's size only — for the
   * benchmark, where a device writing gigabytes to this machine's disk, while the host reads the backup from the
   * same disk, would measure the disk rather than the host engines, and hashing every byte would make the device
   * the slowest part of the restore.
   */
  restoreContent?: RestoreContent;
}
