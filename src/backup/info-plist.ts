import { randomBytes } from 'node:crypto';
import { isPlistDict, type PlistDict, type PlistValue } from '../../protocols/index.js';

/** The files of /iTunes_Control/iTunes that go into Info.plist `iTunes Files` (when present and non-empty). */
export const ITUNES_FILES = [
  'ApertureAlbumPrefs',
  'IC-Info.sidb',
  'IC-Info.sidv',
  'PhotosFolderAlbums',
  'PhotosFolderName',
  'PhotosFolderPrefs',
  'VoiceMemos.plist',
  'iPhotoAlbumPrefs',
  'iTunesApplicationIDs',
  'iTunesPrefs',
  'iTunesPrefs.plist',
] as const;
export const IBOOKS_DATA_PATH = '/Books/iBooksData2.plist';

/** Lockdown values Info.plist cannot do without (libimobiledevice aborts without them). */
const REQUIRED_LOCKDOWN_KEYS = ['BuildVersion', 'DeviceName', 'ProductType', 'ProductVersion', 'SerialNumber'] as const;

export interface InfoPlistSources {
  /** The target device's UDID. */
  udid: string;
  /** lockdown GetValue without domain/key (all values). */
  lockdown: PlistDict;
  /** lockdown domain com.apple.iTunes (empty dict when unavailable). */
  itunesSettings?: PlistDict;
  /** lockdown com.apple.mobile.iTunes / MinITunesVersion. */
  minItunesVersion?: string;
  /** installation_proxy Browse results for user apps (CFBundleIdentifier, ApplicationSINF, iTunesMetadata). */
  apps?: PlistDict[];
  /** springboardservices icons (PNG) by bundle id → `PlaceholderIcon`. */
  icons?: Record<string, Uint8Array>;
  /** AFC /iTunes_Control/iTunes/<name> contents by name. */
  itunesFiles?: Record<string, Uint8Array>;
  /** AFC /Books/iBooksData2.plist. */
  ibooksData?: Uint8Array;
  now?: Date;
  guid?: string;
}

export function missingLockdownKeys(lockdown: PlistDict): string[] {
  return REQUIRED_LOCKDOWN_KEYS.filter((k) => typeof lockdown[k] !== 'string');
}

/** Bundle ids of the apps that get an `Applications` entry (those with both SINF and iTunes metadata). */
export function appsWithMetadata(apps: PlistDict[] | undefined): string[] {
  return (apps ?? [])
    .filter((a) => typeof a.CFBundleIdentifier === 'string' && a.ApplicationSINF !== undefined && a.iTunesMetadata !== undefined)
    .map((a) => a.CFBundleIdentifier as string);
}

/** Info.plist as Finder/idevicebackup2 write it before asking the device for a backup. */
export function buildInfoPlist(src: InfoPlistSources): PlistDict {
  const ld = src.lockdown;
  const str = (k: string): string | undefined => (typeof ld[k] === 'string' ? (ld[k] as string) : undefined);
  const applications: PlistDict = {};
  const installed: PlistValue[] = [];
  for (const app of src.apps ?? []) {
    const id = app.CFBundleIdentifier;
    if (typeof id !== 'string') continue;
    installed.push(id);
    if (app.ApplicationSINF !== undefined && app.iTunesMetadata !== undefined) {
      const icon = src.icons?.[id];
      applications[id] = {
        ApplicationSINF: app.ApplicationSINF,
        PlaceholderIcon: icon && icon.length > 0 ? Buffer.from(icon) : undefined,
        iTunesMetadata: app.iTunesMetadata,
      };
    }
  }
  const itunesFiles: PlistDict = {};
  for (const name of ITUNES_FILES) {
    const data = src.itunesFiles?.[name];
    if (data && data.length > 0) itunesFiles[name] = Buffer.from(data);
  }
  const info: PlistDict = {
    'Applications': applications,
    'Build Version': str('BuildVersion'),
    'Device Name': str('DeviceName'),
    'Display Name': str('DeviceName'),
    'GUID': src.guid ?? randomBytes(16).toString('hex').toUpperCase(),
    'ICCID': str('IntegratedCircuitCardIdentity'),
    'IMEI': str('InternationalMobileEquipmentIdentity'),
    'Installed Applications': installed,
    'Last Backup Date': src.now ?? new Date(),
    'MEID': str('MobileEquipmentIdentifier'),
    'Phone Number': str('PhoneNumber'),
    'Product Type': str('ProductType'),
    'Product Version': str('ProductVersion'),
    'Serial Number': str('SerialNumber'),
    'Target Identifier': src.udid,
    'Target Type': 'Device',
    'Unique Identifier': src.udid.toUpperCase(),
    'iBooks Data 2': src.ibooksData && src.ibooksData.length > 0 ? Buffer.from(src.ibooksData) : undefined,
    'iTunes Files': itunesFiles,
    'iTunes Settings': isPlistDict(src.itunesSettings) ? src.itunesSettings : {},
    'iTunes Version': src.minItunesVersion ?? '10.0.1',
  };
  for (const k of Object.keys(info)) if (info[k] === undefined) delete info[k];
  return info;
}
