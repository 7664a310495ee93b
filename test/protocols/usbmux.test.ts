import { describe, expect, it } from 'vitest';
import { decodePlist, encodePlist } from '../../protocols/plist/index.js';
import {
  USBMUX_DEVICE_RECORD_SIZE,
  UsbmuxDecoder,
  UsbmuxMessage,
  decodeUsbmuxConnectPayload,
  decodeUsbmuxDeviceIdPayload,
  decodeUsbmuxDeviceRecord,
  decodeUsbmuxPlistPayload,
  decodeUsbmuxResultPayload,
  encodeUsbmuxConnectPayload,
  encodeUsbmuxDeviceIdPayload,
  encodeUsbmuxDeviceRecord,
  encodeUsbmuxPacket,
  encodeUsbmuxPlist,
  encodeUsbmuxResultPayload,
  swapPort16,
  type UsbmuxPacket,
} from '../../protocols/usbmux.js';
import { splits } from '../helpers/fuzz.js';
import { codeOf, hex } from '../helpers/codec.js';



// The ListDevices request as libplist 2.2.0 lays it out (415 bytes; `plistutil -f xml` reproduces it byte for byte).
const LIST_DEVICES_XML = Buffer.from(
  `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
\t<key>ClientVersionString</key>
\t<string>libusbmuxd 2.0.2</string>
\t<key>MessageType</key>
\t<string>ListDevices</string>
\t<key>ProgName</key>
\t<string>idevicebackup2</string>
\t<key>kLibUSBMuxVersion</key>
\t<integer>3</integer>
</dict>
</plist>
`,
  'utf8',
);
// First packet Debian's idevicebackup2 sends to usbmuxd (protocol-reference.md §1.2).
const FIRST_PACKET = Buffer.concat([hex('af010000 01000000 08000000 01000000'), LIST_DEVICES_XML]);
const LIST_DEVICES = { ClientVersionString: 'libusbmuxd 2.0.2', MessageType: 'ListDevices', ProgName: 'idevicebackup2', kLibUSBMuxVersion: 3 };

const plain = (p: UsbmuxPacket) => ({ ...p, payload: p.payload.toString('hex') });

