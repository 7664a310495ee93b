// CONTRACT STUB — to be implemented (issue #2). Reference: protocol-reference.md §5.5.
// The raw file streams of mobilebackup2 that follow DLMessageUploadFiles (device → host) and
// DLMessageDownloadFiles (host → device). All integers u32be. Block = u32be n, u8 code, n−1 bytes.
import { ProtocolError } from './errors.js';
import type { IncrementalDecoder } from './stream.js';

export const FileBlockCode = { Success: 0x00, ErrorLocal: 0x06, ErrorRemote: 0x0b, FileData: 0x0c } as const;
/** Host → device data blocks carry at most 32 KiB (Apple's DeviceLink default). */
export const MB2_HOST_BLOCK_SIZE = 32 * 1024;
/** Names/paths longer than this are refused (libimobiledevice: 4096). */
export const MB2_MAX_NAME_BYTES = 4096;

/** Events of the device → host upload stream (answer to DLMessageUploadFiles). `data` is a view, not a copy. */
export type UploadStreamEvent =
  | { type: 'file'; deviceName: string; hostPath: string }
  | { type: 'data'; data: Buffer }
  | { type: 'file-end' }
  | { type: 'file-error'; message: string }
  | { type: 'end' };

/** Events of the host → device download stream (answer to DLMessageDownloadFiles). */
export type DownloadStreamEvent =
  | { type: 'file'; path: string }
  | { type: 'data'; data: Buffer }
  | { type: 'file-end' }
  | { type: 'file-error'; message: string }
  | { type: 'end' };

export declare class UploadStreamDecoder implements IncrementalDecoder<UploadStreamEvent> {
  /** maxBlockBytes bounds one data block (default 16 MiB); names above MB2_MAX_NAME_BYTES are refused. */
  constructor(opts?: { maxBlockBytes?: number });
  push(chunk: Uint8Array): UploadStreamEvent[];
  readonly pending: number;
  /** True once the 0 terminator was read; bytes after it are left for the caller (see `rest()`). */
  readonly done: boolean;
  /** Bytes received after the terminator (the start of the next DL message). */
  rest(): Buffer;
  finish(): void;
}
export declare class DownloadStreamDecoder implements IncrementalDecoder<DownloadStreamEvent> {
  constructor(opts?: { maxBlockBytes?: number });
  push(chunk: Uint8Array): DownloadStreamEvent[];
  readonly pending: number;
  readonly done: boolean;
  rest(): Buffer;
  finish(): void;
}

// Encoders (both directions share the block format):
/** u32be len + name. */
export function encodeStreamName(_name: string): Buffer {
  throw new ProtocolError('FRAME_MALFORMED', 'not implemented');
}
/** The 5-byte header of a FILE_DATA block carrying `length` bytes (write it, then the data, to avoid a copy). */
export function encodeDataBlockHeader(_length: number): Buffer {
  throw new ProtocolError('FRAME_MALFORMED', 'not implemented');
}
/** `00 00 00 01 00`: end of one file. */
export function encodeSuccessBlock(): Buffer {
  throw new ProtocolError('FRAME_MALFORMED', 'not implemented');
}
/** An error block (0x06 host-side / 0x0B device-side) with a text. */
export function encodeErrorBlock(_code: 0x06 | 0x0b, _message: string): Buffer {
  throw new ProtocolError('FRAME_MALFORMED', 'not implemented');
}
/** `00 00 00 00`: end of the whole stream. */
export function encodeStreamTerminator(): Buffer {
  throw new ProtocolError('FRAME_MALFORMED', 'not implemented');
}
