// AFC client (protocol-reference.md §7): one request at a time, replies must echo the packet number.
import {
  AFC_DEFAULT_MAX_PACKET,
  AFC_HEADER_SIZE,
  AfcError,
  AfcFileMode,
  AfcOp,
  AfcPacketDecoder,
  CodedError,
  decodeCStringList,
  encodeAfcPacket,
  encodeCString,
  encodeU64s,
  type AfcPacket,
} from '../../../protocols/index.js';
import type { ServiceConnection } from '../../lockdown/device.js';
import { IBackupError } from '../../errors.js';
import { StreamReader, TransportError, malformedError, writeAll, resolveTimeouts } from '../../transport/index.js';

export const AFC_SERVICE = 'com.apple.afc';

export interface AfcFileInfo {
  size: number;
  type: 'file' | 'dir' | 'symlink' | 'other';
  mtimeNs?: bigint;
  raw: Record<string, string>;
}

const AFC_ERROR_TEXT: Record<number, string> = {
  [AfcError.UnknownError]: 'unknown error',
  [AfcError.InvalidArg]: 'invalid argument',
  [AfcError.ObjectNotFound]: 'no such file or folder',
  [AfcError.ObjectIsDir]: 'is a folder',
  [AfcError.PermDenied]: 'permission denied',
  [AfcError.ObjectExists]: 'already exists',
  [AfcError.ObjectBusy]: 'busy',
  [AfcError.NoSpaceLeft]: 'no space left on the device',
  [AfcError.OpWouldBlock]: 'locked by someone else (would block)',
  [AfcError.IoError]: 'I/O error',
  [AfcError.OpNotSupported]: 'operation not supported',
};

/** An AFC status error: `code` 'AFC_ERROR', `afcCode` the device's number. */
export class AfcStatusError extends IBackupError {
  readonly afcCode: number;
  constructor(op: string, path: string | undefined, afcCode: number) {
    const text = AFC_ERROR_TEXT[afcCode] ?? `error ${afcCode}`;
    super('AFC_ERROR', `AFC ${op}${path ? ` ${path}` : ''} failed: ${text} (AFC error ${afcCode})`);
    this.afcCode = afcCode;
  }
}

const CHUNK = 64 * 1024;

export class AfcClient {
  private readonly reader: StreamReader;
  private readonly decoder = new AfcPacketDecoder({ maxPacketBytes: AFC_DEFAULT_MAX_PACKET });
  private packetNum = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly replyTimeoutMs: number;
  private disconnected: Promise<void> | undefined;

  constructor(
    private readonly conn: ServiceConnection,
    opts: { replyTimeoutMs?: number } = {},
  ) {
    this.reader = new StreamReader(conn.stream, 'AFC');
    this.replyTimeoutMs = opts.replyTimeoutMs ?? resolveTimeouts().serviceReplyMs;
  }

