// Contract (issue #4): connect(), DeviceHandle, LockdownSession, ServiceConnection.
import type { PlistValue } from '../../protocols/index.js';
import { layerLogger } from '../log.js';
import type { MuxDevice, UsbmuxClient } from '../transport/index.js';
import { LockdownClient } from './lockdown-client.js';
import { findDevice, muxFor, openLockdownClient, parseVersion, type DeviceOptions } from './open.js';
import { loadPairRecord, type PairRecord } from './pair-record.js';
import { notPaired, pairOnClient, type PairingEvent } from './pairing.js';
import { openServiceConnection, type ServiceConnection } from './service-connection.js';

export type { ServiceConnection } from './service-connection.js';

const log = layerLogger('lockdown');

export interface StartServiceOptions {
  /** Send the pair record's EscrowBag (required by com.apple.mobilebackup2). */
  escrow?: boolean;
  signal?: AbortSignal;
  /**
   * Over service TLS: the TLS 1.3 suites to offer, in order (OpenSSL names joined by ':'). Default TLS13_SUITES
   * (src/lockdown/tls.ts), AES-128-GCM first.
   */
  tls13Suites?: string;
}

/** A lockdown session to one device (TLS after StartSession when the device asks for it). */
export interface LockdownSession {
  getValue(domain?: string, key?: string, signal?: AbortSignal): Promise<PlistValue | undefined>;
  setValue(domain: string | undefined, key: string, value: PlistValue, signal?: AbortSignal): Promise<void>;
  removeValue(domain: string | undefined, key: string, signal?: AbortSignal): Promise<void>;
  startService(name: string, opts?: StartServiceOptions): Promise<ServiceConnection>;
  /** StopSession, TLS close_notify, socket close. Idempotent. */
  close(): Promise<void>;
}

export interface ConnectOptions extends DeviceOptions {
  /** Pair when there is no pair record yet (shows the Trust dialog on the device). Default true. */
  autoPair?: boolean;
  onPairingEvent?: (e: PairingEvent) => void;
}

/** An opened device: a lockdown session plus convenience to start services. */
export interface DeviceHandle {
  readonly udid: string;
  /** 'USB' | 'Network' */
  readonly connectionType: string;
  readonly lockdown: LockdownSession;
  /** Starts a service through a fresh lockdown session when needed (a service may outlive the session). */
  startService(name: string, opts?: StartServiceOptions): Promise<ServiceConnection>;
  close(): Promise<void>;
}

/** What a session needs to start services: the mux, the device and the pair record. */
interface SessionContext {
  mux: UsbmuxClient;
  device: MuxDevice;
  record: PairRecord;
  opts: DeviceOptions;
  maxTls10: boolean;
}

/** A lockdown session (StartSession done) on its own connection. */
export class DeviceSession implements LockdownSession {
  constructor(
    private readonly ctx: SessionContext,
    readonly client: LockdownClient,
  ) {}

  get closed(): boolean {
    return this.client.closed;
  }
  get sessionId(): string | undefined {
    return this.client.sessionId;
  }
  /** Whether the session runs over TLS. */
  get tls(): boolean {
    return this.client.sessionTls;
  }

  getValue(domain?: string, key?: string, signal?: AbortSignal): Promise<PlistValue | undefined> {
    return this.client.getValue(domain, key, signal);
  }
  setValue(domain: string | undefined, key: string, value: PlistValue, signal?: AbortSignal): Promise<void> {
    return this.client.setValue(domain, key, value, signal);
  }
  removeValue(domain: string | undefined, key: string, signal?: AbortSignal): Promise<void> {
    return this.client.removeValue(domain, key, signal);
  }

  async startService(name: string, opts: StartServiceOptions = {}): Promise<ServiceConnection> {
    const escrowBag = opts.escrow ? this.ctx.record.EscrowBag : undefined;
    if (opts.escrow && !escrowBag) {
      log.warn({ service: name }, 'the pair record has no EscrowBag; starting the service without it');
    }
    const started = await this.client.startService(name, { escrowBag, signal: opts.signal });
    return openServiceConnection(this.ctx.mux, this.ctx.device, started, this.ctx.record, {
      signal: opts.signal,
      timeouts: this.ctx.opts.timeouts,
      maxTls10: this.ctx.maxTls10,
      tls13Suites: opts.tls13Suites,
    });
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

/** Opens a lockdown connection and starts a session with `record`. */
async function openSession(ctx: SessionContext, signal?: AbortSignal): Promise<DeviceSession> {
  const client = await openLockdownClient(ctx.mux, ctx.device, { ...ctx.opts, signal });
  try {
    await client.startSession(ctx.record, { signal, maxTls10: ctx.maxTls10 });
    return new DeviceSession(ctx, client);
  } catch (err) {
    await client.close();
    throw err;
  }
}

export class Device implements DeviceHandle {
  private closed = false;
  constructor(
    private readonly ctx: SessionContext,
    readonly lockdown: DeviceSession,
    /** ProductVersion, e.g. "17.4.1" (undefined if the device did not tell). */
    readonly productVersion: string | undefined,
  ) {}

  get udid(): string {
    return this.ctx.device.udid;
  }
  get connectionType(): string {
    return this.ctx.device.connectionType;
  }
  get device(): MuxDevice {
    return this.ctx.device;
  }
  get pairRecord(): PairRecord {
    return this.ctx.record;
  }
  get mux(): UsbmuxClient {
    return this.ctx.mux;
  }

  /** A new lockdown session on its own connection (close it when done). */
  openSession(signal?: AbortSignal): Promise<DeviceSession> {
    return openSession(this.ctx, signal);
  }

  async startService(name: string, opts: StartServiceOptions = {}): Promise<ServiceConnection> {
    if (!this.lockdown.closed) return this.lockdown.startService(name, opts);
    const session = await openSession(this.ctx, opts.signal);
    try {
      return await session.startService(name, opts);
    } finally {
      await session.close();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.lockdown.close();
  }
}

/** Connect to a device by UDID (or the only/first USB device when omitted) and open a lockdown session. */
export async function connect(udid?: string, opts: ConnectOptions = {}): Promise<Device> {
  const mux = muxFor(opts);
  const device = await findDevice(mux, udid, opts.signal);
  const client = await openLockdownClient(mux, device, opts);
  try {
    const versionValue = await client.getValue(undefined, 'ProductVersion', opts.signal).catch(() => undefined);
    const productVersion = typeof versionValue === 'string' ? versionValue : undefined;
    const major = parseVersion(productVersion)?.[0];
    let record = (await loadPairRecord(device.udid, { mux, pairRecordDir: opts.pairRecordDir, signal: opts.signal }))?.record;
    if (!record) {
      if (opts.autoPair === false) throw notPaired(device.udid);
      record = (await pairOnClient(client, mux, device, { ...opts, onEvent: opts.onPairingEvent })).record;
    }
    if (major !== undefined && major < 7) await client.validatePair(record, opts.signal);
    const maxTls10 = major !== undefined && major < 10;
    await client.startSession(record, { signal: opts.signal, maxTls10 });
    const ctx: SessionContext = { mux, device, record, opts: { ...opts, signal: undefined }, maxTls10 };
    return new Device(ctx, new DeviceSession(ctx, client), productVersion);
  } catch (err) {
    await client.close();
    throw err;
  }
}
