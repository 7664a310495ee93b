// CONTRACT STUB — to be implemented (issue #2). Reference: protocol-reference.md §1.
import { ProtocolError } from './errors.js';
import type { PlistDict } from './plist/index.js';
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

/** 16-byte little-endian header + payload, in one buffer. */
export function encodeUsbmuxPacket(_p: UsbmuxPacket): Buffer {
  throw new ProtocolError('FRAME_MALFORMED', 'not implemented');
}
/** version 1, message 8, XML plist payload (what libusbmuxd sends and expects back). */
export function encodeUsbmuxPlist(_dict: PlistDict, _tag: number): Buffer {
  throw new ProtocolError('FRAME_MALFORMED', 'not implemented');
}
/** Decode a packet's plist payload as a dict (throws MESSAGE_INVALID if it is not a dict). */
export function decodeUsbmuxPlistPayload(_p: UsbmuxPacket): PlistDict {
  throw new ProtocolError('FRAME_MALFORMED', 'not implemented');
}
/** htons of a 16-bit port, as usbmuxd clients put it into `PortNumber` (62078 ⇄ 32498). Its own inverse. */
export function swapPort16(port: number): number {
  return ((port & 0xff) << 8) | ((port >> 8) & 0xff);
}

export declare class UsbmuxDecoder implements IncrementalDecoder<UsbmuxPacket> {
  constructor(opts?: { maxPacketBytes?: number });
  push(chunk: Uint8Array): UsbmuxPacket[];
  readonly pending: number;
  finish(): void;
}
