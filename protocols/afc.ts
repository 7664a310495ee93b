// AFC (protocol-reference.md §7): 40-byte header `CFA6LPAA`, u64le entire_length, this_length, packet_num,
// operation; then header data (up to this_length) and payload (up to entire_length).
import { ByteQueue } from './byte-queue.js';
import { ProtocolError } from './errors.js';
import { FailFastDecoder } from './stream.js';
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

/** A packet without its number: what the builders below return; the sender adds `packetNum`. */
export type AfcBody = Omit<AfcPacket, 'packetNum'>;

const MAGIC_BYTES = Buffer.from(AFC_MAGIC, 'latin1');
const EMPTY = Buffer.alloc(0);

function checkU53(name: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 0) throw new ProtocolError('FRAME_MALFORMED', `AFC ${name} must be a non-negative integer, got ${v}`);
}

/** Just the 40-byte header (write it, then header data and payload). */
export function encodeAfcHeader(packetNum: number, operation: number, headerDataLength: number, payloadLength: number): Buffer {
  checkU53('packet number', packetNum);
  checkU53('operation', operation);
  const h = Buffer.allocUnsafe(AFC_HEADER_SIZE);
  MAGIC_BYTES.copy(h, 0);
  h.writeBigUInt64LE(BigInt(AFC_HEADER_SIZE + headerDataLength + payloadLength), 8);
  h.writeBigUInt64LE(BigInt(AFC_HEADER_SIZE + headerDataLength), 16);
  h.writeBigUInt64LE(BigInt(packetNum), 24);
  h.writeBigUInt64LE(BigInt(operation), 32);
  return h;
}

export function encodeAfcPacket(p: AfcPacket): Buffer {
  const header = encodeAfcHeader(p.packetNum, p.operation, p.headerData.length, p.payload.length);
  return Buffer.concat([header, p.headerData, p.payload]);
}

export class AfcPacketDecoder extends FailFastDecoder implements IncrementalDecoder<AfcPacket> {
  private readonly queue = new ByteQueue();
  private readonly maxPacketBytes: number;
  private header: { entire: number; thisLength: number; packetNum: number; operation: number } | undefined;

  constructor(opts: { maxPacketBytes?: number } = {}) {
    super();
    this.maxPacketBytes = opts.maxPacketBytes ?? AFC_DEFAULT_MAX_PACKET;
  }

  get pending(): number {
    return this.queue.length;
  }

  push(chunk: Uint8Array): AfcPacket[] {
    return this.guard(() => {
      this.queue.push(chunk);
      const out: AfcPacket[] = [];
      for (;;) {
        if (this.header === undefined) {
          // Reject a bad magic as soon as its bytes are in, not only once 40 bytes arrived.
          const seen = Math.min(this.queue.length, 8);
          for (let i = 0; i < seen; i++) {
            if (this.queue.byteAt(i) !== MAGIC_BYTES[i]) throw new ProtocolError('FRAME_MALFORMED', 'AFC packet does not start with the CFA6LPAA magic');
          }
          if (this.queue.length < AFC_HEADER_SIZE) break;
          this.header = this.parseHeader(this.queue.take(AFC_HEADER_SIZE));
        }
        const h = this.header;
        const bodyLength = h.entire - AFC_HEADER_SIZE;
        if (this.queue.length < bodyLength) break;
        const headerDataLength = h.thisLength - AFC_HEADER_SIZE;
        const headerData = this.queue.take(headerDataLength);
        const payload = this.queue.take(bodyLength - headerDataLength);
        this.header = undefined;
        out.push({ packetNum: h.packetNum, operation: h.operation, headerData, payload });
      }
      return out;
    });
  }