  /** Sends one request and returns the reply (serialised with other calls). */
  private dispatch(operation: number, headerData: Buffer, payload: Buffer, signal?: AbortSignal): Promise<AfcPacket> {
    const run = this.queue.then(async () => {
      if (this.disconnected || this.conn.stream.destroyed) throw new TransportError('CONNECTION_CLOSED', 'AFC: the connection is closed');
      const packetNum = this.packetNum++;
      const opts = { timeoutMs: this.replyTimeoutMs, signal };
      try {
        await writeAll(this.conn.stream, encodeAfcPacket({ packetNum, operation, headerData, payload }), 'AFC', opts);
        const header = await this.reader.readExact(AFC_HEADER_SIZE, opts);
        let packets = this.decoder.push(header);
        if (packets.length === 0) {
          const entire = Number(header.readBigUInt64LE(8));
          packets = this.decoder.push(await this.reader.readExact(entire - AFC_HEADER_SIZE, opts));
        }
        const reply = packets[0];
        if (packets.length !== 1 || !reply) throw new TransportError('MALFORMED_REPLY', 'AFC: bad reply framing');
        if (reply.packetNum !== packetNum) {
          throw new TransportError('MALFORMED_REPLY', `AFC: the reply is for packet ${reply.packetNum}, expected ${packetNum}`);
        }
        return reply;
      } catch (err) {
        this.conn.stream.destroy();
        if (err instanceof CodedError && !(err instanceof IBackupError)) throw malformedError('AFC', err);
        throw err;
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private static statusOf(reply: AfcPacket): number | undefined {
    if (reply.operation !== AfcOp.Status) return undefined;
    const src = reply.headerData.length >= 8 ? reply.headerData : reply.payload;
    if (src.length < 8) return AfcError.UnknownError;
    return Number(src.readBigUInt64LE(0));
  }

  /** Checks for a STATUS error; returns the reply otherwise. */
  private async call(op: string, path: string | undefined, operation: number, headerData: Buffer, payload: Buffer = Buffer.alloc(0), signal?: AbortSignal): Promise<AfcPacket> {
    const reply = await this.dispatch(operation, headerData, payload, signal);
    const status = AfcClient.statusOf(reply);
    if (status !== undefined && status !== AfcError.Success) throw new AfcStatusError(op, path, status);
    return reply;
  }

  private static dataOf(reply: AfcPacket): Buffer {
    if (reply.operation === AfcOp.Status) return Buffer.alloc(0);
    if (reply.headerData.length === 0) return reply.payload;
    return Buffer.concat([reply.headerData, reply.payload]);
  }

  /** Throws AfcStatusError (code 'AFC_ERROR', `afcCode`) on failure; returns a non-zero handle. */
  async open(path: string, mode: number, signal?: AbortSignal): Promise<bigint> {
    const reply = await this.call('FileRefOpen', path, AfcOp.FileOpen, Buffer.concat([encodeU64s(mode), encodeCString(path)]), undefined, signal);
    const src = reply.headerData.length >= 8 ? reply.headerData : reply.payload;
    if (reply.operation !== AfcOp.FileOpenResult || src.length < 8) {
      throw new TransportError('MALFORMED_REPLY', `AFC FileRefOpen ${path}: unexpected reply (operation ${reply.operation})`);
    }
    const handle = src.readBigUInt64LE(0);
    if (handle === 0n) throw new AfcStatusError('FileRefOpen', path, AfcError.UnknownError);
    return handle;
  }

  async read(handle: bigint, length: number, signal?: AbortSignal): Promise<Buffer> {
    const reply = await this.call('FileRefRead', undefined, AfcOp.FileRead, encodeU64s(handle, length), undefined, signal);
    return AfcClient.dataOf(reply);
  }

  async write(handle: bigint, data: Uint8Array, signal?: AbortSignal): Promise<void> {
    await this.call('FileRefWrite', undefined, AfcOp.FileWrite, encodeU64s(handle), Buffer.from(data.buffer, data.byteOffset, data.byteLength), signal);
  }

  async close(handle: bigint): Promise<void> {
    await this.call('FileRefClose', undefined, AfcOp.FileClose, encodeU64s(handle));
  }

  /** FileLock op (AfcLockOp). Rejects with afcCode 19 (would block) when held by someone else. */
  async lock(handle: bigint, op: number, signal?: AbortSignal): Promise<void> {
    await this.call('FileRefLock', undefined, AfcOp.FileLock, encodeU64s(handle, op), undefined, signal);
  }

  /** undefined when the path does not exist. */
  async getFileInfo(path: string, signal?: AbortSignal): Promise<AfcFileInfo | undefined> {
    let reply: AfcPacket;
    try {
      reply = await this.call('GetFileInfo', path, AfcOp.GetFileInfo, encodeCString(path), undefined, signal);
    } catch (err) {
      if (err instanceof AfcStatusError && err.afcCode === AfcError.ObjectNotFound) return undefined;
      throw err;
    }
    const list = decodeCStringList(AfcClient.dataOf(reply));
    const raw: Record<string, string> = {};
    for (let i = 0; i + 1 < list.length; i += 2) raw[list[i] as string] = list[i + 1] as string;
    const ifmt = raw.st_ifmt;
    const info: AfcFileInfo = {
      size: Number(raw.st_size ?? 0),
      type: ifmt === 'S_IFREG' ? 'file' : ifmt === 'S_IFDIR' ? 'dir' : ifmt === 'S_IFLNK' ? 'symlink' : 'other',
      raw,
    };
    if (raw.st_mtime && /^\d+$/.test(raw.st_mtime)) info.mtimeNs = BigInt(raw.st_mtime);
    return info;
  }

  /** Entry names without '.' and '..'. */
  async readDir(path: string, signal?: AbortSignal): Promise<string[]> {
    const reply = await this.call('ReadDirectory', path, AfcOp.ReadDir, encodeCString(path), undefined, signal);
    return decodeCStringList(AfcClient.dataOf(reply)).filter((n) => n !== '.' && n !== '..' && n !== '');
  }

  async makeDir(path: string, signal?: AbortSignal): Promise<void> {
    await this.call('MakeDirectory', path, AfcOp.MakeDir, encodeCString(path), undefined, signal);
  }

  async removePath(path: string, signal?: AbortSignal): Promise<void> {
    await this.call('RemovePath', path, AfcOp.RemovePath, encodeCString(path), undefined, signal);
  }

  /** Whole small file (e.g. /iTunes_Control/iTunes/*); undefined if missing. */
  async readFile(path: string, signal?: AbortSignal): Promise<Buffer | undefined> {
    const info = await this.getFileInfo(path, signal);
    if (!info) return undefined;
    if (info.size === 0) return Buffer.alloc(0);
    const handle = await this.open(path, AfcFileMode.RdOnly, signal);
    const parts: Buffer[] = [];
    try {
      for (;;) {
        const chunk = await this.read(handle, CHUNK, signal);
        if (chunk.length === 0) break;
        parts.push(chunk);
        if (chunk.length < CHUNK) break;
      }
    } finally {
      await this.close(handle).catch(() => undefined);
    }
    return Buffer.concat(parts);
  }

  async writeFile(path: string, data: Uint8Array, signal?: AbortSignal): Promise<void> {
    const handle = await this.open(path, AfcFileMode.Wr, signal);
    try {
      for (let off = 0; off < data.byteLength || off === 0; off += CHUNK * 16) {
        await this.write(handle, data.subarray(off, Math.min(off + CHUNK * 16, data.byteLength)), signal);
        if (data.byteLength === 0) break;
      }
    } finally {
      await this.close(handle).catch(() => undefined);
    }
  }

  async disconnect(): Promise<void> {
    this.disconnected ??= this.queue.then(() => this.conn.close());
    return this.disconnected;
  }
}
