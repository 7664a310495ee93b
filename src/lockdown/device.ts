// CONTRACT STUB — implemented by the host connection stack (issue #4). Signatures are fixed; you may add members.
import type { Duplex } from 'node:stream';
import type { PlistValue } from '../../protocols/index.js';
import { IBackupError } from '../errors.js';

/** A connection to one lockdown service (already TLS-wrapped when the device asked for EnableServiceSSL). */
export interface ServiceConnection {
  readonly name: string;
  readonly stream: Duplex;
  close(): Promise<void>;
}

export interface StartServiceOptions {
  /** Send the pair record's EscrowBag (required by com.apple.mobilebackup2). */
  escrow?: boolean;
  signal?: AbortSignal;
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

export interface ConnectOptions {
  /** usbmuxd address: 'UNIX:/path', '/path', 'host:port'; default: USBMUXD_SOCKET_ADDRESS or the platform default. */
  muxAddress?: string;
  signal?: AbortSignal;
  /** Label sent with lockdown requests (default 'ibackup'). */
  label?: string;
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

/** Connect to a device by UDID (or the only/first USB device when omitted) and open a lockdown session. */
export async function connect(_udid?: string, _opts?: ConnectOptions): Promise<DeviceHandle> {
  throw new IBackupError('NOT_IMPLEMENTED', 'not implemented');
}