  private parseHeader(h: Buffer): { entire: number; thisLength: number; packetNum: number; operation: number } {
    const entire = h.readBigUInt64LE(8);
    const thisLength = h.readBigUInt64LE(16);
    if (thisLength < BigInt(AFC_HEADER_SIZE) || entire < thisLength) {
      throw new ProtocolError('FRAME_MALFORMED', `AFC header lengths are inconsistent (entire ${entire}, this ${thisLength})`);
    }
    if (entire > BigInt(this.maxPacketBytes)) {
      throw new ProtocolError('FRAME_TOO_LARGE', `AFC packet of ${entire} bytes exceeds the ${this.maxPacketBytes}-byte limit`);
    }
    return {
      entire: Number(entire),
      thisLength: Number(thisLength),
      packetNum: Number(h.readBigUInt64LE(24)),
      operation: Number(h.readBigUInt64LE(32)),
    };
  }

  finish(): void {
    this.guard(() => {
      if (this.header !== undefined || this.queue.length > 0) {
        throw new ProtocolError('STREAM_TRUNCATED', 'AFC stream ended inside a packet');
      }
    });
  }
}

// ---- Helpers for header data / payloads ----

/** `u64le` values concatenated. */
export function encodeU64s(...values: (number | bigint)[]): Buffer {
  const b = Buffer.allocUnsafe(8 * values.length);
  values.forEach((v, i) => {
    const big = typeof v === 'bigint' ? v : Number.isSafeInteger(v) ? BigInt(v) : undefined;
    if (big === undefined || big < 0n || big > 0xffffffffffffffffn) throw new ProtocolError('FRAME_MALFORMED', `${String(v)} is not a u64`);
    b.writeBigUInt64LE(big, i * 8);
  });
  return b;
}

/** The `count` u64le values at the start of `b` (as numbers; values above 2^53 lose precision). */
export function decodeU64s(b: Uint8Array, count: number): number[] {
  if (b.byteLength < count * 8) throw new ProtocolError('FRAME_MALFORMED', `AFC field holds ${b.byteLength} bytes, expected ${count * 8}`);
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  return Array.from({ length: count }, (_, i) => Number(buf.readBigUInt64LE(i * 8)));
}

/** NUL-terminated UTF-8 path. */
export function encodeCString(s: string): Buffer {
  const bytes = Buffer.from(s, 'utf8');
  if (bytes.includes(0)) throw new ProtocolError('FRAME_MALFORMED', 'an AFC string must not contain NUL');
  const out = Buffer.alloc(bytes.length + 1);
  bytes.copy(out, 0);
  return out;
}

/** The string up to the first NUL (or the end). */
export function decodeCString(b: Uint8Array): string {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  const nul = buf.indexOf(0);
  return buf.toString('utf8', 0, nul < 0 ? buf.length : nul);
}

/** Split a NUL-separated list (READ_DIR, GET_FILE_INFO key/value pairs). A trailing NUL does not add an entry. */
export function decodeCStringList(b: Uint8Array): string[] {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  const out: string[] = [];
  let start = 0;
  while (start < buf.length) {
    let end = buf.indexOf(0, start);
    if (end < 0) end = buf.length;
    out.push(buf.toString('utf8', start, end));
    start = end + 1;
  }
  return out;
}

/** NUL-separated list, each entry NUL-terminated (how the device answers READ_DIR / GET_FILE_INFO). */
export function encodeCStringList(items: string[]): Buffer {
  return Buffer.concat(items.map(encodeCString));
}

/** Header data and payload as one buffer (replies may put their body in either part). */
export function afcBody(p: AfcBody): Buffer {
  if (p.payload.length === 0) return p.headerData;
  if (p.headerData.length === 0) return p.payload;
  return Buffer.concat([p.headerData, p.payload]);
}

// ---- Request builders (host → device) ----

const body = (operation: number, headerData: Buffer = EMPTY, payload: Buffer = EMPTY): AfcBody => ({ operation, headerData, payload });

export const afcFileOpen = (mode: number, path: string): AfcBody => body(AfcOp.FileOpen, Buffer.concat([encodeU64s(mode), encodeCString(path)]));
export const afcFileRead = (handle: number | bigint, length: number): AfcBody => body(AfcOp.FileRead, encodeU64s(handle, length));
/** `data` goes out as the payload (not copied until the packet is encoded). */
export const afcFileWrite = (handle: number | bigint, data: Uint8Array): AfcBody =>
  body(AfcOp.FileWrite, encodeU64s(handle), Buffer.from(data.buffer, data.byteOffset, data.byteLength));
