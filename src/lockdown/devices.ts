import { layerLogger } from '../log.js';
import type { MuxDevice, MuxListener } from '../transport/index.js';
import { isLockdownError } from './errors.js';
import { muxFor, openLockdownClient, parseVersion, type DeviceOptions } from './open.js';
import { loadPairRecord } from './pair-record.js';

const log = layerLogger('lockdown');

/** A connected device as `ibackup devices` shows it. */
export interface DeviceInfo {
  udid: string;
  deviceId: number;
  /** 'USB' or 'Network' (usbmuxd's words). */
  connectionType: string;
  /** DeviceName ("Anna's iPhone"). */
  name?: string;
  /** ProductType ("iPhone15,2"). */
  model?: string;
  /** ProductVersion ("17.4.1"). */
  productVersion?: string;
  deviceClass?: string;
  /** A pair record exists and the device accepted it (StartSession succeeded). */
  paired: boolean;
  /** Why details are missing, when they are. */
  error?: string;
}

export interface ListDevicesOptions extends DeviceOptions {
  /** Ask each device for its name, model, iOS version and pairing state (default true). */
  details?: boolean;
}

const DETAIL_KEYS = ['DeviceName', 'ProductType', 'ProductVersion', 'DeviceClass'] as const;

/** Lists the devices usbmuxd knows, with details from lockdown. */
export async function listDevices(opts: ListDevicesOptions = {}): Promise<DeviceInfo[]> {
  const mux = muxFor(opts);
  const devices = await mux.listDevices(opts.signal);
  if (opts.details === false) {
    return devices.map((d) => ({ udid: d.udid, deviceId: d.deviceId, connectionType: d.connectionType, paired: false }));
  }
  return Promise.all(devices.map((d) => describeDevice(d, opts)));
}

async function describeDevice(d: MuxDevice, opts: ListDevicesOptions): Promise<DeviceInfo> {
  const info: DeviceInfo = { udid: d.udid, deviceId: d.deviceId, connectionType: d.connectionType, paired: false };
  const mux = muxFor(opts);
  let client;
  try {
    client = await openLockdownClient(mux, d, opts);
    const found = await loadPairRecord(d.udid, { mux, pairRecordDir: opts.pairRecordDir, signal: opts.signal });
    if (found) {
      try {
        const version = await client.getValue(undefined, 'ProductVersion', opts.signal);
        const major = parseVersion(version)?.[0];
        await client.startSession(found.record, { signal: opts.signal, maxTls10: major !== undefined && major < 10 });
        info.paired = true;
      } catch (err) {
        if (!isLockdownError(err)) throw err;
        log.debug({ udid: d.udid, err: (err as Error).message }, 'stored pair record not accepted');
        if (client.closed) client = await openLockdownClient(mux, d, opts);
      }
    }
    for (const key of DETAIL_KEYS) {
      const v = await client.getValue(undefined, key, opts.signal).catch((err: unknown) => {
        if (isLockdownError(err)) return undefined;
        throw err;
      });
      if (typeof v !== 'string') continue;
      if (key === 'DeviceName') info.name = v;
      else if (key === 'ProductType') info.model = v;
      else if (key === 'ProductVersion') info.productVersion = v;
      else info.deviceClass = v;
    }
  } catch (err) {
    info.error = (err as Error).message;
  } finally {
    await client?.close();
  }
  return info;
}

export type DeviceWatcher = MuxListener;

/**
 * Watches attach/detach (USB and Network) through usbmuxd's Listen. Resolves once usbmuxd accepted the request; the
 * devices present at that moment are reported as 'attached' first. Call `close()` to stop.
 */
export async function watchDevices(opts: DeviceOptions = {}): Promise<DeviceWatcher> {
  return muxFor(opts).listen(opts.signal);
}
