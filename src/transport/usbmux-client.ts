import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import {
  CodedError,
  USBMUX_HEADER_SIZE,
  UsbmuxDecoder,
  UsbmuxMessage,
  UsbmuxResult,
  decodeUsbmuxPlistPayload,
  encodeUsbmuxPlist,
  plistNumber,
  swapPort16,
  type PlistDict,
  type PlistValue,
} from '../../protocols/index.js';
import { layerLogger } from '../log.js';
import type { WaitOptions } from './deadline.js';
import { TransportError, malformedError } from './errors.js';
import { openMuxSocket } from './mux-socket.js';
import { resolveMuxAddress, formatMuxAddress, type MuxAddress } from './mux-address.js';
import { StreamReader, writeAll } from './stream-reader.js';
import { resolveTimeouts, type Timeouts } from './timeouts.js';
import { parseMuxDevice, type MuxDevice } from './usbmux-device.js';
import { usbmuxResultError } from './usbmux-errors.js';

const log = layerLogger('transport');

export const CLIENT_VERSION_STRING = 'ibackup 0.1.0';
/** Cap for usbmuxd replies (a DeviceList or pair record is a few KiB). */
const MAX_MUX_REPLY = 4 * 1024 * 1024;

export interface UsbmuxClientOptions {
  /** 'UNIX:/path', '/path', 'host:port', or a parsed address; default USBMUXD_SOCKET_ADDRESS or the platform default. */
  address?: string | MuxAddress;
  timeouts?: Partial<Timeouts>;
  progName?: string;
}

/** One usbmuxd connection carrying request/reply packets. */
class MuxChannel {
  readonly reader: StreamReader;
  private decoder = new UsbmuxDecoder({ maxPacketBytes: MAX_MUX_REPLY });
  private tag = 0;
  constructor(
    readonly socket: Socket,
    readonly what: string,
  ) {
    this.reader = new StreamReader(socket, what);
  }

  async send(dict: PlistDict, opts: WaitOptions): Promise<number> {
    const tag = ++this.tag;
    await writeAll(this.socket, encodeUsbmuxPlist(dict, tag), this.what, opts);
    return tag;
  }

