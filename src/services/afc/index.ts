// CONTRACT STUB — implemented by the host connection stack (issue #4).
import type { ServiceConnection } from '../../lockdown/device.js';

export const AFC_SERVICE = 'com.apple.afc';

export interface AfcFileInfo {
  size: number;
  type: 'file' | 'dir' | 'symlink' | 'other';
  mtimeNs?: bigint;
  raw: Record<string, string>;
}

export declare class AfcClient {
  constructor(conn: ServiceConnection);
  /** Throws IBackupError code 'AFC_ERROR' with `afcCode` on failure; returns a non-zero handle. */
  open(path: string, mode: number, signal?: AbortSignal): Promise<bigint>;
  read(handle: bigint, length: number, signal?: AbortSignal): Promise<Buffer>;
  write(handle: bigint, data: Uint8Array, signal?: AbortSignal): Promise<void>;
  close(handle: bigint): Promise<void>;
  /** FileLock op (AfcLockOp). Rejects with afcCode 19 (would block) when held by someone else. */
  lock(handle: bigint, op: number, signal?: AbortSignal): Promise<void>;
  getFileInfo(path: string, signal?: AbortSignal): Promise<AfcFileInfo | undefined>;
  readDir(path: string, signal?: AbortSignal): Promise<string[]>;
  makeDir(path: string, signal?: AbortSignal): Promise<void>;
  removePath(path: string, signal?: AbortSignal): Promise<void>;
  /** Whole small file (e.g. /iTunes_Control/iTunes/*); undefined if missing. */
  readFile(path: string, signal?: AbortSignal): Promise<Buffer | undefined>;
  writeFile(path: string, data: Uint8Array, signal?: AbortSignal): Promise<void>;
  disconnect(): Promise<void>;
}
