// A tiny hand-rolled usbmuxd + lockdownd that misbehaves on purpose (the peer of the layer under test).
import { createServer, type Server, type Socket } from 'node:net';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  LockdownFrameDecoder,
  UsbmuxDecoder,
  decodeUsbmuxPlistPayload,
  encodeLockdownFrame,
  encodePlist,
  encodeUsbmuxPlist,
  isPlistDict,
  type PlistDict,
} from '../../protocols/index.js';
import { generatePairingCertificates } from '../../src/lockdown/certificates.js';

export type Misbehaviour =
  | 'mux-silent' // usbmuxd never answers
  | 'mux-oversized' // usbmuxd answers with a 4 GiB length
  | 'mux-garbage' // usbmuxd answers with a plist that does not parse
  | 'lockdown-silent' // lockdownd never answers QueryType
  | 'lockdown-oversized' // lockdownd answers with a 2 GiB frame length
  | 'lockdown-garbage' // lockdownd answers with bytes that are not a plist
  | 'lockdown-half-frame' // lockdownd sends half a frame and closes
  | 'tls-drop' // closes the connection in the middle of the TLS handshake
  | 'tls-silent'; // never answers the TLS ClientHello

export interface BadPeer {
  address: string;
  udid: string;
  /** Server-side sockets still open. */
  readonly openSockets: number;
  close(): Promise<void>;
}

const UDID = '00008120-00BADBADBADBAD01';
let cachedRecord: Buffer | undefined;

function pairRecord(): Buffer {
  if (!cachedRecord) {
    const { publicKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'pkcs1', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    const certs = generatePairingCertificates(publicKey);
    cachedRecord = encodePlist({ ...certs, HostID: 'BAD-PEER-HOST', SystemBUID: 'BAD-PEER-BUID', EscrowBag: Buffer.from('escrow') }, 'binary');
  }
  return cachedRecord;
}

export async function startBadPeer(mode: Misbehaviour): Promise<BadPeer> {
  const dir = mkdtempSync(join(tmpdir(), 'ibk-bad-'));
  const path = join(dir, 'mux.sock');
  const sockets = new Set<Socket>();
  const record = pairRecord();

  const lockdown = (sock: Socket): void => {
    const dec = new LockdownFrameDecoder();
    sock.on('data', (chunk: Buffer) => {
      let msgs;
      try {
        msgs = dec.push(chunk);
      } catch {
        sock.destroy();
        return;
      }
      for (const m of msgs) {
        if (!isPlistDict(m)) continue;
        const req = m.Request;
        if (req === 'QueryType') {
          if (mode === 'lockdown-silent') return;
          if (mode === 'lockdown-oversized') {
            const b = Buffer.alloc(4);
            b.writeUInt32BE(0x7fffffff);
            sock.write(b);
            return;
          }
          if (mode === 'lockdown-garbage') {
            const body = Buffer.from('this is not a plist at all');
            const b = Buffer.alloc(4);
            b.writeUInt32BE(body.length);
            sock.write(Buffer.concat([b, body]));
            return;
          }
          if (mode === 'lockdown-half-frame') {
            const frame = encodeLockdownFrame({ Request: 'QueryType', Type: 'com.apple.mobile.lockdown' });
            sock.end(frame.subarray(0, frame.length >> 1));
            return;
          }
          sock.write(encodeLockdownFrame({ Request: 'QueryType', Type: 'com.apple.mobile.lockdown' }));
        } else if (req === 'GetValue') {
          sock.write(encodeLockdownFrame({ Request: 'GetValue', Key: m.Key, Value: '17.0' }));
        } else if (req === 'StartSession') {
          sock.write(encodeLockdownFrame({ Request: 'StartSession', SessionID: 'S1', EnableSessionSSL: true }));
          sock.removeAllListeners('data');
          sock.once('data', () => {
            // The ClientHello arrived.
            if (mode === 'tls-drop') sock.destroy();
          });
          return;
        }
      }
    });
  };

  const server: Server = createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => undefined);
    const dec = new UsbmuxDecoder();
    const onData = (chunk: Buffer): void => {
      for (const p of dec.push(chunk)) {
        const msg = decodeUsbmuxPlistPayload(p);
        const reply = (d: PlistDict): boolean => sock.write(encodeUsbmuxPlist(d, p.tag));
        if (mode === 'mux-silent') return;
        if (mode === 'mux-oversized') {
          const h = Buffer.alloc(16);
          h.writeUInt32LE(0xffffffff, 0);
          h.writeUInt32LE(1, 4);
          h.writeUInt32LE(8, 8);
          sock.write(h);
          return;
        }
        if (mode === 'mux-garbage') {
          const body = Buffer.from('<?xml version="1.0"?><plist><dict><key>oops');
          const h = Buffer.alloc(16);
          h.writeUInt32LE(16 + body.length, 0);
          h.writeUInt32LE(1, 4);
          h.writeUInt32LE(8, 8);
          h.writeUInt32LE(p.tag, 12);
          sock.write(Buffer.concat([h, body]));
          return;
        }
        switch (msg.MessageType) {
          case 'ListDevices':
            reply({
              DeviceList: [
                { MessageType: 'Attached', DeviceID: 7, Properties: { DeviceID: 7, SerialNumber: UDID, ConnectionType: 'USB', ProductID: 0x12a8 } },
              ],
            });
            break;
          case 'ReadPairRecord':
            reply({ PairRecordData: record });
            break;
          case 'ReadBUID':
            reply({ BUID: 'BAD-PEER-BUID' });
            break;
          case 'Connect':
            reply({ MessageType: 'Result', Number: 0 });
            sock.off('data', onData);
            lockdown(sock);
            return;
          default:
            reply({ MessageType: 'Result', Number: 1 });
        }
      }
    };
    sock.on('data', onData);
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return {
    address: `UNIX:${path}`,
    udid: UDID,
    get openSockets() {
      return sockets.size;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
