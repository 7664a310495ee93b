// CONTRACT between the parts of the simulated iPhone (mocks/). Imports protocols/ only, never src/.
import type { Duplex, Readable } from 'node:stream';
import type { PlistDict, PlistValue } from '../protocols/index.js';

/** What a simulated device does with the file data a restore sends it (SimDeviceOptions.restoreContent). */
export type RestoreContent = 'disk' | 'hash' | 'size';

/** One entry of the simulated device's file system (a backup "file record"). Times are seconds since the epoch. */
export interface SimFileEntry {
  domain: string; // e.g. "HomeDomain", "CameraRollDomain", "AppDomain-com.example.app"
  relativePath: string; // "" for the domain root; no leading slash
  type: 'file' | 'dir' | 'symlink';
  mode: number; // permission bits only (e.g. 0o644); the type comes from `type`
  size: number; // bytes (0 for dirs)
  mtime: number;
  ctime: number;
  birth: number;
  uid: number;
  gid: number;
  inode: number;
  protectionClass: number;
  target?: string; // symlink target
}

/** The virtual device file system, kept as real files (or seed-generated content) under a state directory. */
export interface SimFileSystem {
  readonly stateDir: string;
  /** Every entry, sorted by domain then relativePath. */
  entries(): SimFileEntry[];
  get(domain: string, relativePath: string): SimFileEntry | undefined;
  /** The content of a file entry as a stream (generated from the seed or read from disk; never whole in memory). */
  openRead(entry: SimFileEntry): Readable;
  /**
   * The same content as read-only in-memory views of at most `maxChunk` bytes, produced synchronously, when it
   * needs no I/O (generated or empty content); undefined when the content must be read with openRead().
   */
  contentChunks?(entry: SimFileEntry, maxChunk?: number): Iterable<Buffer> | undefined;
  /** Create or replace an entry (restore, mutations). For files, `data` streams the content. */
  put(entry: SimFileEntry, data?: Readable): Promise<void>;
  /**
   * Create or replace a file entry from data pushed in pieces (a restore receiving the host's blocks): the same
   * result as put() with a stream, without a stream pipeline per file. The entry appears at `end()`.
   * `content` (default 'disk'): 'hash' records only the size and SHA-1 of the data, 'size' only its size (reading
   * the file back then fails with SIM_CONTENT_NOT_KEPT); see SimDeviceOptions.restoreContent.
   */
  putWriter?(entry: SimFileEntry, opts?: { content?: RestoreContent }): SimFileWriter;
  /**
   * Create or replace a file entry whose content is generated from `seed` and `key` (as the datasets' files are),
   * `entry.size` bytes: nothing is written to disk, and the content is served as fast as the dataset's own.
   * Mutations use it, so the files an incremental backup sends are read the same way as in a full one.
   */
  putGenerated(entry: SimFileEntry, content: { seed: number; key: string }): Promise<void>;
  remove(domain: string, relativePath: string): Promise<void>;
  /** Delete everything (a wiped device). */
  wipe(): Promise<void>;
  /**
   * A short stable identity of a file's current content ('' never; undefined for non-files). It changes whenever
   * put() replaces the content, so mobilebackup2 can tell changed files apart without hashing them.
   */
  contentId?(domain: string, relativePath: string): string | undefined;
}

/** See SimFileSystem.putWriter. */
export interface SimFileWriter {
  /** Take a piece. It may be a view into a reused read buffer: valid during the call only (copied if kept). */
  write(data: Buffer): void;
  /** Store what was written and create/replace the entry. */
  end(): Promise<void>;
  /** Drop what was written; the entry is left as it was. */
  abort(): void;
}

/** Fault injection options (issue #3). */
export interface SimFaults {
  /** Drop service connection(s) of `service` (default com.apple.mobilebackup2) after this many bytes device→host. */
  dropAfterBytes?: number;
  dropService?: string;
  /** Delay the first response on every new lockdown/service connection by this many ms. */
  firstResponseDelayMs?: number;
  /** Ask for the passcode when a backup starts; without it, fail with MBErrorDomain 208 after this many ms. */
  passcodeTimeoutMs?: number;
  /** Answer Backup/Restore requests with this MBErrorDomain error code (3, 102, 105, 205, 207, 208 …). */
  mbError?: number;
  /** The device reports its disk full (backup/restore fail as a real device does). */
  diskFull?: boolean;
  /**
   * A hostile device: during a backup, first upload one file to this host path (e.g. `../../escape.txt`,
   * `/tmp/abs.txt`) instead of a path inside `<UDID>/`. A correct host refuses it and writes nothing outside.
   */
  hostilePath?: string;
}

/** Device state shared by lockdownd and the services. */
export interface SimDevice {
  readonly udid: string;
  readonly deviceId: number; // usbmuxd DeviceID (> 0)
  /** lockdown values by domain ('' = no domain). Services read/write e.g. com.apple.mobile.backup/WillEncrypt. */
  getValue(domain: string, key?: string): PlistValue | undefined;
  setValue(domain: string, key: string, value: PlistValue | undefined): void;
  readonly fs: SimFileSystem;
  faults: SimFaults;
  /** What a restore does with the file data it receives (SimDeviceOptions.restoreContent; default 'disk'). */
  readonly restoreContent?: RestoreContent;
  /** Every mobilebackup2 request dict received, in order (tests assert on options). */
  readonly requests: PlistDict[];
  /** Posts a notification to every notification_proxy client observing `name`. */
  postNotification(name: string): void;
  /** Simulates a reboot: detach from usbmuxd, then re-attach after `ms`. */
  reboot(ms?: number): void;
}

/** The device side of one lockdown service, given the (already TLS-wrapped if EnableServiceSSL) connection. */
export type SimServiceHandler = (conn: Duplex, device: SimDevice) => void;
