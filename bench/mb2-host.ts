// What the benchmark's minimal hosts (sink.ts for backups, restore-source.ts for restores) share: reading a
// mobilebackup2 connection chunk by chunk, DeviceLink messages in and out, and the session up to the first
// request (lockdown with the engine's lockdown layer, then version exchange and Hello with the protocols/ codecs).
import { readFileSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import type { Duplex } from 'node:stream';
import {
  DL_EMPTY,
  DLMessageDecoder,
  DLName,
  dlDisconnect,
  dlProcessMessage,
  dlStatusResponse,
  dlVersionsOk,
  dlMessageName,
  encodeDLMessage,
  encodeErrorBlock,
  FileBlockCode,
  PlistReal,
  readProcessMessage,
  readVersionExchange,
  type DLMessage,
  type PlistDict,
} from '../protocols/index.js';
import { connect } from '../src/lockdown/device.js';
import { directReadsOf, type DirectReads } from '../src/transport/index.js';

/**
 * Pulls chunks from a stream; bytes a decoder did not consume are carried over to the next reader. `next(true)`
 * may return a view into a reused receive buffer (direct reads, as the engine's service connections use), valid
 * until the following `next()`; `next()` always returns memory of its own.
 */
export class ChunkSource {
  carry: Buffer | undefined;
  private readonly queue: Buffer[] = [];
  private ended = false;
  private wake: (() => void) | undefined;
  /** Direct reads: whether reads are handed over as views, and whether reading stopped after one. */
  private views = false;
  private stopped = false;
  private readonly direct: DirectReads | undefined;

  constructor(stream: Duplex) {
    this.direct = directReadsOf(stream);
    const push = (b: Buffer): void => {
      this.queue.push(b);
      const w = this.wake;
      this.wake = undefined;
      w?.();
    };
    const end = (): void => {
      this.ended = true;
      push(Buffer.alloc(0));
    };
    stream.on('end', end);
    stream.on('close', end);
    stream.on('error', end);
    if (this.direct) {
      for (const b of this.direct.attach((view) => {
        if (!this.views) {
          push(Buffer.from(view));
          return true;
        }
        this.stopped = true;
        push(view);
        return false; // the view stays valid until the next next()
      })) {
        push(b);
      }
    } else stream.on('data', (b: Buffer) => push(b));
  }

  async next(views = false): Promise<Buffer> {
    if (this.carry && this.carry.length > 0) {
      const c = this.carry;
      this.carry = undefined;
      return c;
    }
    this.views = views;
    if (this.stopped) {
      this.stopped = false;
      this.direct?.resume();
    }
    for (;;) {
      const b = this.queue.shift();
      if (b !== undefined && b.length > 0) return b;
      if (this.ended) throw new Error('the device closed the mobilebackup2 connection');
      await new Promise<void>((r) => {
        this.wake = r;
      });
    }
  }
}

export async function receive(src: ChunkSource): Promise<DLMessage> {
  const dec = new DLMessageDecoder({ maxFrameBytes: 64 * 1024 * 1024 });
  for (;;) {
    const got = dec.push(await src.next(), 1);
    if (got.length > 0) {
      const rest = dec.rest();
      src.carry = rest.length > 0 ? rest : undefined;
      return got[0] as DLMessage;
    }
  }
}

export function write(stream: Duplex, buf: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(buf, (err) => (err ? reject(err) : resolve()));
  });
}

/** An open mobilebackup2 connection after Hello, ready for a Backup or Restore request. */
export interface Mb2HostSession {
  stream: Duplex;
  src: ChunkSource;
  /** Send DLMessageProcessMessage with this request. */
  request(body: PlistDict): Promise<void>;
}

/** Connect to `udid`, start mobilebackup2, do the version exchange and Hello, run `fn`, then disconnect. */
export async function withMb2Session<T>(
  udid: string,
  label: string,
  muxAddress: string | undefined,
  fn: (s: Mb2HostSession) => Promise<T>,
  opts: { tls13Suites?: string } = {},
): Promise<T> {
  const device = await connect(udid, { muxAddress, pairRecordDir: false, label });
  try {
    const service = await device.startService('com.apple.mobilebackup2', { escrow: true, tls13Suites: opts.tls13Suites });
    const stream = service.stream;
    const src = new ChunkSource(stream);
    try {
      const ver = readVersionExchange(await receive(src));
      await write(stream, encodeDLMessage(dlVersionsOk(Math.min(ver.major, 400))));
      if (dlMessageName(await receive(src)) !== DLName.DeviceReady) throw new Error('expected DLMessageDeviceReady');
      await write(stream, encodeDLMessage(dlProcessMessage({ MessageName: 'Hello', SupportedProtocolVersions: [new PlistReal(2.0), new PlistReal(2.1)] })));
      readProcessMessage(await receive(src));
      const result = await fn({ stream, src, request: (body) => write(stream, encodeDLMessage(dlProcessMessage(body))) });
      await write(stream, encodeDLMessage(dlDisconnect())).catch(() => undefined);
      return result;
    } finally {
      await service.close();
    }
  } finally {
    await device.close();
  }
}

/**
 * The device's final DLMessageProcessMessage ends a request: its ErrorCode (−1 when missing), or undefined when
 * `msg` is something else. DLMessageDisconnect counts as −1.
 */
export function finalErrorCode(msg: DLMessage): number | undefined {
  const name = dlMessageName(msg);
  if (name === DLName.Disconnect) return -1;
  if (name !== DLName.ProcessMessage) return undefined;
  const r = readProcessMessage(msg);
  return typeof r.ErrorCode === 'number' ? r.ErrorCode : -1;
}

/** Answer the housekeeping requests neither host acts on: free space (1 TiB), CreateDirectory, and the rest with success. */
export async function answerOther(stream: Duplex, name: string): Promise<void> {
  if (name === DLName.GetFreeDiskSpace) await write(stream, encodeDLMessage(dlStatusResponse(0, undefined, 1024 ** 4)));
  else if (name === DLName.CreateDirectory) await write(stream, encodeDLMessage(dlStatusResponse(0, '', DL_EMPTY)));
  else await write(stream, encodeDLMessage(dlStatusResponse(0, undefined, {})));
}

/** Where a device path lies under `root`, or undefined when it would lead outside it. */
export function underRoot(root: string, devicePath: string): string | undefined {
  const full = resolve(root, devicePath);
  return full.startsWith(resolve(root) + sep) ? full : undefined;
}

/** A file of a backup under `root` (the few small plists and Manifest.db the device asks for). */
export function readBackupFile(root: string, devicePath: string): Buffer | undefined {
  const full = underRoot(root, devicePath);
  if (full === undefined) return undefined;
  try {
    return readFileSync(full);
  } catch {
    return undefined;
  }
}

/** The error block a host sends for a requested file it does not have, and that file's entry in the −13 status. */
export const NOT_FOUND_BLOCK = encodeErrorBlock(FileBlockCode.ErrorLocal, 'No such file or directory');
export const NOT_FOUND_STATUS: PlistDict = { DLFileErrorString: 'No such file or directory', DLFileErrorCode: -6 };

/** The status that follows a DownloadFiles stream: success, or −13 "Multi status" listing the files not sent. */
export function downloadStatus(failed: PlistDict): Buffer {
  const ok = Object.keys(failed).length === 0;
  return encodeDLMessage(ok ? dlStatusResponse(0, undefined, {}) : dlStatusResponse(-13, 'Multi status', failed));
}
