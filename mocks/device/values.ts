// The lockdown values a simulated iPhone reports, by domain ('' = no domain). Realistic for an iPhone 14 Pro
// (iPhone15,2) on iOS 17/18; every device gets its own serial, addresses and phone number from its index.
import type { PlistDict } from '../../protocols/index.js';

export interface DeviceIdentity {
  index: number; // 1-based position in the simulator
  udid: string;
  productVersion: string;
  devicePublicKeyPem: string;
  deviceName?: string;
}

const BUILD_BY_VERSION: Record<string, string> = {
  '17.0': '21A329',
  '17.5': '21F79',
  '17.5.1': '21F90',
  '18.0': '22A3354',
  '18.1': '22B83',
  '18.2': '22C152',
};

function hex2(n: number): string {
  return (n & 0xff).toString(16).padStart(2, '0');
}

function macAddress(base: number, index: number): string {
  return ['a4', 'c3', '61', hex2(base), hex2(index >> 8), hex2(index)].join(':');
}

export function defaultValues(id: DeviceIdentity): Map<string, PlistDict> {
  const n = id.index;
  const serial = `F4GZK${String(100000 + n).slice(-6)}N`.slice(0, 12);
  const root: PlistDict = {
    ActivationState: 'Activated',
    BasebandVersion: '3.50.02',
    BluetoothAddress: macAddress(0x42, n),
    BoardId: 12,
    BuildVersion: BUILD_BY_VERSION[id.productVersion] ?? '22B83',
    CPUArchitecture: 'arm64e',
    ChipID: 0x8120,
    DeviceClass: 'iPhone',
    DeviceColor: '1',
    DeviceName: id.deviceName ?? (n === 1 ? 'Simulated iPhone' : `Simulated iPhone ${n}`),
    DevicePublicKey: Buffer.from(id.devicePublicKeyPem, 'utf8'),
    EthernetAddress: macAddress(0x43, n),
    FirmwareVersion: 'iBoot-10151.42.1',
    HardwareModel: 'D73AP',
    HardwarePlatform: 't8120',
    HasSiDP: true,
    HumanReadableProductVersionString: id.productVersion,
    InternationalMobileEquipmentIdentity: `35${String(1234560000000 + n).padStart(13, '0')}`,
    IntegratedCircuitCardIdentity: `8901${String(2600000000000000 + n).padStart(16, '0')}`,
    ModelNumber: 'MQ0G3',
    MobileEquipmentIdentifier: `35${String(12345600000 + n).padStart(12, '0')}`,
    PasswordProtected: false,
    PhoneNumber: `+1 (555) 010-${String(1000 + n).slice(-4)}`,
    ProductName: 'iPhone OS',
    ProductType: 'iPhone15,2',
    ProductVersion: id.productVersion,
    ProtocolVersion: '2',
    RegionInfo: 'LL/A',
    SerialNumber: serial,
    TimeZone: 'Europe/Berlin',
    TimeZoneOffsetFromUTC: 3600,
    UniqueChipID: 0x1a2b3c4d00 + n,
    UniqueDeviceID: id.udid,
    WiFiAddress: macAddress(0x44, n),
  };
  return new Map<string, PlistDict>([
    ['', root],
    ['com.apple.mobile.backup', { WillEncrypt: false, RequiresEncrypt: false }],
    ['com.apple.iTunes', { MinITunesVersion: '12.5.5', MinMacOSVersion: '10.12.0' }],
    ['com.apple.mobile.iTunes', { MinITunesVersion: '12.5.5', FamilyID: 10 }],
    ['com.apple.disk_usage', { TotalDiskCapacity: 128_000_000_000, AmountDataAvailable: 64_000_000_000 }],
    ['com.apple.mobile.battery', { BatteryCurrentCapacity: 87, BatteryIsCharging: true }],
  ]);
}
