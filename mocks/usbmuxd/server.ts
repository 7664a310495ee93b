// The simulated usbmuxd: the plist protocol (version 1, message 8, XML replies echoing the tag) on a unix socket
// and/or TCP. ListDevices, Listen (Attached/Detached/Paired), Connect (byte-swapped PortNumber) that turns the
// client's socket into a pipe to lockdownd or a service, pair records and the SystemBUID, ListListeners.
import { existsSync, rmSync } from 'node:fs';
import net from 'node:net';
import {
  UsbmuxDecoder,
  UsbmuxMessage,
  UsbmuxResult,
  decodeUsbmuxPlistPayload,
  encodeUsbmuxPacket,
  encodeUsbmuxPlist,
  swapPort16,
  type PlistDict,
  type UsbmuxPacket,
} from '../../protocols/index.js';
import type { SimulatedDevice } from '../device/sim-device.js';
import type { SimLogger } from '../logger.js';
import { attachedMessage } from './device-record.js';
import type { PairRecordStore } from './pair-record-store.js';
import { withReusedReads } from './reused-reads.js';

/** Decides where a Connect goes: a function taking the socket, or undefined to refuse (Result 3). */
export type ConnectRouter = (device: SimulatedDevice, port: number) => ((socket: net.Socket) => void) | undefined;

export interface UsbmuxdServerOptions {
  devices: SimulatedDevice[];
  store: PairRecordStore;
  route: ConnectRouter;
  log?: SimLogger;
}

interface Listener {
  socket: net.Socket;
  id: number;
  progName: string;
  clientVersion: string;
}

const ENOENT = 2;

export class UsbmuxdServer {
  private readonly servers: net.Server[] = [];
  private readonly clients = new Set<net.Socket>();
  private readonly listeners = new Set<Listener>();
  private nextListenerId = 1;
  private unixPath: string | undefined;
  private readonly unsubscribe: (() => void)[] = [];

  constructor(private readonly opts: UsbmuxdServerOptions) {
    for (const d of opts.devices) {
      const onDetach = (): void => this.broadcast({ MessageType: 'Detached', DeviceID: d.deviceId });
      const onAttach = (): void => this.broadcast(attachedMessage(d));
      d.on('detached', onDetach);
      d.on('attached', onAttach);
      this.unsubscribe.push(() => {
        d.off('detached', onDetach);
        d.off('attached', onAttach);
      });
    }
  }

  async listenUnix(path: string): Promise<void> {
    if (existsSync(path)) rmSync(path, { force: true });
    const server = this.makeServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.unixPath = path;
  }

