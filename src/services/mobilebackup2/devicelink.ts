import type { Duplex } from 'node:stream';
import {
  asDLMessage,
  dlDisconnect,
  dlVersionsOk,
  encodeDLMessage,
  isPlistDict,
  LockdownFrameDecoder,
  plistNumber,
  type DLMessage,
  type PlistDict,
} from '../../../protocols/index.js';
import { IBackupError } from '../../errors.js';
import { directReadsOf } from '../../transport/index.js';
import { ChunkReader, writeWithBackpressure, type ByteReader, type RawConsumer } from './chunk-reader.js';
import { DirectChunkReader } from './direct-chunk-reader.js';

/** The DeviceLink version this host speaks (Debian's patched 1.3.0 and libimobiledevice master also use 400). */
export const DL_HOST_VERSION_MAJOR = 400;

const EMPTY = Buffer.alloc(0);
/** Bytes `queue` lets wait in the socket's buffer before it waits for 'drain'. */
const QUEUE_LIMIT = 4 * 1024 * 1024;

/**
 * A DeviceLink connection over any Duplex (plain socket or TLS): framed plist-array messages, plus the switch to
 * the raw mobilebackup2 file streams that follow UploadFiles / DownloadFiles on the same socket.
 */
export class DeviceLinkConnection {
  private readonly reader: ByteReader;
  private readonly frames: LockdownFrameDecoder;

  constructor(
    readonly stream: Duplex,
    opts: { maxFrameBytes?: number } = {},
  ) {
    const direct = directReadsOf(stream);
    this.reader = direct ? new DirectChunkReader(stream, direct) : new ChunkReader(stream);
    this.frames = new LockdownFrameDecoder({ maxFrameBytes: opts.maxFrameBytes ?? 64 * 1024 * 1024 });
  }

  /** The next DL message from the device. */
  async receive(signal?: AbortSignal): Promise<DLMessage> {
    let got = this.frames.push(EMPTY, 1);
    while (got.length === 0) {
      const chunk = await this.reader.next(signal);
      if (chunk === null) {
        throw new IBackupError('DEVICE_DISCONNECTED', 'The device closed the backup connection unexpectedly.', {
          hint: 'Keep the device connected and unlocked, then run the backup again.',
        });
      }
      got = this.frames.push(chunk, 1);
    }
    return asDLMessage(got[0]!);
  }

  async send(msg: DLMessage, signal?: AbortSignal): Promise<void> {
    await writeWithBackpressure(this.stream, encodeDLMessage(msg, 'binary'), signal);
  }

  /** Raw bytes (file stream blocks) with backpressure; several pieces go out corked, as one write. */
  async write(bytes: Uint8Array | readonly Uint8Array[], signal?: AbortSignal): Promise<void> {
    await writeWithBackpressure(this.stream, bytes, signal);
  }

  /**
   * Like write, but resolves at once while at most QUEUE_LIMIT bytes wait to be sent: the caller reads the next
   * piece of a file while this one goes out. `onReleased` runs once the socket no longer needs the bytes (so the
   * caller can reuse their buffer); memory stays bounded by that and by the limit (e.g. many empty files' names
   * and end blocks).
   */
  async queue(bytes: Uint8Array | readonly Uint8Array[], signal?: AbortSignal, onReleased?: () => void): Promise<void> {
    await writeWithBackpressure(this.stream, bytes, signal, onReleased, QUEUE_LIMIT);
  }

  /**
   * Runs a raw-stream reader: `consume` gets every chunk, starting with bytes already buffered after the last
   * message, until it returns the leftover bytes that follow the stream (they go back to message decoding).
   * Reading pauses while `consume` is pending, so the socket is throttled by the consumer (e.g. disk writes).
   * A chunk may be a view into a reused receive buffer: `consume` must keep nothing that refers to it once its
   * promise settles (RawConsumer).
   */
  async readRaw(consume: RawConsumer, signal?: AbortSignal): Promise<void> {
    this.reader.unshift(this.frames.rest());
    await this.reader.readRaw(consume, signal);
  }

  /**
   * The DeviceLink version exchange (the device speaks first): accept a device major ≤ 400, answer DLVersionsOk,
   * wait for DLMessageDeviceReady.
   */
  async versionExchange(signal?: AbortSignal): Promise<{ major: number; minor: number }> {
    const hello = await this.receive(signal);
    if (hello[0] !== 'DLMessageVersionExchange') {
      throw new IBackupError('DL_VERSION_EXCHANGE', `Expected DLMessageVersionExchange from the device, got ${String(hello[0])}.`);
    }
    const major = plistNumber(hello[1]);
    const minor = plistNumber(hello[2]) ?? 0;
    if (major === undefined || major > DL_HOST_VERSION_MAJOR || (major === DL_HOST_VERSION_MAJOR && minor > 0)) {
      throw new IBackupError(
        'DL_VERSION_EXCHANGE',
        `The device speaks DeviceLink version ${String(major)}.${minor}, newer than this host supports (${DL_HOST_VERSION_MAJOR}.0).`,
        { hint: 'Update ibackup to a version that supports this iOS release.' },
      );
    }
    await this.send(dlVersionsOk(DL_HOST_VERSION_MAJOR), signal);
    const ready = await this.receive(signal);
    if (ready[0] !== 'DLMessageDeviceReady') {
      throw new IBackupError('DL_VERSION_EXCHANGE', `Expected DLMessageDeviceReady from the device, got ${String(ready[0])}.`);
    }
    return { major, minor };
  }

  /** Receive a DLMessageProcessMessage and return its dict (other DL messages are an error here). */
  async receiveProcessMessage(signal?: AbortSignal): Promise<PlistDict> {
    const msg = await this.receive(signal);
    if (msg[0] !== 'DLMessageProcessMessage' || !isPlistDict(msg[1])) {
      if (msg[0] === 'DLMessageDisconnect') {
        throw new IBackupError('DEVICE_DISCONNECTED', `The device ended the session: ${String(msg[1] ?? '')}`);
      }
      throw new IBackupError('DL_UNEXPECTED_MESSAGE', `Expected a DLMessageProcessMessage from the device, got ${String(msg[0])}.`);
    }
    return msg[1];
  }

  /** Best effort: tell the device we are leaving, then end our side. Never throws. */
  async disconnect(reason?: string): Promise<void> {
    try {
      if (!this.stream.destroyed && !this.stream.writableEnded) {
        await Promise.race([this.send(dlDisconnect(reason)), new Promise((r) => setTimeout(r, 2000).unref())]);
      }
    } catch {
      // the device may already be gone
    }
  }
}
