// A minimal host side for socket-level tests of the simulator, written on the protocols/ codecs only
// (usbmuxd plist packets, lockdown frames, AFC packets, TLS as a libimobiledevice client does it).
import net from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import {
  AfcPacketDecoder,
  LockdownFrameDecoder,
  UsbmuxDecoder,
  decodeUsbmuxPlistPayload,
  encodeAfcPacket,
  encodeLockdownFrame,
  encodeUsbmuxPlist,
  isPlistDict,
  swapPort16,
  type AfcPacket,
  type PlistDict,
  type PlistValue,
} from '../../protocols/index.js';

/** Collects decoded messages from a stream and hands them out in order. */
class Inbox<T> {
  private readonly items: T[] = [];
  private readonly waiters: { resolve: (v: T) => void; reject: (e: Error) => void }[] = [];
  private ended: Error | undefined;

  put(v: T): void {
    const w = this.waiters.shift();
    if (w) w.resolve(v);
    else this.items.push(v);
  }

  end(err: Error): void {
    this.ended = err;
    for (const w of this.waiters.splice(0)) w.reject(err);
  }

  next(timeoutMs = 5000): Promise<T> {
    const v = this.items.shift();
    if (v !== undefined) return Promise.resolve(v);
    if (this.ended) return Promise.reject(this.ended);
    return new Promise<T>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no message within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        resolve: (x) => (clearTimeout(t), resolve(x)),
        reject: (e) => (clearTimeout(t), reject(e)),
      });
    });
  }
}

export function connectSocket(path: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(path, () => resolve(s));
    s.once('error', reject);
  });
}

export class MuxClient {
  private readonly inbox = new Inbox<{ tag: number; dict: PlistDict }>();
  private readonly decoder = new UsbmuxDecoder();
  private tag = 1;
  private readonly onData = (c: Buffer): void => {
    for (const p of this.decoder.push(c)) this.inbox.put({ tag: p.tag, dict: decodeUsbmuxPlistPayload(p) });
  };

  private constructor(readonly socket: net.Socket) {
    socket.on('data', this.onData);
    socket.on('close', () => this.inbox.end(new Error('usbmuxd connection closed')));
  }

  static async open(path: string): Promise<MuxClient> {
    return new MuxClient(await connectSocket(path));
  }

  async request(dict: PlistDict): Promise<PlistDict & { _tag?: number }> {
    const tag = this.tag++;
    this.socket.write(encodeUsbmuxPlist({ ClientVersionString: 'test', ProgName: 'vitest', kLibUSBMuxVersion: 3, ...dict }, tag));
    const r = await this.inbox.next();
    return { ...r.dict, _tag: r.tag };
  }

  next(timeoutMs?: number): Promise<PlistDict> {
    return this.inbox.next(timeoutMs).then((r) => r.dict);
  }

  /**
   * Connect; on Result 0 returns the raw socket. Like libusbmuxd it reads exactly the reply packet, so bytes the
   * device sends right after it (mobilebackup2 speaks first) stay on the socket.
   */
  async connect(deviceId: number, port: number): Promise<net.Socket> {
    this.socket.off('data', this.onData);
    const tag = this.tag++;
    this.socket.write(encodeUsbmuxPlist({ MessageType: 'Connect', DeviceID: deviceId, PortNumber: swapPort16(port) }, tag));
    const reply = await new Promise<PlistDict>((resolve, reject) => {
      let buf = Buffer.alloc(0);
      const onData = (c: Buffer): void => {
        buf = Buffer.concat([buf, c]);
        if (buf.length < 4 || buf.length < buf.readUInt32LE(0)) return;
        const len = buf.readUInt32LE(0);
        this.socket.off('data', onData);
        this.socket.off('close', onClose);
        this.socket.pause();
        if (buf.length > len) this.socket.unshift(buf.subarray(len));
        const [packet] = new UsbmuxDecoder().push(buf.subarray(0, len));
        resolve(decodeUsbmuxPlistPayload(packet!));
      };
      const onClose = (): void => reject(new Error('usbmuxd connection closed'));
      this.socket.on('data', onData);
      this.socket.once('close', onClose);
    });
    if (reply.Number !== 0) throw Object.assign(new Error(`Connect refused: ${String(reply.Number)}`), { number: reply.Number });
    return this.socket;
  }

  close(): void {
    this.socket.destroy();
  }
}

export class FramedClient {
  private inbox = new Inbox<PlistValue>();
  private decoder = new LockdownFrameDecoder();
  private readonly onData = (c: Buffer): void => {
    for (const m of this.decoder.push(c)) this.inbox.put(m);
  };

  constructor(public stream: Duplex) {
    this.listen(stream);
  }

