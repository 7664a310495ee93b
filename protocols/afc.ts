// CONTRACT STUB — to be implemented (issue #2). Reference: protocol-reference.md §7.
import { ProtocolError } from './errors.js';
import type { IncrementalDecoder } from './stream.js';

export const AFC_MAGIC = 'CFA6LPAA';
export const AFC_HEADER_SIZE = 40;
export const AFC_DEFAULT_MAX_PACKET = 64 * 1024 * 1024;

export const AfcOp = {
  Status: 0x01,
  Data: 0x02,
  ReadDir: 0x03,
  RemovePath: 0x08,
  MakeDir: 0x09,
  GetFileInfo: 0x0a,
  GetDeviceInfo: 0x0b,
  FileOpen: 0x0d,
  FileOpenResult: 0x0e,
  FileRead: 0x0f,
  FileWrite: 0x10,
  FileClose: 0x14,
  RenamePath: 0x18,
  FileLock: 0x1b,
} as const;

export const AfcError = {
  Success: 0,
  UnknownError: 1,
  OpHeaderInvalid: 2,
  NoResources: 3,
  ReadError: 4,
  WriteError: 5,
  UnknownPacketType: 6,
  InvalidArg: 7,
  ObjectNotFound: 8,
  ObjectIsDir: 9,
  PermDenied: 10,
  ServiceNotConnected: 11,
  OpTimeout: 12,
  TooMuchData: 13,
  EndOfData: 14,
  OpNotSupported: 15,
  ObjectExists: 16,
  ObjectBusy: 17,
  NoSpaceLeft: 18,
  OpWouldBlock: 19,
  IoError: 20,
} as const;

export const AfcFileMode = { RdOnly: 1, Rw: 2, WrOnly: 3, Wr: 4, Append: 5, RdAppend: 6 } as const;
export const AfcLockOp = { Shared: 5, Exclusive: 6, Unlock: 12 } as const;

export interface AfcPacket {
  packetNum: number;
  operation: number;
  /** Bytes between the 40-byte header and `this_length`. */
  headerData: Buffer;
  /** Bytes after `this_length` up to `entire_length`. */
  payload: Buffer;
}

export function encodeAfcPacket(_p: AfcPacket): Buffer {
  throw new ProtocolError('FRAME_MALFORMED', 'not implemented');
}

export declare class AfcPacketDecoder implements IncrementalDecoder<AfcPacket> {
  constructor(opts?: { maxPacketBytes?: number });
  push(chunk: Uint8Array): AfcPacket[];
  readonly pending: number;
  finish(): void;
}

// Helpers for header data / payloads:
/** `u64le` values concatenated. */
export function encodeU64s(..._values: (number | bigint)[]): Buffer {
  throw new ProtocolError('FRAME_MALFORMED', 'not implemented');
}
/** NUL-terminated UTF-8 path. */
export function encodeCString(_s: string): Buffer {
  throw new ProtocolError('FRAME_MALFORMED', 'not implemented');
}
/** Split a NUL-separated list (READ_DIR, GET_FILE_INFO key/value pairs). */
export function decodeCStringList(_b: Uint8Array): string[] {
  throw new ProtocolError('FRAME_MALFORMED', 'not implemented');
}
