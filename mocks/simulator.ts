// startSimulator(): a simulated iPhone (or several) behind a usbmuxd-compatible socket. Point libimobiledevice
// tools at it with USBMUXD_SOCKET_ADDRESS=<address>.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type net from 'node:net';
import type { Duplex } from 'node:stream';
import { CodedError, decodePlist, encodePlist, isPlistDict } from '../protocols/index.js';
import { loadDeviceState, saveDeviceState } from './device/device-state-file.js';
import type { SimDeviceOptions } from './device/options.js';
import { SimulatedDevice } from './device/sim-device.js';
import { LOCKDOWN_SERVICE, withFaults } from './faults.js';
import { openSimFileSystem } from './fs/index.js';
import { serveLockdown } from './lockdownd/connection.js';
import { createHostPairing } from './lockdownd/host-pair-record.js';
import { cachedKeyPair } from './lockdownd/keys.js';
import { LOCKDOWN_PORT } from './lockdownd/requests.js';
import { serveTls } from './lockdownd/tls.js';
import type { SimLogger } from './logger.js';
import { SERVICES } from './services/registry.js';
import { PairRecordStore } from './usbmuxd/pair-record-store.js';
import { UsbmuxdServer, type ConnectRouter } from './usbmuxd/server.js';

export interface StartSimulatorOptions {
  /** Unix socket path for usbmuxd. Default: `<stateDir>/usbmuxd.sock` when no `tcp` is given. */
  socketPath?: string;
  /** Also (or only) listen on TCP; port 0 picks a free port. */
  tcp?: { host?: string; port: number };
  /** Where pair records, device state and file systems live. Default: a new temp dir, removed by close(). */
  stateDir?: string;
  /** One entry per device (default: one device with default options). */
  devices?: SimDeviceOptions[];
  logger?: SimLogger;
}

export interface Simulator {
  /** For USBMUXD_SOCKET_ADDRESS: `UNIX:/abs/path` (or `host:port` when only TCP is used). */
  readonly address: string;
  readonly socketPath?: string;
  readonly tcpPort?: number;
  readonly stateDir: string;
  readonly devices: SimulatedDevice[];
  /** The device with this UDID (throws if there is none). */
  device(udid?: string): SimulatedDevice;
  /** The pair record the simulated usbmuxd holds for a device, decoded (undefined if none). */
  pairRecord(udid: string): Record<string, unknown> | undefined;
  close(): Promise<void>;
}

export function defaultUdid(index: number): string {
  return `00008120-${(0x001a2b3c4d5e0000n + BigInt(index)).toString(16).toUpperCase().padStart(16, '0')}`;
}

async function createDevice(
  index: number,
  o: SimDeviceOptions,
  stateDir: string,
  store: PairRecordStore,
  log?: SimLogger,
): Promise<SimulatedDevice> {
  const udid = o.udid ?? defaultUdid(index);
  const deviceDir = join(stateDir, udid);
  mkdirSync(deviceDir, { recursive: true, mode: 0o700 });
  const stateFile = join(deviceDir, 'device.json');
  const saved = loadDeviceState(stateFile);
  const keys = saved?.keys ?? (await cachedKeyPair(`device-${index}`));
  const device = new SimulatedDevice({
    index,
    udid,
    keys,
    options: o,
    pairedHosts: saved?.pairedHosts,
    savedBackupDomain: saved?.backupDomain,
  });
  const persist = (): void =>
    saveDeviceState(stateFile, {
      keys: device.keys,
      pairedHosts: [...device.pairedHosts.values()],
      backupDomain: device.persistentBackupDomain(),
    });
  if (o.paired ?? true) {
    const existing = store.read(udid);
    let hostId: unknown;
    try {
      const rec = existing ? decodePlist(existing) : undefined;
      hostId = isPlistDict(rec) ? rec.HostID : undefined;
    } catch {
      hostId = undefined;
    }
    if (!device.pairedHost(hostId)) {
      const pairing = await createHostPairing({
        devicePublicKeyPem: keys.publicKeyPkcs1Pem,
        systemBUID: store.systemBUID(),
        wifiAddress: String(device.getValue('', 'WiFiAddress') ?? ''),
      });
      store.save(udid, encodePlist(pairing.record, 'binary'));
      device.pairedHosts.set(pairing.device.hostId, pairing.device);
    }
  }
  persist();
  device.on('changed', persist);
  try {
    device.setFileSystem(await openSimFileSystem({ stateDir: join(deviceDir, 'fs'), dataset: o.dataset, seed: o.seed }));
  } catch (err) {
    log?.warn({ udid, err: String(err) }, 'simulated file system unavailable');
    device.setFileSystem(
      undefined,
      new CodedError('SIM_FS_UNAVAILABLE', `the simulated file system of ${udid} could not be opened: ${String(err)}`, {
        cause: err,
      }),
    );
  }
  return device;
}

