import { isPlistDict, type PlistDict } from '../../protocols/index.js';
import type { Logger } from '../log.js';
import type { DeviceHandle } from '../lockdown/device.js';
import type { AfcClient } from '../services/afc/index.js';
import { browseApplications, INSTALLATION_PROXY_SERVICE } from '../services/installation-proxy/index.js';
import { fetchAppIcons } from './app-icons.js';
import { sideBySide } from './side-by-side.js';
import { appsWithMetadata, IBOOKS_DATA_PATH, ITUNES_FILES, type InfoPlistSources } from './info-plist.js';

/** Read a small AFC file if it exists and is not empty; undefined otherwise (never throws). */
async function readIfPresent(afc: AfcClient, path: string, signal?: AbortSignal): Promise<Uint8Array | undefined> {
  try {
    const info = await afc.getFileInfo(path, signal);
    if (!info || info.type !== 'file' || info.size <= 0) return undefined;
    return await afc.readFile(path, signal);
  } catch {
    return undefined;
  }
}

/** The user apps installation_proxy lists (none when the device refuses the service: Info.plist then lists no apps). */
async function userApps(device: DeviceHandle, signal: AbortSignal, log: Logger | undefined): Promise<PlistDict[]> {
  try {
    const conn = await device.startService(INSTALLATION_PROXY_SERVICE, { signal });
    try {
      return await browseApplications(conn, {
        applicationType: 'User',
        returnAttributes: ['CFBundleIdentifier', 'ApplicationSINF', 'iTunesMetadata'],
        signal,
      });
    } finally {
      await conn.close().catch(() => undefined);
    }
  } catch (err) {
    signal.throwIfAborted();
    log?.info({ err: (err as Error).message }, 'no app list from installation_proxy; Info.plist lists no apps');
    return [];
  }
}

/**
 * Everything Info.plist is built from: lockdown values, the user-app list from installation_proxy (optional — a
 * device may refuse the service) and the iTunes/iBooks files over AFC.
 */
export async function collectInfoSources(
  device: DeviceHandle,
  afc: AfcClient,
  opts: { signal?: AbortSignal; log?: Logger } = {},
): Promise<InfoPlistSources> {
  const { log } = opts;
  // Three independent reads side by side, each over its own connection: lockdown values; the app list, then
  // the apps' icons; the iTunes and iBooks files over AFC.
  const [values, fromApps, files] = await sideBySide(opts.signal, [
    async (signal) => {
      const all = await device.lockdown.getValue(undefined, undefined, signal);
      const itunesSettings = await device.lockdown.getValue('com.apple.iTunes', undefined, signal).catch(() => undefined);
      const minItunes = await device.lockdown.getValue('com.apple.mobile.iTunes', 'MinITunesVersion', signal).catch(() => undefined);
      return { all, itunesSettings, minItunes };
    },
    async (signal) => {
      const apps = await userApps(device, signal, log);
      return { apps, icons: await fetchAppIcons(device, appsWithMetadata(apps), { signal, log }) };
    },
    async (signal) => {
      const itunesFiles: Record<string, Uint8Array> = {};
      for (const name of ITUNES_FILES) {
        const data = await readIfPresent(afc, `/iTunes_Control/iTunes/${name}`, signal);
        if (data) itunesFiles[name] = data;
      }
      return { itunesFiles, ibooksData: await readIfPresent(afc, IBOOKS_DATA_PATH, signal) };
    },
  ]);
  const { all, itunesSettings, minItunes } = values;
  const { apps, icons } = fromApps;
  const { itunesFiles, ibooksData } = files;
  const lockdown: PlistDict = isPlistDict(all) ? all : {};
  opts.signal?.throwIfAborted();
  return {
    udid: device.udid,
    lockdown,
    itunesSettings: isPlistDict(itunesSettings) ? itunesSettings : {},
    minItunesVersion: typeof minItunes === 'string' ? minItunes : undefined,
    apps,
    icons,
    itunesFiles,
    ibooksData,
  };
}
