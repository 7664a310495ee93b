// usbmuxd client protocol (protocol-reference.md §1.2–1.4): 16-byte little-endian header + payload.
import { ByteQueue } from './byte-queue.js';
import { ProtocolError } from './errors.js';
import { decodePlist, encodePlist, isPlistDict } from './plist/index.js';
import type { PlistDict } from './plist/index.js';
import { FailFastDecoder } from './stream.js';
import type { IncrementalDecoder } from './stream.js';

export const USBMUX_HEADER_SIZE = 16;
export const USBMUX_DEFAULT_MAX_PACKET = 16 * 1024 * 1024;

export const UsbmuxMessage = {
  Result: 1,
  Connect: 2,
  Listen: 3,
  DeviceAdd: 4,
  DeviceRemove: 5,
  DevicePaired: 6,
  Plist: 8,
} as const;

/** usbmuxd `Result` numbers. */
export const UsbmuxResult = { OK: 0, BadCommand: 1, BadDevice: 2, ConnectionRefused: 3, BadVersion: 6 } as const;

export interface UsbmuxPacket {
  /** 1 = plist protocol, 0 = legacy binary. */
  version: number;
  message: number;
  tag: number;
  payload: Buffer;
}

function checkU32(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) {
    throw new ProtocolError('FRAME_MALFORMED', `usbmux ${name} must be an unsigned 32-bit integer, got ${v}`);
  }
}

/** 16-byte little-endian header + payload, in one buffer. */
export function encodeUsbmuxPacket(p: UsbmuxPacket): Buffer {
  checkU32('version', p.version);
  checkU32('message', p.message);
  checkU32('tag', p.tag);
  const length = USBMUX_HEADER_SIZE + p.payload.length;
  checkU32('packet length', length);
  const out = Buffer.allocUnsafe(length);
  out.writeUInt32LE(length, 0);
  out.writeUInt32LE(p.version, 4);
  out.writeUInt32LE(p.message, 8);
  out.writeUInt32LE(p.tag, 12);
  out.set(p.payload, USBMUX_HEADER_SIZE);
  return out;
}

/** version 1, message 8, XML plist payload (what libusbmuxd sends and expects back). */
export function encodeUsbmuxPlist(dict: PlistDict, tag: number): Buffer {
  return encodeUsbmuxPacket({ version: 1, message: UsbmuxMessage.Plist, tag, payload: encodePlist(dict, 'xml') });
}

/** Decode a packet's plist payload as a dict (throws MESSAGE_INVALID if it is not a dict). */
export function decodeUsbmuxPlistPayload(p: UsbmuxPacket): PlistDict {
  if (p.message !== UsbmuxMessage.Plist) {
    throw new ProtocolError('MESSAGE_INVALID', `usbmux packet has message type ${p.message}, expected 8 (plist)`);
  }
  const value = decodePlist(p.payload);
  if (!isPlistDict(value)) throw new ProtocolError('MESSAGE_INVALID', 'usbmux plist payload is not a dictionary');
  return value;
}

/** htons of a 16-bit port, as usbmuxd clients put it into `PortNumber` (62078 ⇄ 32498). Its own inverse. */
export function swapPort16(port: number): number {
  return ((port & 0xff) << 8) | ((port >> 8) & 0xff);
}

export class UsbmuxDecoder extends FailFastDecoder implements IncrementalDecoder<UsbmuxPacket> {
  private readonly queue = new ByteQueue();
  private readonly maxPacketBytes: number;
  /** Total length of the packet whose header has been read, or 0 while waiting for a header. */
  private need = 0;

  constructor(opts: { maxPacketBytes?: number } = {}) {
    super();
    this.maxPacketBytes = opts.maxPacketBytes ?? USBMUX_DEFAULT_MAX_PACKET;
  }

  get pending(): number {
    return this.queue.length;
  }

  push(chunk: Uint8Array): UsbmuxPacket[] {
    return this.guard(() => {
      this.queue.push(chunk);
      const out: UsbmuxPacket[] = [];
      for (;;) {
        if (this.need === 0) {
          if (this.queue.length < 4) break;
          const length = this.queue.readUInt32LE(0);
          if (length < USBMUX_HEADER_SIZE) {
            throw new ProtocolError('FRAME_MALFORMED', `usbmux packet length ${length} is shorter than the 16-byte header`);
          }
          if (length > this.maxPacketBytes) {
            throw new ProtocolError('FRAME_TOO_LARGE', `usbmux packet of ${length} bytes exceeds the ${this.maxPacketBytes}-byte limit`);
          }
          this.need = length;
        }
        if (this.queue.length < this.need) break;
        const packet = this.queue.take(this.need);
        this.need = 0;
        out.push({
          version: packet.readUInt32LE(4),
          message: packet.readUInt32LE(8),
          tag: packet.readUInt32LE(12),
          payload: packet.subarray(USBMUX_HEADER_SIZE),
        });
      }
      return out;
    });
  }

