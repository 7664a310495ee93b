import type { Readable } from 'node:stream';
import type { PlistDict } from '../../../protocols/plist/types.js';

/** The kind of a backup entry (Manifest.db flags 1/2/4, or the S_IFMT bits of an mbdb record's mode). */
export type BackupEntryType = 'file' | 'dir' | 'symlink';

/** Which manifest format the file index comes from. */
export type ManifestFormat = 'db' | 'mbdb';

/** One file record of a backup. Times are seconds since the Unix epoch. */
export interface BackupEntry {
  /** Lowercase hex SHA-1 of `"<domain>-<relativePath>"`. */
  fileID: string;
  domain: string;
  /** No leading slash; "" for the domain root. */
  relativePath: string;
  type: BackupEntryType;
  /** Permission bits only (e.g. 0o644); the type is in `type`. */
  mode: number;
  /** Bytes (0 for directories and symlinks). */
  size: number;
  mtime: number;
  ctime: number;
  birth: number;
  /** Last access time (only Manifest.mbdb records it). */
  atime?: number;
  uid: number;
  gid: number;
  inode: number;
  protectionClass: number;
  /** Symlink target, written as is. */
  target?: string;
  /** Whether the record carries a per-file encryption key (encrypted backups). */
  hasEncryptionKey: boolean;
  /** Absolute path of the file's content in the backup folder (only meaningful for files). */
  blobPath: string;
}

/** Selects entries: `domain` and `path` are globs (`*`, `?`, `**`, `[abc]`); `type` limits the kinds. */
export interface EntryFilter {
  domain?: string;
  path?: string;
  type?: BackupEntryType | BackupEntryType[];
}

/** One problem found by `verify()`. */
export interface VerifyProblem {
  code:
    | 'INFO_MISSING'
    | 'INFO_UNREADABLE'
    | 'STATUS_MISSING'
    | 'STATUS_UNREADABLE'
    | 'STATUS_INCOMPLETE'
    | 'STATUS_VERSION'
    | 'MANIFEST_PLIST_MISSING'
    | 'MANIFEST_PLIST_UNREADABLE'
    | 'MANIFEST_MISSING'
    | 'MANIFEST_CORRUPT'
    | 'UDID_MISMATCH'
    | 'BLOB_MISSING'
    | 'BLOB_SIZE'
    | 'BLOB_NOT_FILE';
  message: string;
  domain?: string;
  relativePath?: string;
  fileID?: string;
}

export interface VerifyReport {
  ok: boolean;
  /** Entries checked, by type. */
  counts: { files: number; dirs: number; symlinks: number };
  /** Sum of the sizes of file entries. */
  totalSize: number;
  /** The problems found (at most the first 1000; `problemCount` has the total). */
  problems: VerifyProblem[];
  problemCount: number;
  /** Set when the file contents could not be checked (encrypted backups: blobs are ciphertext, sizes differ). */
  skippedBlobs?: string;
}

export interface ExtractOptions {
  filter?: EntryFilter;
  signal?: AbortSignal;
  /** Called after each entry is written. */
  onEntry?: (entry: BackupEntry) => void;
}

export interface ExtractResult {
  files: number;
  dirs: number;
  symlinks: number;
  bytes: number;
}

/** An opened backup folder. */
export interface Backup {
  /** Absolute path of the backup folder. */
  readonly path: string;
  /** The device UDID (Info.plist `Target Identifier`, else Manifest.plist `Lockdown.UniqueDeviceID`, else the folder name). */
  readonly udid: string;
  readonly info: PlistDict | undefined;
  readonly status: PlistDict | undefined;
  readonly manifest: PlistDict | undefined;
  readonly manifestFormat: ManifestFormat | undefined;
  readonly isEncrypted: boolean;
  /** Status.plist says `SnapshotState: finished` and a file index exists. */
  readonly isComplete: boolean;
  /** Every entry matching `filter`, streamed from the manifest (never loaded whole). */
  files(filter?: EntryFilter): AsyncIterableIterator<BackupEntry>;
  /** The content of a file entry as a stream. Throws BACKUP_ENCRYPTED for encrypted backups. */
  readFile(entry: BackupEntry): Readable;
  /** Writes the matching entries under `out/<domain>/<relativePath>`. */
  extract(out: string, filterOrOptions?: EntryFilter | ExtractOptions): Promise<ExtractResult>;
  verify(options?: { signal?: AbortSignal }): Promise<VerifyReport>;
}