describe('usbmux packets', () => {
  it('the reference packet is 431 bytes with the documented header', () => {
    expect(LIST_DEVICES_XML.length).toBe(415);
    expect(FIRST_PACKET.length).toBe(431);
    const [p] = new UsbmuxDecoder().push(FIRST_PACKET);
    expect(p).toMatchObject({ version: 1, message: UsbmuxMessage.Plist, tag: 1 });
    expect(p!.payload).toEqual(LIST_DEVICES_XML);
    expect(encodeUsbmuxPacket(p!)).toEqual(FIRST_PACKET);
  });

  it('encodeUsbmuxPlist builds the ListDevices packet (version 1, message 8, XML)', () => {
    const packet = encodeUsbmuxPlist(LIST_DEVICES, 1);
    expect(packet.readUInt32LE(0)).toBe(packet.length);
    expect(packet.subarray(4, 16)).toEqual(hex('01000000 08000000 01000000'));
    expect(packet.subarray(16, 21).toString()).toBe('<?xml');
    // Our plist encoder uses libplist's layout, so the whole packet matches the captured one byte for byte.
    expect(packet).toEqual(FIRST_PACKET);
  });

  it('decodes XML and binary plist payloads into a dict', () => {
    const [p] = new UsbmuxDecoder().push(FIRST_PACKET);
    expect({ ...decodeUsbmuxPlistPayload(p!) }).toEqual(LIST_DEVICES);
    const reply = { MessageType: 'Result', Number: 0 };
    const bin: UsbmuxPacket = { version: 1, message: 8, tag: 7, payload: encodePlist(reply, 'binary') };
    expect({ ...decodeUsbmuxPlistPayload(bin) }).toEqual(reply);
    const arr: UsbmuxPacket = { version: 1, message: 8, tag: 7, payload: encodePlist(['x'], 'xml') };
    expect(codeOf(() => decodeUsbmuxPlistPayload(arr))).toBe('MESSAGE_INVALID');
    expect(codeOf(() => decodeUsbmuxPlistPayload({ ...bin, message: UsbmuxMessage.Result }))).toBe('MESSAGE_INVALID');
    expect(codeOf(() => decodeUsbmuxPlistPayload({ ...bin, payload: Buffer.from('not a plist') }))).toBe('PLIST_MALFORMED');
  });

  it('Connect carries the byte-swapped port: 62078 ⇄ 32498', () => {
    expect(swapPort16(62078)).toBe(32498);
    expect(swapPort16(32498)).toBe(62078);
    for (const port of [0, 1, 255, 256, 0xffff, 49152]) expect(swapPort16(swapPort16(port))).toBe(port);
    const packet = encodeUsbmuxPlist({ MessageType: 'Connect', DeviceID: 3, PortNumber: swapPort16(62078) }, 4);
    const [p] = new UsbmuxDecoder().push(packet);
    const dict = decodeUsbmuxPlistPayload(p!);
    expect(dict.PortNumber).toBe(32498);
    expect(decodePlist(p!.payload)).toEqual(dict);
  });

  it('gives the same packets for every split point and many packets in one chunk', () => {
    const second = encodeUsbmuxPacket({ version: 0, message: UsbmuxMessage.Result, tag: 9, payload: encodeUsbmuxResultPayload(6) });
    const third = encodeUsbmuxPacket({ version: 1, message: UsbmuxMessage.Plist, tag: 10, payload: Buffer.alloc(0) });
    const wire = Buffer.concat([FIRST_PACKET, second, third]);
    const expected = [
      { version: 1, message: 8, tag: 1, payload: LIST_DEVICES_XML.toString('hex') },
      { version: 0, message: 1, tag: 9, payload: '06000000' },
      { version: 1, message: 8, tag: 10, payload: '' },
    ];
    for (const chunks of splits(wire)) {
      const dec = new UsbmuxDecoder();
      expect(chunks.flatMap((c) => dec.push(c)).map(plain)).toEqual(expected);
      expect(dec.pending).toBe(0);
      dec.finish();
    }
  });

  it('rejects a length below 16 and an oversized length before buffering', () => {
    expect(codeOf(() => new UsbmuxDecoder().push(hex('0f000000')))).toBe('FRAME_MALFORMED');
    expect(codeOf(() => new UsbmuxDecoder().push(hex('00000000 01000000')))).toBe('FRAME_MALFORMED');
    expect(codeOf(() => new UsbmuxDecoder().push(hex('ffffffff')))).toBe('FRAME_TOO_LARGE');
    expect(codeOf(() => new UsbmuxDecoder({ maxPacketBytes: 64 }).push(hex('41000000')))).toBe('FRAME_TOO_LARGE');
    expect(new UsbmuxDecoder({ maxPacketBytes: 64 }).push(hex('40000000'))).toEqual([]);
    // a header-only packet is valid
    expect(new UsbmuxDecoder().push(hex('10000000 01000000 03000000 05000000'))).toHaveLength(1);
  });

  it('finish() inside a packet is STREAM_TRUNCATED; the decoder stays failed', () => {
    const dec = new UsbmuxDecoder();
    dec.push(FIRST_PACKET.subarray(0, 100));
    expect(dec.pending).toBe(100);
    expect(codeOf(() => dec.finish())).toBe('STREAM_TRUNCATED');
    expect(codeOf(() => dec.push(FIRST_PACKET.subarray(100)))).toBe('STREAM_TRUNCATED');
  });
});

describe('usbmux legacy binary payloads (version 0)', () => {
  it('CONNECT: u32le device id, port in network order, reserved', () => {
    const b = encodeUsbmuxConnectPayload(3, 62078);
    expect(b).toEqual(hex('03000000 f27e 0000'));
    expect(decodeUsbmuxConnectPayload(b)).toEqual({ deviceId: 3, port: 62078 });
  });

  it('RESULT and DEVICE_REMOVE', () => {
    expect(encodeUsbmuxResultPayload(3)).toEqual(hex('03000000'));
    expect(decodeUsbmuxResultPayload(hex('06000000'))).toBe(6);
    expect(encodeUsbmuxDeviceIdPayload(0x01020304)).toEqual(hex('04030201'));
    expect(decodeUsbmuxDeviceIdPayload(hex('04030201'))).toBe(0x01020304);
    expect(codeOf(() => decodeUsbmuxResultPayload(hex('0600')))).toBe('FRAME_MALFORMED');
  });

  it('DEVICE_ADD record (268 bytes)', () => {
    const rec = { deviceId: 5, productId: 0x12a8, serialNumber: '00008030-001A2B3C4D5E6F70', locationId: 0x14100000 };
    const b = encodeUsbmuxDeviceRecord(rec);
    expect(b.length).toBe(USBMUX_DEVICE_RECORD_SIZE);
    expect(b.subarray(0, 6)).toEqual(hex('05000000 a812'));
    expect(b.subarray(6, 6 + 25).toString()).toBe(rec.serialNumber);
    expect(b[6 + 25]).toBe(0);
    expect(b.subarray(264)).toEqual(hex('00001014'));
    expect(decodeUsbmuxDeviceRecord(b)).toEqual(rec);
    expect(codeOf(() => decodeUsbmuxDeviceRecord(b.subarray(0, 267)))).toBe('FRAME_MALFORMED');
    expect(codeOf(() => encodeUsbmuxDeviceRecord({ ...rec, serialNumber: 'x'.repeat(256) }))).toBe('FRAME_MALFORMED');
  });
});