  /** Listens on TCP; resolves to the bound port (useful with port 0). */
  async listenTcp(host: string, port: number): Promise<number> {
    const server = this.makeServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return (server.address() as net.AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const u of this.unsubscribe) u();
    for (const c of this.clients) c.destroy();
    this.clients.clear();
    this.listeners.clear();
    await Promise.all(this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    if (this.unixPath && existsSync(this.unixPath)) rmSync(this.unixPath, { force: true });
  }

  private makeServer(): net.Server {
    // Paused until its reads are moved to a reused buffer (withReusedReads).
    const server = net.createServer({ pauseOnConnect: true }, (socket) => this.accept(withReusedReads(socket)));
    this.servers.push(server);
    return server;
  }

  private accept(socket: net.Socket): void {
    this.clients.add(socket);
    socket.once('close', () => this.clients.delete(socket));
    socket.on('error', () => socket.destroy());
    const decoder = new UsbmuxDecoder({ maxPacketBytes: 1024 * 1024 });
    const onData = (chunk: Buffer): void => {
      let packets: UsbmuxPacket[];
      try {
        packets = decoder.push(chunk);
      } catch (err) {
        this.opts.log?.debug({ err: String(err) }, 'usbmuxd: bad packet');
        socket.destroy();
        return;
      }
      for (const p of packets) {
        const handedOver = this.handle(socket, p, () => socket.off('data', onData));
        if (handedOver) return;
      }
    };
    socket.on('data', onData);
  }

  private reply(socket: net.Socket, dict: PlistDict, tag: number): void {
    if (!socket.destroyed) socket.write(encodeUsbmuxPlist(dict, tag));
  }

  private result(socket: net.Socket, n: number, tag: number): void {
    this.reply(socket, { MessageType: 'Result', Number: n }, tag);
  }

  private device(id: unknown): SimulatedDevice | undefined {
    return this.opts.devices.find((d) => d.deviceId === id && d.attached);
  }

  /** Handles one packet; returns true when the socket has been handed to a device connection. */
  private handle(socket: net.Socket, p: UsbmuxPacket, stopReading: () => void): boolean {
    if (p.version !== 1 || p.message !== UsbmuxMessage.Plist) {
      // Legacy binary protocol: answer in kind that it is not supported.
      const payload = Buffer.alloc(4);
      payload.writeUInt32LE(UsbmuxResult.BadVersion);
      socket.write(encodeUsbmuxPacket({ version: p.version, message: UsbmuxMessage.Result, tag: p.tag, payload }));
      return false;
    }
    let msg: PlistDict;
    try {
      msg = decodeUsbmuxPlistPayload(p);
    } catch {
      this.result(socket, UsbmuxResult.BadCommand, p.tag);
      return false;
    }
    const tag = p.tag;
    const { store } = this.opts;
    const id = typeof msg.PairRecordID === 'string' ? msg.PairRecordID : '';
    this.opts.log?.debug({ type: msg.MessageType, tag }, 'usbmuxd request');
    switch (msg.MessageType) {
      case 'ListDevices':
        this.reply(socket, { DeviceList: this.opts.devices.filter((d) => d.attached).map(attachedMessage) }, tag);
        return false;
      case 'Listen':
        this.startListening(socket, msg, tag);
        return false;
      case 'Connect':
        return this.connect(socket, msg, tag, stopReading);
      case 'ReadBUID':
        this.reply(socket, { BUID: store.systemBUID() }, tag);
        return false;
      case 'ReadPairRecord': {
        const data = store.read(id);
        if (data) this.reply(socket, { PairRecordData: data }, tag);
        else this.result(socket, ENOENT, tag);
        return false;
      }
      case 'SavePairRecord': {
        const data = msg.PairRecordData;
        if (!(data instanceof Uint8Array) || !store.save(id, data)) {
          this.result(socket, UsbmuxResult.BadCommand, tag);
          return false;
        }
        this.result(socket, UsbmuxResult.OK, tag);
        const dev = this.opts.devices.find((d) => d.udid === id || d.deviceId === msg.DeviceID);
        if (dev?.attached) this.broadcast({ MessageType: 'Paired', DeviceID: dev.deviceId });
        return false;
      }
      case 'DeletePairRecord':
        this.result(socket, store.delete(id) ? UsbmuxResult.OK : ENOENT, tag);
        return false;
      case 'ListListeners':
        this.reply(socket, { ListenerList: [...this.listeners].map(listenerInfo) }, tag);
        return false;
      default:
        this.result(socket, UsbmuxResult.BadCommand, tag);
        return false;
    }
  }

  private startListening(socket: net.Socket, msg: PlistDict, tag: number): void {
    const l: Listener = {
      socket,
      id: this.nextListenerId++,
      progName: typeof msg.ProgName === 'string' ? msg.ProgName : '',
      clientVersion: typeof msg.ClientVersionString === 'string' ? msg.ClientVersionString : '',
    };
    this.listeners.add(l);
    socket.once('close', () => this.listeners.delete(l));
    this.result(socket, UsbmuxResult.OK, tag);
    for (const d of this.opts.devices) if (d.attached) this.reply(socket, attachedMessage(d), 0);
  }

  private connect(socket: net.Socket, msg: PlistDict, tag: number, stopReading: () => void): boolean {
    const device = this.device(msg.DeviceID);
    if (!device) {
      this.result(socket, UsbmuxResult.BadDevice, tag);
      return false;
    }
    const port = typeof msg.PortNumber === 'number' ? swapPort16(msg.PortNumber) : -1;
    const target = this.opts.route(device, port);
    if (!target) {
      this.result(socket, UsbmuxResult.ConnectionRefused, tag);
      return false;
    }
    this.opts.log?.debug({ udid: device.udid, port }, 'usbmuxd connect');
    stopReading();
    this.result(socket, UsbmuxResult.OK, tag);
    this.clients.delete(socket);
    target(socket);
    return true;
  }

  private broadcast(dict: PlistDict): void {
    for (const l of this.listeners) this.reply(l.socket, dict, 0);
  }
}

function listenerInfo(l: Listener): PlistDict {
  return {
    Blacklisted: false,
    BundleID: '',
    ConnType: 0,
    'ID String': String(l.id),
    ProgName: l.progName,
    kLibUSBMuxVersion: 3,
    ClientVersionString: l.clientVersion,
  };
}
