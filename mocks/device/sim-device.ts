// One simulated iPhone: lockdown values, pairing state, service ports, notification observers, the AFC media
// tree, fault options and attach/detach state. Implements the SimDevice contract used by the services.
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import type { PlistDict, PlistValue } from '../../protocols/index.js';
import type { RestoreContent, SimDevice, SimFaults, SimFileSystem } from '../types.js';
import type { RsaKeyPair } from '../lockdownd/keys.js';
import { AfcMediaTree } from '../services/afc-tree.js';
import type { SimDeviceOptions, SimTrustMode } from './options.js';
import type { PairedHost } from './pairing-state.js';
import { defaultValues } from './values.js';
import { CodedError } from '../../protocols/errors.js';

/** A port handed out by StartService; the next usbmuxd Connect to it reaches `service`. */
export interface ServiceGrant {
  service: string;
  ssl: boolean;
  /** TLS identity when `ssl`: the device certificate made for the session's host. */
  tls?: { certPem: string; keyPem: string };
}

export interface NotificationObserver {
  names: Set<string>;
  relay(name: string): void;
}

export interface SimulatedDeviceInit {
  index: number;
  udid: string;
  keys: RsaKeyPair;
  options: SimDeviceOptions;
  pairedHosts?: PairedHost[];
  savedBackupDomain?: PlistDict;
}

/** Events: 'detached', 'attached', 'changed' (pairing or persisted values changed). */
export class SimulatedDevice extends EventEmitter implements SimDevice {
  readonly udid: string;
  readonly deviceId: number;
  readonly index: number;
  faults: SimFaults;
  readonly restoreContent: RestoreContent;
  readonly requests: PlistDict[] = [];
  readonly keys: RsaKeyPair;
  readonly connectionType: 'USB' | 'Network';
  trust: SimTrustMode;
  locked: boolean;
  passcodeSet: boolean;
  sessionSSL: boolean;
  serviceSSL: Record<string, boolean>;
  /** Pair requests answered so far (the trust dialog's pending count). */
  pairAttempts = 0;
  readonly pairedHosts = new Map<string, PairedHost>();
  /** Notification names the host posted through notification_proxy, in order. */
  readonly hostNotifications: string[] = [];
  /** The TLS suite the last connection to each service agreed on (OpenSSL's standard name), for the benchmark. */
  readonly serviceTlsSuites = new Map<string, string>();
  readonly observers = new Set<NotificationObserver>();
  readonly afc = new AfcMediaTree();
  private readonly values: Map<string, PlistDict>;
  private attachedState = true;
  private readonly connections = new Set<Duplex>();
  private readonly ports = new Map<number, ServiceGrant>();
  private nextPort = 49152;
  private rebootTimer: NodeJS.Timeout | undefined;
  private fsValue: SimFileSystem | undefined;
  private fsError: unknown = new CodedError('SIM_FS_NOT_READY', 'the simulated file system is not open yet');

  constructor(init: SimulatedDeviceInit) {
    super();
    const o = init.options;
    this.index = init.index;
    this.deviceId = init.index;
    this.udid = init.udid;
    this.keys = init.keys;
    this.faults = { ...(o.faults ?? {}) };
    this.restoreContent = o.restoreContent ?? 'disk';
    this.connectionType = o.connectionType ?? 'USB';
    this.trust = o.trust ?? 'accept';
    this.locked = o.locked ?? false;
    this.passcodeSet = o.passcodeSet ?? false;
    this.sessionSSL = o.sessionSSL ?? true;
    this.serviceSSL = { ...(o.serviceSSL ?? {}) };
    for (const h of init.pairedHosts ?? []) this.pairedHosts.set(h.hostId, h);
    this.values = defaultValues({
      index: init.index,
      udid: init.udid,
      productVersion: o.productVersion ?? '18.1',
      devicePublicKeyPem: init.keys.publicKeyPkcs1Pem,
      deviceName: o.deviceName,
    });
    if (init.savedBackupDomain) {
      const backup = this.values.get('com.apple.mobile.backup') ?? {};
      this.values.set('com.apple.mobile.backup', { ...backup, ...init.savedBackupDomain });
    }
  }

