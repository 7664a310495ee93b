// The device end of a DeviceLink connection: framed DL messages, one request at a time, and the raw file streams
// of mobilebackup2 on the same socket. Reads pull from the socket's async iterator, so nothing is read before it
// is needed (backpressure both ways).
import type { Duplex, Readable } from 'node:stream';
import {
  DLMessageDecoder,
  DLName,
  DownloadStreamDecoder,
  dlMessageName,
  encodeDataBlockHeader,
  encodeDLMessage,
  encodeErrorBlock,
  encodeStreamName,
  encodeStreamTerminator,
  encodeSuccessBlock,
  FileBlockCode,
  readStatusResponse,
  type DLMessage,
  type DLStatusResponse,
  type DownloadStreamEvent,
} from '../../../protocols/index.js';
import { HostGoneError } from './errors.js';

/** Device → host data blocks carry at most this much. */
export const DEVICE_BLOCK_BYTES = 64 * 1024;

export interface UploadItem {
  deviceName: string;
  hostPath: string;
  size: number;
  open: () => Readable;
}

export class DeviceLinkConnection {
  private readonly iterator: AsyncIterator<Buffer>;
  private readonly messages = new DLMessageDecoder();
  private carry: Buffer | undefined;
  private closed = false;
  readonly closedSignal: AbortSignal;

  constructor(private readonly conn: Duplex) {
    const abort = new AbortController();
    this.closedSignal = abort.signal;
    const onGone = () => {
      this.closed = true;
      abort.abort(new HostGoneError('the host closed the mobilebackup2 connection'));
    };
    conn.once('close', onGone);
    conn.on('error', onGone);
    this.iterator = conn[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private async nextChunk(): Promise<Buffer> {
    if (this.carry) {
      const c = this.carry;
      this.carry = undefined;
      return c;
    }
    let r: IteratorResult<Buffer>;
    try {
      r = await this.iterator.next();
    } catch (err) {
      throw new HostGoneError(`mobilebackup2 connection failed: ${(err as Error).message}`, { cause: err });
    }
    if (r.done) throw new HostGoneError('the host closed the mobilebackup2 connection');
    return r.value;
  }

  /** Write, waiting for 'drain' when the socket's buffer is full. */
  async write(buf: Buffer): Promise<void> {
    if (this.closed || this.conn.destroyed) throw new HostGoneError('the host closed the mobilebackup2 connection');
    if (this.conn.write(buf)) return;
    await new Promise<void>((resolve, reject) => {
      const done = () => {
        this.conn.off('drain', done);
        this.closedSignal.removeEventListener('abort', fail);
        resolve();
      };
      const fail = () => {
        this.conn.off('drain', done);
        reject(this.closedSignal.reason as Error);
      };
      this.conn.on('drain', done);
      this.closedSignal.addEventListener('abort', fail, { once: true });
    });
  }

  async send(msg: DLMessage): Promise<void> {
    await this.write(encodeDLMessage(msg));
  }

  async receive(): Promise<DLMessage> {
    let got = this.messages.push(Buffer.alloc(0), 1);
    while (got.length === 0) got = this.messages.push(await this.nextChunk(), 1);
    return got[0] as DLMessage;
  }

  /** Receive the host's DLMessageStatusResponse (anything else means the host left the loop). */
  async receiveStatus(): Promise<DLStatusResponse> {
    const msg = await this.receive();
    const name = dlMessageName(msg);
    if (name !== DLName.StatusResponse) throw new HostGoneError(`expected the host's status response, got ${name}`);
    return readStatusResponse(msg);
  }

  /** Send a request and wait for its status. */
  async request(msg: DLMessage): Promise<DLStatusResponse> {
    await this.send(msg);
    return this.receiveStatus();
  }

  /** After DLMessageDownloadFiles: read the host's file stream, handing each event to `onEvent` in order. */
  async readDownloadStream(onEvent: (ev: DownloadStreamEvent) => Promise<void> | void): Promise<void> {
    const stream = new DownloadStreamDecoder({ maxBlockBytes: 1024 * 1024 });
    let events = stream.push(this.messages.rest());
    for (;;) {
      for (const ev of events) await onEvent(ev);
      if (stream.done) break;
      events = stream.push(await this.nextChunk());
    }
    const rest = stream.rest();
    if (rest.length > 0) this.carry = rest;
  }

  /** After DLMessageUploadFiles: stream `items` to the host in blocks of ≤ 64 KiB, then the terminator. */
  async writeUploadStream(items: Iterable<UploadItem>, onBytes?: (n: number) => void): Promise<void> {
    for (const item of items) {
      await this.write(Buffer.concat([encodeStreamName(item.deviceName), encodeStreamName(item.hostPath)]));
      let source: Readable | undefined;
      try {
        source = item.open();
        for await (const chunk of source) {
          const buf = chunk as Buffer;
          for (let at = 0; at < buf.length; at += DEVICE_BLOCK_BYTES) {
            const part = buf.subarray(at, Math.min(buf.length, at + DEVICE_BLOCK_BYTES));
            await this.write(Buffer.concat([encodeDataBlockHeader(part.length), part]));
            onBytes?.(part.length);
          }
        }
        await this.write(encodeSuccessBlock());
      } catch (err) {
        source?.destroy();
        if (err instanceof HostGoneError) throw err;
        await this.write(encodeErrorBlock(FileBlockCode.ErrorRemote, `${(err as Error).message}`));
      }
    }
    await this.write(encodeStreamTerminator());
  }

  close(): void {
    this.conn.destroy();
  }
}
