// DeviceLink messages (protocol-reference.md §4, §5.4): plist arrays framed like lockdown (u32be length + plist)
// whose element 0 is a "DL…" name.
import { ProtocolError } from './errors.js';
import { LOCKDOWN_DEFAULT_MAX_FRAME, LengthPrefixedDecoder, decodeFramePlist, encodeLockdownFrame } from './lockdown-frame.js';
import { isPlistDict, PlistReal } from './plist/index.js';
import type { PlistDict, PlistValue } from './plist/index.js';
import type { IncrementalDecoder } from './stream.js';

/** Placeholder for an absent string/plist parameter. */
export const DL_EMPTY = '___EmptyParameterString___';

export type DLMessage = PlistValue[];

/** Message names (element 0). */
export const DLName = {
  VersionExchange: 'DLMessageVersionExchange',
  DeviceReady: 'DLMessageDeviceReady',
  ProcessMessage: 'DLMessageProcessMessage',
  Disconnect: 'DLMessageDisconnect',
  Ping: 'DLMessagePing',
  StatusResponse: 'DLMessageStatusResponse',
  DownloadFiles: 'DLMessageDownloadFiles',
  UploadFiles: 'DLMessageUploadFiles',
  GetFreeDiskSpace: 'DLMessageGetFreeDiskSpace',
  PurgeDiskSpace: 'DLMessagePurgeDiskSpace',
  ContentsOfDirectory: 'DLContentsOfDirectory',
  CreateDirectory: 'DLMessageCreateDirectory',
  MoveFiles: 'DLMessageMoveFiles',
  MoveItems: 'DLMessageMoveItems',
  RemoveFiles: 'DLMessageRemoveFiles',
  RemoveItems: 'DLMessageRemoveItems',
  CopyItem: 'DLMessageCopyItem',
} as const;

/** Validate a decoded plist as a DL message: array, element 0 a string starting with "DL", ≥ 9 chars. */
export function asDLMessage(v: PlistValue): DLMessage {
  if (!Array.isArray(v)) throw new ProtocolError('MESSAGE_INVALID', 'DeviceLink message is not an array');
  const name = v[0];
  if (typeof name !== 'string' || !name.startsWith('DL') || name.length < 9) {
    throw new ProtocolError('MESSAGE_INVALID', 'DeviceLink message does not start with a "DL…" message name');
  }
  return v;
}

/** Element 0 of a validated message. */
export function dlMessageName(msg: DLMessage): string {
  return asDLMessage(msg)[0] as string;
}

/** Frame a DL message (binary plist by default, as hosts send). */
export function encodeDLMessage(msg: DLMessage, format: 'xml' | 'binary' = 'binary'): Buffer {
  return encodeLockdownFrame(asDLMessage(msg), format);
}

/** Lockdown-framed DL messages, validated with asDLMessage. `push(chunk, 1)` + `rest()` as LockdownFrameDecoder. */
export class DLMessageDecoder implements IncrementalDecoder<DLMessage> {
  private readonly frames: LengthPrefixedDecoder;
  private readonly maxFrameBytes: number;

  constructor(opts: { maxFrameBytes?: number } = {}) {
    this.maxFrameBytes = opts.maxFrameBytes ?? LOCKDOWN_DEFAULT_MAX_FRAME;
    this.frames = new LengthPrefixedDecoder({ maxFrameBytes: this.maxFrameBytes });
  }

  get pending(): number {
    return this.frames.pending;
  }

  push(chunk: Uint8Array, maxMessages = Infinity): DLMessage[] {
    return this.frames.pushMapped(chunk, maxMessages, (body) => asDLMessage(decodeFramePlist(body, this.maxFrameBytes)));
  }

  rest(): Buffer {
    return this.frames.rest();
  }

  finish(): void {
    this.frames.finish();
  }
}

// ---- Builders for the messages both sides exchange ----

function checkUint(name: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 0) throw new ProtocolError('MESSAGE_INVALID', `${name} must be a non-negative integer, got ${v}`);
}

/** device → host: `["DLMessageVersionExchange", major, minor]`. */
export function dlVersionExchange(major: number, minor: number): DLMessage {
  checkUint('DL major version', major);
  checkUint('DL minor version', minor);
  return [DLName.VersionExchange, major, minor];
}
/** host → device: `["DLMessageVersionExchange", "DLVersionsOk", major]`. */
export function dlVersionsOk(major: number): DLMessage {
  checkUint('DL major version', major);
  return [DLName.VersionExchange, 'DLVersionsOk', major];
}
export function dlDeviceReady(): DLMessage {
  return [DLName.DeviceReady];
}
export function dlProcessMessage(dict: PlistDict): DLMessage {
  return [DLName.ProcessMessage, dict];
}
export function dlDisconnect(reason?: string): DLMessage {
  return [DLName.Disconnect, reason ?? DL_EMPTY];
}
export function dlPing(text: string): DLMessage {
  return [DLName.Ping, text];
}
/**
 * `["DLMessageStatusResponse", code, status1 | DL_EMPTY, status2 | DL_EMPTY]`. Negative codes are encoded as
 * 8-byte signed integers (the plist encoder does that for negative numbers).
 */