function makeRouter(log?: SimLogger): ConnectRouter {
  const isKnownService = (name: string): boolean => SERVICES.has(name);
  return (device, port) => {
    if (port === LOCKDOWN_PORT) {
      return (socket: net.Socket) => {
        device.track(socket);
        serveLockdown(withFaults(socket, device.faults, LOCKDOWN_SERVICE), { device, isKnownService }, log);
      };
    }
    const grant = device.takeServicePort(port);
    const handler = grant && SERVICES.get(grant.service);
    if (!grant || !handler) return undefined;
    return (socket: net.Socket) => {
      device.track(socket);
      let conn: Duplex = socket;
      if (grant.ssl && grant.tls) {
        const tlsSocket = serveTls(socket, grant.tls);
        tlsSocket.once('secure', () => {
          const suite = tlsSocket.getCipher()?.standardName;
          if (suite) device.serviceTlsSuites.set(grant.service, suite);
        });
        conn = tlsSocket;
      }
      conn = withFaults(conn, device.faults, grant.service);
      try {
        handler(conn, device);
      } catch (err) {
        log?.warn({ service: grant.service, err: String(err) }, 'service failed to start');
        socket.destroy();
      }
    };
  };
}

export async function startSimulator(options: StartSimulatorOptions = {}): Promise<Simulator> {
  const ownStateDir = options.stateDir === undefined;
  const stateDir = resolve(options.stateDir ?? mkdtempSync(join(tmpdir(), 'ibackup-sim-')));
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const log = options.logger;
  const store = new PairRecordStore(stateDir);
  const specs = options.devices && options.devices.length > 0 ? options.devices : [{}];
  const devices: SimulatedDevice[] = [];
  let server: UsbmuxdServer | undefined;
  try {
    for (let i = 0; i < specs.length; i++) {
      devices.push(await createDevice(i + 1, specs[i] ?? {}, stateDir, store, log));
    }
    server = new UsbmuxdServer({ devices, store, route: makeRouter(log), log });
    const socketPath =
      options.socketPath !== undefined || !options.tcp
        ? resolve(options.socketPath ?? join(stateDir, 'usbmuxd.sock'))
        : undefined;
    if (socketPath) await server.listenUnix(socketPath);
    const tcpHost = options.tcp?.host ?? '127.0.0.1';
    const tcpPort = options.tcp ? await server.listenTcp(tcpHost, options.tcp.port) : undefined;
    const address = socketPath ? `UNIX:${socketPath}` : `${tcpHost}:${tcpPort}`;
    const srv = server;
    let closed = false;
    return {
      address,
      socketPath,
      tcpPort,
      stateDir,
      devices,
      device(udid?: string): SimulatedDevice {
        const d = udid === undefined ? devices[0] : devices.find((x) => x.udid === udid);
        if (!d) throw new CodedError('SIM_NO_DEVICE', `the simulator has no device ${udid ?? ''}`.trim());
        return d;
      },
      pairRecord(udid: string) {
        const data = store.read(udid);
        if (!data) return undefined;
        const v = decodePlist(data);
        return isPlistDict(v) ? (v as Record<string, unknown>) : undefined;
      },
      async close(): Promise<void> {
        if (closed) return;
        closed = true;
        for (const d of devices) d.close();
        await srv.close();
        if (ownStateDir) rmSync(stateDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    for (const d of devices) d.close();
    await server?.close();
    if (ownStateDir) rmSync(stateDir, { recursive: true, force: true });
    throw err;
  }
}
