// The raw file streams of mobilebackup2 (protocol-reference.md §5.5) that follow DLMessageUploadFiles
// (device → host) and DLMessageDownloadFiles (host → device). All integers u32be. Block = u32be n, u8 code,
// n−1 bytes.
import { ByteQueue } from './byte-queue.js';
import { ProtocolError } from './errors.js';
import { FailFastDecoder } from './stream.js';
import type { IncrementalDecoder } from './stream.js';

export const FileBlockCode = { Success: 0x00, ErrorLocal: 0x06, ErrorRemote: 0x0b, FileData: 0x0c } as const;
/** Host → device data blocks carry at most 32 KiB (Apple's DeviceLink default). */
export const MB2_HOST_BLOCK_SIZE = 32 * 1024;
/** Names/paths longer than this are refused (libimobiledevice: 4096). */
export const MB2_MAX_NAME_BYTES = 4096;
export const MB2_DEFAULT_MAX_BLOCK = 16 * 1024 * 1024;

/**
 * Events of the device → host upload stream (answer to DLMessageUploadFiles). `data` is a view into a pushed chunk,
 * not a copy; a data block may be delivered as several `data` events (as its bytes arrive).
 * `file-error.afterData` is true when the error block followed data blocks of the same file (libimobiledevice
 * does not report those).
 */
export type UploadStreamEvent =
  | { type: 'file'; deviceName: string; hostPath: string }
  | { type: 'data'; data: Buffer }
  | { type: 'file-end' }
  | { type: 'file-error'; message: string; afterData?: boolean }
  | { type: 'end' };

/** Events of the host → device download stream (answer to DLMessageDownloadFiles). */
export type DownloadStreamEvent =
  | { type: 'file'; path: string }
  | { type: 'data'; data: Buffer }
  | { type: 'file-end' }
  | { type: 'file-error'; message: string; afterData?: boolean }
  | { type: 'end' };

type State =
  | { s: 'name-len'; index: number }
  | { s: 'name'; index: number; length: number }
  | { s: 'block-len' }
  | { s: 'block-code'; length: number }
  | { s: 'data'; remaining: number }
  | { s: 'error-text'; length: number }
  | { s: 'done' };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Shared state machine: per file `names` length-prefixed names (upload: device name + host path; download: path),
 * then blocks until a success or error block; a first name length of 0 ends the stream.
 */
abstract class FileStreamDecoder<E> extends FailFastDecoder {
  private readonly queue = new ByteQueue();
  private readonly maxBlockBytes: number;
  private state: State = { s: 'name-len', index: 0 };
  private names: string[] = [];
  private sawData = false;

  protected constructor(
    private readonly nameCount: number,
    private readonly direction: string,
    opts: { maxBlockBytes?: number },
  ) {
    super();
    this.maxBlockBytes = opts.maxBlockBytes ?? MB2_DEFAULT_MAX_BLOCK;
  }

  protected abstract fileEvent(names: string[]): E;

  get pending(): number {
    return this.queue.length;
  }

  /** True once the 0 terminator was read; bytes after it are left for the caller (see `rest()`). */
  get done(): boolean {
    return this.state.s === 'done';
  }

  push(chunk: Uint8Array): E[] {
    return this.guard(() => {
      this.queue.push(chunk);
      const out: E[] = [];
      while (this.step(out));
      return out;
    });
  }

  /**
   * Stop referring to the chunks pushed so far: the few buffered bytes of an unfinished header or name are
   * copied. Call it before reusing the memory of a pushed chunk (data events are views into it and must be used
   * up by then too).
   */
  retain(): void {
    this.queue.own();
  }

  /** Bytes received after the terminator (the start of the next DL message). Only valid once `done`. */
  rest(): Buffer {
    return this.guard(() => {
      if (!this.done) throw new ProtocolError('STREAM_TRUNCATED', `the ${this.direction} stream has not ended yet`);
      return this.queue.takeAll();
    });
  }

  finish(): void {
    this.guard(() => {
      if (!this.done) {
        throw new ProtocolError('STREAM_TRUNCATED', `the ${this.direction} stream ended before its terminator`);
      }
    });
  }

  private malformed(what: string): ProtocolError {
    return new ProtocolError('FRAME_MALFORMED', `${this.direction} stream: ${what}`);
  }

