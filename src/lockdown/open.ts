import { IBackupError } from '../errors.js';
import { TransportError, UsbmuxClient, resolveTimeouts, type MuxAddress, type MuxDevice, type Timeouts } from '../transport/index.js';
import { LOCKDOWN_PORT, LOCKDOWN_TYPE, LockdownClient } from './lockdown-client.js';

/** Options shared by everything that talks to a device. */
export interface DeviceOptions {
  /** usbmuxd address: 'UNIX:/path', '/path', 'host:port'; default: USBMUXD_SOCKET_ADDRESS or the platform default. */
  muxAddress?: string | MuxAddress;
  signal?: AbortSignal;
  /** Label sent with lockdown requests (default 'ibackup'). */
  label?: string;
  timeouts?: Partial<Timeouts>;
  /** ibackup's pair-record folder (default: IBACKUP_PAIR_RECORD_DIR or the per-user config folder); false = none. */
  pairRecordDir?: string | false;
}

export function muxFor(opts: DeviceOptions): UsbmuxClient {
  return new UsbmuxClient({ address: opts.muxAddress, timeouts: opts.timeouts, progName: opts.label ?? 'ibackup' });
}

/** The device with this UDID, or the first USB device (else the first one) when `udid` is omitted. */
export async function findDevice(mux: UsbmuxClient, udid: string | undefined, signal?: AbortSignal): Promise<MuxDevice> {
  const devices = await mux.listDevices(signal);
  if (udid) {
    const wanted = udid.toLowerCase();
    const matches = devices.filter((d) => d.udid.toLowerCase() === wanted || d.udid.replace('-', '').toLowerCase() === wanted);
    const found = matches.find((d) => d.connectionType === 'USB') ?? matches[0];
    if (found) return found;
    throw new TransportError('DEVICE_NOT_FOUND', `device not found: no device with UDID ${udid} is connected`, {
      hint: devices.length
        ? `Connected: ${devices.map((d) => d.udid).join(', ')}.`
        : 'Connect the device with a USB cable, unlock it, and check `ibackup devices`.',
    });
  }
  const found = devices.find((d) => d.connectionType === 'USB') ?? devices[0];
  if (!found) {
    throw new TransportError('DEVICE_NOT_FOUND', 'device not found: no device is connected', {
      hint: 'Connect the device with a USB cable, unlock it, and check `ibackup devices`.',
    });
  }
  return found;
}

/** Connects to lockdownd on the device and checks QueryType. */
export async function openLockdownClient(mux: UsbmuxClient, device: MuxDevice, opts: DeviceOptions): Promise<LockdownClient> {
  const socket = await mux.connect(device.deviceId, LOCKDOWN_PORT, opts.signal);
  const client = new LockdownClient(socket, { label: opts.label, timeouts: resolveTimeouts(opts.timeouts), what: `lockdownd on ${device.udid}` });
  try {
    const type = await client.queryType(opts.signal);
    if (type !== LOCKDOWN_TYPE) {
      throw new IBackupError('NOT_LOCKDOWN', `the device answered as '${type}' instead of lockdownd`, {
        hint: 'The device may be in recovery or restore mode; restart it normally.',
      });
    }
    return client;
  } catch (err) {
    await client.close();
    throw err;
  }
}

/** ProductVersion "17.4.1" → [17, 4, 1]; undefined when unknown. */
export function parseVersion(v: unknown): number[] | undefined {
  if (typeof v !== 'string' || !/^\d+(\.\d+)*$/.test(v)) return undefined;
  return v.split('.').map(Number);
}