  finish(): void {
    this.guard(() => {
      if (this.queue.length > 0) {
        throw new ProtocolError('STREAM_TRUNCATED', `usbmux stream ended inside a packet (${this.queue.length} bytes buffered)`);
      }
    });
  }
}

// ---- Legacy binary protocol (version 0, §1.4) ----

/** CONNECT payload: u32le device id, u16 port in network order, u16 reserved. `port` is the real port (62078). */
export function encodeUsbmuxConnectPayload(deviceId: number, port: number): Buffer {
  checkU32('device id', deviceId);
  if (!Number.isInteger(port) || port < 0 || port > 0xffff) throw new ProtocolError('FRAME_MALFORMED', `bad port ${port}`);
  const b = Buffer.alloc(8);
  b.writeUInt32LE(deviceId, 0);
  b.writeUInt16BE(port, 4);
  return b;
}

export function decodeUsbmuxConnectPayload(b: Uint8Array): { deviceId: number; port: number } {
  const buf = lengthAtLeast(b, 8, 'CONNECT');
  return { deviceId: buf.readUInt32LE(0), port: buf.readUInt16BE(4) };
}

/** RESULT payload: u32le result number. */
export function encodeUsbmuxResultPayload(result: number): Buffer {
  checkU32('result', result);
  const b = Buffer.alloc(4);
  b.writeUInt32LE(result, 0);
  return b;
}

export function decodeUsbmuxResultPayload(b: Uint8Array): number {
  return lengthAtLeast(b, 4, 'RESULT').readUInt32LE(0);
}

export const USBMUX_DEVICE_RECORD_SIZE = 268;

export interface UsbmuxDeviceRecord {
  deviceId: number;
  productId: number;
  /** UDID (at most 255 bytes of UTF-8). */
  serialNumber: string;
  locationId: number;
}

/** DEVICE_ADD payload: u32le id, u16le product id, char serial[256], u16 padding, u32le location (268 bytes). */
export function encodeUsbmuxDeviceRecord(d: UsbmuxDeviceRecord): Buffer {
  checkU32('device id', d.deviceId);
  checkU32('location id', d.locationId);
  if (!Number.isInteger(d.productId) || d.productId < 0 || d.productId > 0xffff) {
    throw new ProtocolError('FRAME_MALFORMED', `bad product id ${d.productId}`);
  }
  const serial = Buffer.from(d.serialNumber, 'utf8');
  if (serial.length > 255 || serial.includes(0)) {
    throw new ProtocolError('FRAME_MALFORMED', 'usbmux serial number must be at most 255 bytes without NUL');
  }
  const b = Buffer.alloc(USBMUX_DEVICE_RECORD_SIZE);
  b.writeUInt32LE(d.deviceId, 0);
  b.writeUInt16LE(d.productId, 4);
  serial.copy(b, 6);
  b.writeUInt32LE(d.locationId, 264);
  return b;
}

export function decodeUsbmuxDeviceRecord(b: Uint8Array): UsbmuxDeviceRecord {
  const buf = lengthAtLeast(b, USBMUX_DEVICE_RECORD_SIZE, 'DEVICE_ADD');
  const serialField = buf.subarray(6, 262);
  const nul = serialField.indexOf(0);
  return {
    deviceId: buf.readUInt32LE(0),
    productId: buf.readUInt16LE(4),
    serialNumber: serialField.subarray(0, nul < 0 ? serialField.length : nul).toString('utf8'),
    locationId: buf.readUInt32LE(264),
  };
}

/** DEVICE_REMOVE / DEVICE_PAIRED payload: u32le device id. */
export function encodeUsbmuxDeviceIdPayload(deviceId: number): Buffer {
  checkU32('device id', deviceId);
  const b = Buffer.alloc(4);
  b.writeUInt32LE(deviceId, 0);
  return b;
}

export function decodeUsbmuxDeviceIdPayload(b: Uint8Array): number {
  return lengthAtLeast(b, 4, 'device id').readUInt32LE(0);
}

function lengthAtLeast(b: Uint8Array, n: number, what: string): Buffer {
  if (b.byteLength < n) throw new ProtocolError('FRAME_MALFORMED', `usbmux ${what} payload has ${b.byteLength} bytes, expected ${n}`);
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}