  /** Reads exactly one packet, leaving any following bytes in the socket. */
  async receive(opts: WaitOptions): Promise<{ tag: number; dict: PlistDict }> {
    const header = await this.reader.readExact(USBMUX_HEADER_SIZE, opts);
    try {
      let packets = this.decoder.push(header);
      if (packets.length === 0) {
        const length = header.readUInt32LE(0);
        const payload = await this.reader.readExact(length - USBMUX_HEADER_SIZE, opts);
        packets = this.decoder.push(payload);
      }
      const packet = packets[0];
      if (packets.length !== 1 || packet === undefined) throw new TransportError('MALFORMED_REPLY', `${this.what}: bad packet framing`);
      if (packet.message !== UsbmuxMessage.Plist) {
        throw new TransportError('MALFORMED_REPLY', `${this.what}: expected a plist message, got message type ${packet.message}`);
      }
      return { tag: packet.tag, dict: decodeUsbmuxPlistPayload(packet) };
    } catch (err) {
      if (err instanceof TransportError) throw err;
      if (err instanceof CodedError) throw malformedError(this.what, err);
      throw err;
    }
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/**
 * A usbmuxd client. Each request uses a fresh connection (as libusbmuxd does); `connect` turns its connection
 * into the raw pipe to a device port.
 */
export class UsbmuxClient {
  readonly address: MuxAddress;
  readonly timeouts: Timeouts;
  private readonly progName: string;

  constructor(opts: UsbmuxClientOptions = {}) {
    this.address = resolveMuxAddress(opts.address);
    this.timeouts = resolveTimeouts(opts.timeouts);
    this.progName = opts.progName ?? 'ibackup';
  }

  private base(messageType: string): PlistDict {
    return { MessageType: messageType, ClientVersionString: CLIENT_VERSION_STRING, ProgName: this.progName, kLibUSBMuxVersion: 3 };
  }

  private async open(what: string, signal?: AbortSignal, directReads = false): Promise<MuxChannel> {
    const socket = await openMuxSocket(this.address, { timeoutMs: this.timeouts.muxConnectMs, signal, directReads });
    return new MuxChannel(socket, `usbmuxd ${what}`);
  }

  /** Sends one request on a fresh connection and returns the reply; the connection is closed unless `keep`. */
  private async exchange(
    messageType: string,
    extra: PlistDict,
    signal?: AbortSignal,
    keep = false,
    directReads = false,
  ): Promise<{ channel: MuxChannel; reply: PlistDict }> {
    const channel = await this.open(messageType, signal, directReads);
    const opts = { timeoutMs: this.timeouts.muxReplyMs, signal };
    try {
      log.debug({ request: messageType, address: formatMuxAddress(this.address) }, 'usbmuxd request');
      const tag = await channel.send({ ...this.base(messageType), ...extra }, opts);
      const { tag: replyTag, dict } = await channel.receive(opts);
      if (replyTag !== tag) log.debug({ tag, replyTag }, 'usbmuxd reply tag mismatch');
      if (!keep) channel.destroy();
      return { channel, reply: dict };
    } catch (err) {
      channel.destroy();
      throw err;
    }
  }

  private static resultOf(reply: PlistDict): number | undefined {
    return reply.MessageType === 'Result' ? plistNumber(reply.Number) : undefined;
  }

  private async simple(messageType: string, extra: PlistDict, context: string, signal?: AbortSignal): Promise<void> {
    const { reply } = await this.exchange(messageType, extra, signal);
    const result = UsbmuxClient.resultOf(reply);
    if (result === undefined) throw new TransportError('MALFORMED_REPLY', `usbmuxd ${messageType}: the reply has no Result`);
    if (result !== UsbmuxResult.OK) throw usbmuxResultError(messageType, result, context);
  }

  async listDevices(signal?: AbortSignal): Promise<MuxDevice[]> {
    const { reply } = await this.exchange('ListDevices', {}, signal);
    const result = UsbmuxClient.resultOf(reply);
    if (result !== undefined && result !== UsbmuxResult.OK) throw usbmuxResultError('ListDevices', result);
    const list = reply.DeviceList;
    if (!Array.isArray(list)) throw new TransportError('MALFORMED_REPLY', 'usbmuxd ListDevices: the reply has no DeviceList');
    const devices: MuxDevice[] = [];
    for (const entry of list) {
      const dev = parseMuxDevice(entry);
      if (dev) devices.push(dev);
      else log.debug({ entry: String(entry) }, 'ignoring a usbmuxd device entry without DeviceID/SerialNumber/ConnectionType');
    }
    return devices;
  }

  /** The host's SystemBUID, as usbmuxd keeps it. */
  async readBuid(signal?: AbortSignal): Promise<string> {
    const { reply } = await this.exchange('ReadBUID', {}, signal);
    if (typeof reply.BUID === 'string') return reply.BUID;
    const result = UsbmuxClient.resultOf(reply);
    if (result !== undefined && result !== UsbmuxResult.OK) throw usbmuxResultError('ReadBUID', result);
    throw new TransportError('MALFORMED_REPLY', 'usbmuxd ReadBUID: the reply has no BUID');
  }

  /** The stored pair record (binary or XML plist bytes), or undefined when usbmuxd has none for `udid`. */
  async readPairRecord(udid: string, signal?: AbortSignal): Promise<Buffer | undefined> {
    const { reply } = await this.exchange('ReadPairRecord', { PairRecordID: udid }, signal);
    const data = reply.PairRecordData;
    if (data instanceof Uint8Array) return Buffer.from(data);
    const result = UsbmuxClient.resultOf(reply);
    if (result === UsbmuxResult.BadDevice /* = ENOENT */ || result === UsbmuxResult.OK) return undefined;
    if (result !== undefined) throw usbmuxResultError('ReadPairRecord', result, udid);
    throw new TransportError('MALFORMED_REPLY', 'usbmuxd ReadPairRecord: the reply has neither PairRecordData nor Result');
  }

  async savePairRecord(udid: string, data: Uint8Array, deviceId?: number, signal?: AbortSignal): Promise<void> {
    const extra: PlistDict = { PairRecordID: udid, PairRecordData: Buffer.from(data) };
    if (deviceId !== undefined) extra.DeviceID = deviceId;
    await this.simple('SavePairRecord', extra, udid, signal);
  }

  async deletePairRecord(udid: string, signal?: AbortSignal): Promise<void> {
    await this.simple('DeletePairRecord', { PairRecordID: udid }, udid, signal);
  }

  /**
   * Connects to `port` on the device; the returned socket is the raw pipe (bytes the device sent right after the
   * reply are still readable from it). `directReads`: the socket reuses one receive buffer (see DirectReads), for
   * a plain (non-TLS) connection that will carry bulk data.
   */
  async connect(deviceId: number, port: number, signal?: AbortSignal, opts: { directReads?: boolean } = {}): Promise<Socket> {
    const request = { DeviceID: deviceId, PortNumber: swapPort16(port) };
    const { channel, reply } = await this.exchange('Connect', request, signal, true, opts.directReads === true);
    const result = UsbmuxClient.resultOf(reply);
    if (result === UsbmuxResult.OK) {
      log.debug({ deviceId, port }, 'connected to device port');
      return channel.socket;
    }
    channel.destroy();
    if (result === undefined) throw new TransportError('MALFORMED_REPLY', 'usbmuxd Connect: the reply has no Result');
    throw usbmuxResultError('Connect', result, `device ${deviceId}, port ${port}`);
  }

  /** Starts a Listen connection; resolves once usbmuxd accepted it. */
  async listen(signal?: AbortSignal): Promise<MuxListener> {
    const { channel, reply } = await this.exchange('Listen', {}, signal, true);
    const result = UsbmuxClient.resultOf(reply);
    if (result !== UsbmuxResult.OK) {
      channel.destroy();
      throw result === undefined
        ? new TransportError('MALFORMED_REPLY', 'usbmuxd Listen: the reply has no Result')
        : usbmuxResultError('Listen', result);
    }
    return new MuxListener(channel);
  }
}

export interface MuxListenerEvents {
  attached: [MuxDevice];
  detached: [{ deviceId: number; udid?: string }];
  paired: [{ deviceId: number; udid?: string }];
  error: [Error];
  close: [];
}

/**
 * A Listen connection: emits 'attached', 'detached', 'paired'; 'error' (typed) if the connection breaks, then 'close'.
 * `close()` ends it. Detach events carry the UDID when the device was seen attached on this listener.
 */
export class MuxListener extends EventEmitter<MuxListenerEvents> {
  private readonly known = new Map<number, string>();
  private readonly stop = new AbortController();
  private closed = false;

  constructor(private readonly channel: MuxChannel) {
    super();
    // Start reading on the next turn so that listeners attached right after `await listen()` see every event.
    setImmediate(() => void this.loop());
  }

  private async loop(): Promise<void> {
    try {
      if (this.closed) return;
      for (;;) {
        const { dict } = await this.channel.receive({ signal: this.stop.signal });
        this.dispatch(dict);
      }
    } catch (err) {
      if (!this.closed) {
        this.closed = true;
        if (this.listenerCount('error') > 0) this.emit('error', err as Error);
      }
    } finally {
      this.channel.destroy();
      this.emit('close');
    }
  }

  private dispatch(dict: PlistDict): void {
    const type = dict.MessageType;
    if (type === 'Attached') {
      const dev = parseMuxDevice(dict as PlistValue);
      if (!dev) return;
      this.known.set(dev.deviceId, dev.udid);
      this.emit('attached', dev);
    } else if (type === 'Detached' || type === 'Paired') {
      const deviceId = plistNumber(dict.DeviceID);
      if (deviceId === undefined) return;
      const udid = this.known.get(deviceId);
      if (type === 'Detached') {
        this.known.delete(deviceId);
        this.emit('detached', udid === undefined ? { deviceId } : { deviceId, udid });
      } else this.emit('paired', udid === undefined ? { deviceId } : { deviceId, udid });
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stop.abort();
    this.channel.destroy();
  }
}