export const afcFileClose = (handle: number | bigint): AfcBody => body(AfcOp.FileClose, encodeU64s(handle));
export const afcFileLock = (handle: number | bigint, op: number): AfcBody => body(AfcOp.FileLock, encodeU64s(handle, op));
export const afcGetFileInfo = (path: string): AfcBody => body(AfcOp.GetFileInfo, encodeCString(path));
export const afcReadDir = (path: string): AfcBody => body(AfcOp.ReadDir, encodeCString(path));
export const afcMakeDir = (path: string): AfcBody => body(AfcOp.MakeDir, encodeCString(path));
export const afcRemovePath = (path: string): AfcBody => body(AfcOp.RemovePath, encodeCString(path));

/** Requests whose only argument is a path (READ_DIR, GET_FILE_INFO, MAKE_DIR, REMOVE_PATH). */
export function readAfcPathRequest(p: AfcBody): string {
  return decodeCString(afcBody(p));
}
/** FILE_OPEN → `{mode, path}`. */
export function readAfcFileOpen(p: AfcBody): { mode: number; path: string } {
  const b = afcBody(p);
  const [mode] = decodeU64s(b, 1);
  return { mode: mode!, path: decodeCString(b.subarray(8)) };
}
/** FILE_READ → `{handle, length}`; FILE_LOCK → `{handle, op}` via readAfcU64Pair. */
export function readAfcU64Pair(p: AfcBody): [number, number] {
  const [a, b] = decodeU64s(p.headerData.length >= 16 ? p.headerData : afcBody(p), 2);
  return [a!, b!];
}
/** FILE_WRITE → `{handle, data}` (handle in the header data, bytes in the payload). */
export function readAfcFileWrite(p: AfcBody): { handle: number; data: Buffer } {
  if (p.headerData.length >= 8) return { handle: decodeU64s(p.headerData, 1)[0]!, data: p.payload };
  const b = afcBody(p);
  return { handle: decodeU64s(b, 1)[0]!, data: b.subarray(8) };
}
/** FILE_CLOSE → handle. */
export function readAfcHandle(p: AfcBody): number {
  return decodeU64s(afcBody(p), 1)[0]!;
}

// ---- Reply builders (device → host) and readers ----

/** STATUS with a u64le error code (0 = success). */
export const afcStatusReply = (code: number): AfcBody => body(AfcOp.Status, encodeU64s(code));
/** DATA: the bytes as payload (a bare DATA packet = success without data). */
export const afcDataReply = (data: Uint8Array = EMPTY): AfcBody =>
  body(AfcOp.Data, EMPTY, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
/** FILE_OPEN_RES with a u64le handle (must be non-zero for libimobiledevice). */
export const afcFileOpenReply = (handle: number | bigint): AfcBody => body(AfcOp.FileOpenResult, encodeU64s(handle));

/** The error code of a STATUS reply. */
export function readAfcStatus(p: AfcBody): number {
  if (p.operation !== AfcOp.Status) throw new ProtocolError('MESSAGE_INVALID', `AFC operation 0x${p.operation.toString(16)} is not STATUS`);
  return decodeU64s(afcBody(p), 1)[0]!;
}

/** GET_FILE_INFO DATA (`key\0value\0…`) as a record, e.g. `{st_size: "12", st_ifmt: "S_IFREG", …}`. */
export function parseAfcFileInfo(data: Uint8Array): Record<string, string> {
  const items = decodeCStringList(data);
  if (items.length % 2 !== 0) throw new ProtocolError('MESSAGE_INVALID', 'AFC file info has a key without a value');
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (let i = 0; i < items.length; i += 2) out[items[i]!] = items[i + 1]!;
  return out;
}

/** The inverse of parseAfcFileInfo, for the device side. */
export function encodeAfcFileInfo(info: Record<string, string | number | bigint>): Buffer {
  return encodeCStringList(Object.entries(info).flatMap(([k, v]) => [k, String(v)]));
}
