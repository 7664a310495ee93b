import { isPlistDict, plistNumber, type PlistDict, type PlistValue } from '../../protocols/index.js';

/** A device as usbmuxd reports it. */
export interface MuxDevice {
  /** usbmuxd's handle for the device (> 0), needed for Connect. */
  deviceId: number;
  /** The UDID (a 24-character serial gets a dash after 8 characters, as libusbmuxd does). */
  udid: string;
  /** 'USB' or 'Network' (as usbmuxd says it). */
  connectionType: string;
  productId?: number;
  locationId?: number;
  connectionSpeed?: number;
  /** For Network devices: 'ipv4' / 'ipv6' address text when usbmuxd tells it. */
  networkAddress?: string;
  /** Every property usbmuxd sent. */
  properties: PlistDict;
}

export function normalizeUdid(serial: string): string {
  return serial.length === 24 && !serial.includes('-') ? `${serial.slice(0, 8)}-${serial.slice(8)}` : serial;
}

/** Parses one `Attached` entry / `DeviceList` element; undefined when it lacks what libusbmuxd requires. */
export function parseMuxDevice(entry: PlistValue | undefined): MuxDevice | undefined {
  if (!isPlistDict(entry)) return undefined;
  const props = isPlistDict(entry.Properties) ? entry.Properties : entry;
  const deviceId = plistNumber(entry.DeviceID) ?? plistNumber(props.DeviceID);
  const serial = props.SerialNumber;
  const type = props.ConnectionType;
  if (deviceId === undefined || !(deviceId > 0) || typeof serial !== 'string' || serial === '' || typeof type !== 'string') {
    return undefined;
  }
  const dev: MuxDevice = { deviceId, udid: normalizeUdid(serial), connectionType: type, properties: props };
  const productId = plistNumber(props.ProductID);
  if (productId !== undefined) dev.productId = productId;
  const locationId = plistNumber(props.LocationID);
  if (locationId !== undefined) dev.locationId = locationId;
  const speed = plistNumber(props.ConnectionSpeed);
  if (speed !== undefined) dev.connectionSpeed = speed;
  const addr = props.NetworkAddress;
  if (addr instanceof Uint8Array) {
    const text = formatNetworkAddress(addr);
    if (text) dev.networkAddress = text;
  }
  return dev;
}

/** usbmuxd's NetworkAddress: byte 0 = length, byte 1 = family (0x02 AF_INET, 0x1E/0x0A AF_INET6), then sockaddr. */
function formatNetworkAddress(b: Uint8Array): string | undefined {
  if (b.length < 8) return undefined;
  const family = b[1];
  if (family === 0x02) return `${b[4]}.${b[5]}.${b[6]}.${b[7]}`;
  if ((family === 0x1e || family === 0x0a) && b.length >= 24) {
    const parts: string[] = [];
    for (let i = 8; i < 24; i += 2) parts.push((((b[i] as number) << 8) | (b[i + 1] as number)).toString(16));
    return parts.join(':');
  }
  return undefined;
}