  private listen(s: Duplex): void {
    s.on('data', this.onData);
    s.on('close', () => this.inbox.end(new Error('connection closed')));
    s.on('error', () => undefined);
    s.resume();
  }

  send(v: PlistValue): void {
    this.stream.write(encodeLockdownFrame(v, 'xml'));
  }

  next(timeoutMs?: number): Promise<PlistValue> {
    return this.inbox.next(timeoutMs);
  }

  async request(v: PlistDict): Promise<PlistDict> {
    this.send(v);
    const r = await this.next();
    if (!isPlistDict(r)) throw new Error('reply is not a dict');
    return r;
  }

  /** Switches to TLS as the client, presenting the given certificate (root or host) like libimobiledevice. */
  async startTls(certPem: string, keyPem: string): Promise<tls.TLSSocket> {
    this.stream.off('data', this.onData);
    const t = tls.connect({
      socket: this.stream as net.Socket,
      cert: certPem,
      key: keyPem,
      rejectUnauthorized: false,
      minVersion: 'TLSv1',
      ciphers: 'DEFAULT:@SECLEVEL=0',
    });
    await new Promise<void>((resolve, reject) => {
      t.once('secureConnect', () => resolve());
      t.once('error', reject);
    });
    this.stream = t;
    this.decoder = new LockdownFrameDecoder();
    this.inbox = new Inbox();
    this.listen(t);
    return t;
  }

  close(): void {
    this.stream.destroy();
  }
}

export class AfcClient {
  private readonly inbox = new Inbox<AfcPacket>();
  private readonly decoder = new AfcPacketDecoder();
  private num = 1;

  constructor(readonly stream: Duplex) {
    stream.on('data', (c: Buffer) => {
      for (const p of this.decoder.push(c)) this.inbox.put(p);
    });
    stream.on('close', () => this.inbox.end(new Error('AFC connection closed')));
    stream.resume();
  }

  async op(operation: number, headerData: Buffer, payload: Buffer = Buffer.alloc(0)): Promise<AfcPacket & { sentNum: number }> {
    const sentNum = this.num++;
    this.stream.write(encodeAfcPacket({ packetNum: sentNum, operation, headerData, payload }));
    return { ...(await this.inbox.next()), sentNum };
  }

  close(): void {
    this.stream.destroy();
  }
}

export interface PairRecordPems {
  HostID: string;
  SystemBUID: string;
  EscrowBag: Uint8Array;
  rootCert: string;
  rootKey: string;
}

export function pemsOf(record: Record<string, unknown>): PairRecordPems {
  const s = (k: string): string => Buffer.from(record[k] as Uint8Array).toString();
  return {
    HostID: record.HostID as string,
    SystemBUID: record.SystemBUID as string,
    EscrowBag: record.EscrowBag as Uint8Array,
    rootCert: s('RootCertificate'),
    rootKey: s('RootPrivateKey'),
  };
}

/** Opens lockdownd on `deviceId` and starts a session (TLS when the device enables it). */
export async function lockdownSession(
  socketPath: string,
  deviceId: number,
  record: PairRecordPems,
): Promise<{ ld: FramedClient; sessionId: string; ssl: boolean }> {
  const mux = await MuxClient.open(socketPath);
  const ld = new FramedClient(await mux.connect(deviceId, 62078));
  const r = await ld.request({ Request: 'StartSession', HostID: record.HostID, SystemBUID: record.SystemBUID });
  if (typeof r.SessionID !== 'string') throw new Error(`StartSession failed: ${String(r.Error)}`);
  const ssl = r.EnableSessionSSL === true;
  if (ssl) await ld.startTls(record.rootCert, record.rootKey);
  return { ld, sessionId: r.SessionID, ssl };
}

/** Starts `service` through a lockdown session and connects to it; TLS-wrapped when the device asks for it. */
export async function openService(
  socketPath: string,
  deviceId: number,
  record: PairRecordPems,
  service: string,
  extra: PlistDict = {},
): Promise<Duplex> {
  const { ld, sessionId } = await lockdownSession(socketPath, deviceId, record);
  const r = await ld.request({ Request: 'StartService', Service: service, ...extra });
  await ld.request({ Request: 'StopSession', SessionID: sessionId });
  ld.close();
  if (typeof r.Port !== 'number') throw new Error(`StartService ${service} failed: ${String(r.Error)}`);
  const mux = await MuxClient.open(socketPath);
  const raw = await mux.connect(deviceId, r.Port);
  if (r.EnableServiceSSL !== true) return raw;
  const t = tls.connect({ socket: raw, cert: record.rootCert, key: record.rootKey, rejectUnauthorized: false });
  await new Promise<void>((resolve, reject) => {
    t.once('secureConnect', () => resolve());
    t.once('error', reject);
  });
  return t;
}