  /** Advance by one state; false when more bytes are needed (or the stream is done). */
  private step(out: E[]): boolean {
    const q = this.queue;
    const st = this.state;
    switch (st.s) {
      case 'done':
        return false;
      case 'name-len': {
        if (q.length < 4) return false;
        const length = q.readUInt32BE(0);
        q.skip(4);
        if (length === 0) {
          if (st.index === 0) {
            this.state = { s: 'done' };
            out.push({ type: 'end' } as E);
            return false;
          }
          throw this.malformed('zero-length host path');
        }
        if (length > MB2_MAX_NAME_BYTES) {
          throw new ProtocolError('FRAME_TOO_LARGE', `${this.direction} stream: name of ${length} bytes exceeds ${MB2_MAX_NAME_BYTES}`);
        }
        this.state = { s: 'name', index: st.index, length };
        return true;
      }
      case 'name': {
        if (q.length < st.length) return false;
        let name: string;
        try {
          name = utf8.decode(q.take(st.length));
        } catch (e) {
          throw new ProtocolError('FRAME_MALFORMED', `${this.direction} stream: a file name is not valid UTF-8`, { cause: e });
        }
        this.names.push(name);
        if (st.index + 1 < this.nameCount) {
          this.state = { s: 'name-len', index: st.index + 1 };
        } else {
          out.push(this.fileEvent(this.names));
          this.names = [];
          this.sawData = false;
          this.state = { s: 'block-len' };
        }
        return true;
      }
      case 'block-len': {
        if (q.length < 4) return false;
        const length = q.readUInt32BE(0);
        if (length === 0) throw this.malformed('block of length 0 inside a file');
        if (length - 1 > this.maxBlockBytes) {
          throw new ProtocolError('FRAME_TOO_LARGE', `${this.direction} stream: block of ${length - 1} bytes exceeds ${this.maxBlockBytes}`);
        }
        q.skip(4);
        this.state = { s: 'block-code', length };
        return true;
      }
      case 'block-code': {
        if (q.length < 1) return false;
        const code = q.byteAt(0);
        q.skip(1);
        const body = st.length - 1;
        if (code === FileBlockCode.FileData) {
          this.sawData = true;
          this.state = body > 0 ? { s: 'data', remaining: body } : { s: 'block-len' };
        } else if (code === FileBlockCode.Success) {
          if (body !== 0) throw this.malformed(`success block carries ${body} unexpected bytes`);
          out.push({ type: 'file-end' } as E);
          this.state = { s: 'name-len', index: 0 };
        } else if (code === FileBlockCode.ErrorRemote || code === FileBlockCode.ErrorLocal) {
          this.state = { s: 'error-text', length: body };
        } else {
          throw this.malformed(`unknown block code 0x${code.toString(16).padStart(2, '0')}`);
        }
        return true;
      }
      case 'data': {
        const view = q.takeView(st.remaining);
        if (view.length === 0) return false;
        out.push({ type: 'data', data: view } as E);
        const remaining = st.remaining - view.length;
        this.state = remaining > 0 ? { s: 'data', remaining } : { s: 'block-len' };
        return true;
      }
      case 'error-text': {
        if (q.length < st.length) return false;
        const message = q.take(st.length).toString('utf8');
        out.push({ type: 'file-error', message, afterData: this.sawData } as E);
        this.state = { s: 'name-len', index: 0 };
        return true;
      }
    }
  }
}

export class UploadStreamDecoder extends FileStreamDecoder<UploadStreamEvent> implements IncrementalDecoder<UploadStreamEvent> {
  /** maxBlockBytes bounds one block (default 16 MiB); names above MB2_MAX_NAME_BYTES are refused. */
  constructor(opts: { maxBlockBytes?: number } = {}) {
    super(2, 'upload', opts);
  }
  protected fileEvent(names: string[]): UploadStreamEvent {
    return { type: 'file', deviceName: names[0]!, hostPath: names[1]! };
  }
}

export class DownloadStreamDecoder extends FileStreamDecoder<DownloadStreamEvent> implements IncrementalDecoder<DownloadStreamEvent> {
  constructor(opts: { maxBlockBytes?: number } = {}) {
    super(1, 'download', opts);
  }
  protected fileEvent(names: string[]): DownloadStreamEvent {
    return { type: 'file', path: names[0]! };
  }
}

// ---- Encoders (both directions share the block format) ----

/** u32be len + name. */
export function encodeStreamName(name: string): Buffer {
  const bytes = Buffer.from(name, 'utf8');
  if (bytes.length === 0) throw new ProtocolError('FRAME_MALFORMED', 'a file stream name must not be empty (length 0 ends the stream)');
  if (bytes.length > MB2_MAX_NAME_BYTES) {
    throw new ProtocolError('FRAME_TOO_LARGE', `file stream name of ${bytes.length} bytes exceeds ${MB2_MAX_NAME_BYTES}`);
  }
  const out = Buffer.allocUnsafe(4 + bytes.length);
  out.writeUInt32BE(bytes.length, 0);
  bytes.copy(out, 4);
  return out;
}

/** The 5-byte header of a FILE_DATA block carrying `length` bytes (write it, then the data, to avoid a copy). */
export function encodeDataBlockHeader(length: number): Buffer {
  const out = Buffer.allocUnsafe(DATA_BLOCK_HEADER_BYTES);
  writeDataBlockHeader(out, 0, length);
  return out;
}

/** Bytes in a data block's header (u32be length incl. the code byte, then the code). */
export const DATA_BLOCK_HEADER_BYTES = 5;

/** encodeDataBlockHeader written into `target` at `offset` (for senders that lay blocks out in one buffer). */
export function writeDataBlockHeader(target: Uint8Array, offset: number, length: number): void {
  if (!Number.isInteger(length) || length < 0 || length >= 0xffffffff) {
    throw new ProtocolError('FRAME_TOO_LARGE', `data block of ${length} bytes cannot be framed`);
  }
  const v = length + 1;
  target[offset] = v >>> 24;
  target[offset + 1] = (v >>> 16) & 0xff;
  target[offset + 2] = (v >>> 8) & 0xff;
  target[offset + 3] = v & 0xff;
  target[offset + 4] = FileBlockCode.FileData;
}

/** `00 00 00 01 00`: end of one file. */
export function encodeSuccessBlock(): Buffer {
  return Buffer.from([0, 0, 0, 1, FileBlockCode.Success]);
}

/** An error block (0x06 host-side / 0x0B device-side) with a text. */
export function encodeErrorBlock(code: 0x06 | 0x0b, message: string): Buffer {
  if (code !== FileBlockCode.ErrorLocal && code !== FileBlockCode.ErrorRemote) {
    throw new ProtocolError('FRAME_MALFORMED', `0x${Number(code).toString(16)} is not an error block code`);
  }
  const text = Buffer.from(message, 'utf8');
  const out = Buffer.allocUnsafe(5 + text.length);
  out.writeUInt32BE(text.length + 1, 0);
  out[4] = code;
  text.copy(out, 5);
  return out;
}

/** `00 00 00 00`: end of the whole stream. */
export function encodeStreamTerminator(): Buffer {
  return Buffer.alloc(4);
}
