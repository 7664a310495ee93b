// A scripted device for mobilebackup2 tests: the test plays the iPhone's side over a real TCP socket pair,
// speaking raw DeviceLink frames and mb2 file-stream blocks (written independently of the host code under test).
import net from 'node:net';
import { decodePlist, encodeLockdownFrame, isPlistDict, type DLMessage, type PlistValue } from '../../protocols/index.js';
import { ConfinedPathResolver } from '../../src/backup/confine.js';
import { DeviceLinkConnection, runDeviceLinkLoop, type Mb2HostContext } from '../../src/services/mobilebackup2/index.js';
import { connectWithDirectReads } from '../../src/transport/index.js';

export interface SocketPair {
  host: net.Socket;
  device: ScriptedDevice;
  close(): void;
}

/** `directReads`: the host end reuses one receive buffer (as service connections made through usbmuxd do). */
export async function socketPair(opts: { directReads?: boolean } = {}): Promise<SocketPair> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const accepted = new Promise<net.Socket>((r) => server.once('connection', r));
  const host = opts.directReads === true ? connectWithDirectReads({ port, host: '127.0.0.1' }) : net.connect(port, '127.0.0.1');
  await new Promise<void>((r, j) => host.once('connect', r).once('error', j));
  const dev = await accepted;
  server.close();
  const device = new ScriptedDevice(dev);
  return {
    host,
    device,
    close: () => {
      host.destroy();
      dev.destroy();
    },
  };
}

/** Received bytes are buffered; reads wait for exactly the bytes they need. */
export class ScriptedDevice {
  private buf = Buffer.alloc(0);
  private ended = false;
  private waiter: (() => void) | undefined;
  totalReceived = 0;

  constructor(readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.totalReceived += d.length;
      this.waiter?.();
    });
    socket.on('close', () => {
      this.ended = true;
      this.waiter?.();
    });
    socket.on('error', () => undefined);
  }

  async readExact(n: number, timeoutMs = 10_000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (this.buf.length < n) {
      if (this.ended) throw new Error(`device: connection closed while waiting for ${n} bytes (have ${this.buf.length})`);
      if (Date.now() > deadline) throw new Error(`device: timed out waiting for ${n} bytes`);
      await new Promise<void>((r) => {
        this.waiter = r;
        setTimeout(r, 50);
      });
      this.waiter = undefined;
    }
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return Buffer.from(out);
  }

  /** Whether the host closed the connection (after draining what it sent). */
  async closed(timeoutMs = 5000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return this.ended;
  }

  async receive(): Promise<DLMessage> {
    const len = (await this.readExact(4)).readUInt32BE(0);
    const v = decodePlist(await this.readExact(len));
    if (!Array.isArray(v)) throw new Error('device: host sent a non-array DL message');
    return v;
  }

  send(msg: PlistValue[]): void {
    this.socket.write(encodeLockdownFrame(msg, 'binary'));
  }

  sendRaw(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** Reads the host → device file stream (answer to DownloadFiles) until the terminator. */
  async receiveDownloadStream(): Promise<{ path: string; data: Buffer; error?: string }[]> {
    const files: { path: string; data: Buffer; error?: string }[] = [];
    for (;;) {
      const nameLen = (await this.readExact(4)).readUInt32BE(0);
      if (nameLen === 0) return files;
      const path = (await this.readExact(nameLen)).toString('utf8');
      const chunks: Buffer[] = [];
      let error: string | undefined;
      for (;;) {
        const n = (await this.readExact(4)).readUInt32BE(0);
        const code = (await this.readExact(1))[0];
        const body = await this.readExact(n - 1);
        if (code === 0x0c) {
          if (body.length > 32 * 1024) throw new Error(`device: host sent a ${body.length}-byte block (max 32 KiB)`);
          chunks.push(body);
        } else if (code === 0x00) break;
        else if (code === 0x06) {
          error = body.toString('utf8');
          break;
        } else throw new Error(`device: unexpected block code ${code}`);
      }
      files.push({ path, data: Buffer.concat(chunks), error });
    }
  }

  async receiveStatus(): Promise<{ code: number; status1: PlistValue | undefined; status2: PlistValue | undefined }> {
    const msg = await this.receive();
    if (msg[0] !== 'DLMessageStatusResponse') throw new Error(`device: expected a status response, got ${String(msg[0])}`);
    const raw = msg[1];
    const code = typeof raw === 'bigint' ? Number(BigInt.asIntN(64, raw)) : (raw as number);
    return { code, status1: msg[2], status2: msg[3] };
  }
}

/** Upload stream bytes for files (device → host). */
export function uploadStream(files: { deviceName: string; hostPath: string; data?: Buffer; error?: string; blockSize?: number }[]): Buffer {
  const parts: Buffer[] = [];
  const u32 = (n: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  const name = (s: string): Buffer => Buffer.concat([u32(Buffer.byteLength(s)), Buffer.from(s)]);
  for (const f of files) {
    parts.push(name(f.deviceName), name(f.hostPath));
    const data = f.data ?? Buffer.alloc(0);
    const bs = f.blockSize ?? 65536;
    for (let off = 0; off < data.length; off += bs) {
      const part = data.subarray(off, off + bs);
      parts.push(u32(part.length + 1), Buffer.from([0x0c]), part);
    }
    if (f.error !== undefined) parts.push(u32(Buffer.byteLength(f.error) + 1), Buffer.from([0x0b]), Buffer.from(f.error));
    else parts.push(u32(1), Buffer.from([0x00]));
  }
  parts.push(u32(0));
  return Buffer.concat(parts);
}

export function asDict(v: PlistValue | undefined): Record<string, PlistValue | undefined> {
  if (!isPlistDict(v)) throw new Error('not a dict');
  return v;
}

/**
 * The host's DeviceLink loop over `host`, storing into the staging folder `stage` (device paths start with `udid`),
 * as a backup does: no per-file fsync, staging writes; `extra` adds or overrides context fields.
 */
export function startStagingLoop(host: net.Socket, stage: string, udid: string, extra: Partial<Mb2HostContext> = {}) {
  return runDeviceLinkLoop({
    dl: new DeviceLinkConnection(host),
    paths: new ConfinedPathResolver(stage, [udid]),
    volumePath: stage,
    fsyncFiles: false,
    stagingWrites: true,
    ...extra,
  });
}