export function dlStatusResponse(code: number, status1?: string, status2?: PlistValue): DLMessage {
  if (!Number.isSafeInteger(code)) throw new ProtocolError('MESSAGE_INVALID', `status code must be an integer, got ${code}`);
  return [DLName.StatusResponse, code, status1 ?? DL_EMPTY, status2 ?? DL_EMPTY];
}

// Device → host requests of the backup/restore loop (§5.4).
const real = (v: number): PlistReal => new PlistReal(v);

export function dlDownloadFiles(paths: string[], progress = 0, options: PlistDict = {}): DLMessage {
  return [DLName.DownloadFiles, paths, options, real(progress), 0];
}
export function dlUploadFiles(totalBytes: number, progress = 0, options: PlistDict = {}): DLMessage {
  checkUint('UploadFiles total bytes', totalBytes);
  return [DLName.UploadFiles, options, real(progress), totalBytes];
}
export function dlGetFreeDiskSpace(): DLMessage {
  return [DLName.GetFreeDiskSpace];
}
export function dlContentsOfDirectory(path: string): DLMessage {
  return [DLName.ContentsOfDirectory, path];
}
export function dlCreateDirectory(path: string): DLMessage {
  return [DLName.CreateDirectory, path];
}
export function dlMoveItems(moves: Record<string, string>, progress = 0, options: PlistDict = {}): DLMessage {
  return [DLName.MoveItems, { ...moves }, options, real(progress)];
}
export function dlRemoveItems(paths: string[], progress = 0, options: PlistDict = {}): DLMessage {
  return [DLName.RemoveItems, paths, options, real(progress)];
}
export function dlCopyItem(src: string, dst: string): DLMessage {
  return [DLName.CopyItem, src, dst];
}

// ---- Typed readers ----

/** A plist integer as a signed 64-bit value: u64-masked negatives (0xFFFFFFFFFFFFFFF3) read as −13. */
export function signedInt64(v: PlistValue | undefined): number | undefined {
  if (typeof v === 'number') return Number.isInteger(v) ? v : undefined;
  if (typeof v === 'bigint') return Number(BigInt.asIntN(64, v));
  return undefined;
}

export interface DLStatusResponse {
  code: number;
  /** undefined when the placeholder was sent. */
  status1: string | undefined;
  /** undefined when the placeholder was sent. */
  status2: PlistValue | undefined;
}

export function readStatusResponse(msg: DLMessage): DLStatusResponse {
  if (dlMessageName(msg) !== DLName.StatusResponse) {
    throw new ProtocolError('MESSAGE_INVALID', `expected DLMessageStatusResponse, got ${String(msg[0])}`);
  }
  const code = signedInt64(msg[1]);
  if (code === undefined) throw new ProtocolError('MESSAGE_INVALID', 'DLMessageStatusResponse has no integer status code');
  const s1 = msg[2];
  if (s1 !== undefined && typeof s1 !== 'string') throw new ProtocolError('MESSAGE_INVALID', 'DLMessageStatusResponse status1 is not a string');
  const s2 = msg[3];
  return { code, status1: s1 === DL_EMPTY ? undefined : s1, status2: s2 === DL_EMPTY ? undefined : s2 };
}

/** The dict of `["DLMessageProcessMessage", {…}]`. */
export function readProcessMessage(msg: DLMessage): PlistDict {
  if (dlMessageName(msg) !== DLName.ProcessMessage) {
    throw new ProtocolError('MESSAGE_INVALID', `expected DLMessageProcessMessage, got ${String(msg[0])}`);
  }
  const dict = msg[1];
  if (!isPlistDict(dict)) throw new ProtocolError('MESSAGE_INVALID', 'DLMessageProcessMessage does not carry a dictionary');
  return dict;
}

/** `["DLMessageVersionExchange", major, minor]` as sent by the device. */
export function readVersionExchange(msg: DLMessage): { major: number; minor: number } {
  if (dlMessageName(msg) !== DLName.VersionExchange) {
    throw new ProtocolError('MESSAGE_INVALID', `expected DLMessageVersionExchange, got ${String(msg[0])}`);
  }
  const major = signedInt64(msg[1]);
  const minor = signedInt64(msg[2]);
  if (major === undefined || minor === undefined) {
    throw new ProtocolError('MESSAGE_INVALID', 'DLMessageVersionExchange does not carry integer major/minor versions');
  }
  return { major, minor };
}

/** `["DLMessageVersionExchange", "DLVersionsOk", major]` as sent by the host. */
export function readVersionsOk(msg: DLMessage): number {
  const major = signedInt64(msg[2]);
  if (dlMessageName(msg) !== DLName.VersionExchange || msg[1] !== 'DLVersionsOk' || major === undefined) {
    throw new ProtocolError('MESSAGE_INVALID', 'expected ["DLMessageVersionExchange", "DLVersionsOk", <major>]');
  }
  return major;
}