  // ---- SimDevice contract -----------------------------------------------------------------------------------

  getValue(domain: string, key?: string): PlistValue | undefined {
    const d = this.values.get(domain);
    if (!d) return undefined;
    if (key === undefined) return { ...d };
    return d[key];
  }

  setValue(domain: string, key: string, value: PlistValue | undefined): void {
    let d = this.values.get(domain);
    if (!d) {
      d = {};
      this.values.set(domain, d);
    }
    if (value === undefined) delete d[key];
    else d[key] = value;
    if (domain === 'com.apple.mobile.backup') this.emit('changed');
  }

  get fs(): SimFileSystem {
    if (!this.fsValue) throw this.fsError;
    return this.fsValue;
  }

  postNotification(name: string): void {
    for (const o of this.observers) if (o.names.has(name)) o.relay(name);
  }

  reboot(ms = 1000): void {
    if (this.rebootTimer) clearTimeout(this.rebootTimer);
    this.detach();
    this.rebootTimer = setTimeout(() => {
      this.rebootTimer = undefined;
      this.attach();
    }, ms);
  }

  // ---- simulator internals ----------------------------------------------------------------------------------

  get attached(): boolean {
    return this.attachedState;
  }

  /** Whether a domain exists at all (GetValue on an unknown domain). */
  hasDomain(domain: string): boolean {
    return this.values.has(domain);
  }

  setFileSystem(fs: SimFileSystem | undefined, error?: unknown): void {
    this.fsValue = fs;
    if (error !== undefined) this.fsError = error;
  }

  /** The device's own view of one pairing, by HostID. */
  pairedHost(hostId: unknown): PairedHost | undefined {
    return typeof hostId === 'string' ? this.pairedHosts.get(hostId) : undefined;
  }

  addPairedHost(h: PairedHost): void {
    this.pairedHosts.set(h.hostId, h);
    this.emit('changed');
  }

  removePairedHost(hostId: string): boolean {
    const had = this.pairedHosts.delete(hostId);
    if (had) this.emit('changed');
    return had;
  }

  /** Values worth keeping across simulator restarts with the same state directory. */
  persistentBackupDomain(): PlistDict {
    const d = this.values.get('com.apple.mobile.backup') ?? {};
    const out: PlistDict = {};
    for (const [k, v] of Object.entries(d)) {
      if (typeof v === 'boolean' || typeof v === 'string' || typeof v === 'number') out[k] = v;
    }
    return out;
  }

  grantServicePort(grant: ServiceGrant): number {
    const port = this.nextPort;
    this.nextPort = this.nextPort >= 65000 ? 49152 : this.nextPort + 1;
    this.ports.set(port, grant);
    return port;
  }

  /** The grant for `port`, consumed (each StartService port serves one connection). */
  takeServicePort(port: number): ServiceGrant | undefined {
    const g = this.ports.get(port);
    this.ports.delete(port);
    return g;
  }

  /** Remembers an open connection so a reboot or close() can drop it. */
  track(conn: Duplex): void {
    this.connections.add(conn);
    conn.once('close', () => this.connections.delete(conn));
  }

  get openConnections(): number {
    return this.connections.size;
  }

  detach(): void {
    if (!this.attachedState) return;
    this.attachedState = false;
    this.ports.clear();
    this.observers.clear();
    for (const c of [...this.connections]) c.destroy();
    this.emit('detached');
  }

  attach(): void {
    if (this.attachedState) return;
    this.attachedState = true;
    this.emit('attached');
  }

  close(): void {
    if (this.rebootTimer) clearTimeout(this.rebootTimer);
    this.rebootTimer = undefined;
    for (const c of [...this.connections]) c.destroy();
    this.observers.clear();
    this.removeAllListeners();
  }
}

