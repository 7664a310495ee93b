// com.apple.mobile.installation_proxy: Browse (and Lookup) over a few user apps. Browse ends with
// {Status:"Complete"} — without it libimobiledevice 1.3.0 waits forever.
import { encodePlist, isPlistDict, type PlistDict, type PlistValue } from '../../protocols/index.js';
import { PlistChannel } from '../plist-channel.js';
import type { DeviceServiceHandler } from './types.js';

interface SimApp {
  id: string;
  name: string;
  version: string;
  shortVersion: string;
  itemId: number;
}

const APPS: SimApp[] = [
  { id: 'com.example.notes', name: 'Sim Notes', version: '412', shortVersion: '4.1.2', itemId: 1000000001 },
  { id: 'com.example.weather', name: 'Sim Weather', version: '77', shortVersion: '7.7', itemId: 1000000002 },
  { id: 'org.example.reader', name: 'Sim Reader', version: '2025.3', shortVersion: '3.0', itemId: 1000000003 },
];

/** The full attribute dict of one app, as installation_proxy reports user apps. */
export function appInfo(app: SimApp): PlistDict {
  const metadata = encodePlist(
    { itemId: app.itemId, itemName: app.name, bundleVersion: app.version, softwareVersionBundleId: app.id, kind: 'software' },
    'binary',
  );
  return {
    ApplicationType: 'User',
    CFBundleIdentifier: app.id,
    CFBundleName: app.name,
    CFBundleDisplayName: app.name,
    CFBundleExecutable: app.name.replace(/\s+/g, ''),
    CFBundleVersion: app.version,
    CFBundleShortVersionString: app.shortVersion,
    Path: `/private/var/containers/Bundle/Application/${app.itemId}/${app.name.replace(/\s+/g, '')}.app`,
    Container: `/private/var/mobile/Containers/Data/Application/${app.itemId}`,
    ApplicationSINF: Buffer.from(`sinf:${app.id}:simulated`),
    iTunesMetadata: metadata,
    IsUpgradeable: true,
  };
}

function project(info: PlistDict, attrs: PlistValue | undefined): PlistDict {
  if (!Array.isArray(attrs) || attrs.length === 0) return info;
  const out: PlistDict = {};
  for (const a of attrs) if (typeof a === 'string' && info[a] !== undefined) out[a] = info[a];
  return out;
}

function selectedApps(options: PlistDict): PlistDict[] {
  const type = options.ApplicationType;
  const apps = type === undefined || type === 'User' || type === 'Any' ? APPS : [];
  return apps.map((a) => project(appInfo(a), options.ReturnAttributes));
}

export const installationProxyService: DeviceServiceHandler = (conn) => {
  const channel: PlistChannel = new PlistChannel(conn, {
    onMessage(message) {
      if (!isPlistDict(message)) return;
      const options = isPlistDict(message.ClientOptions) ? message.ClientOptions : {};
      if (message.Command === 'Browse') {
        const list = selectedApps(options);
        channel.send({
          Status: 'BrowsingApplications',
          CurrentAmount: list.length,
          CurrentIndex: 0,
          Total: list.length,
          CurrentList: list,
        });
        channel.send({ Status: 'Complete' });
      } else if (message.Command === 'Lookup') {
        const wanted = Array.isArray(options.BundleIDs) ? options.BundleIDs : undefined;
        const result: PlistDict = {};
        for (const a of APPS) {
          if (!wanted || wanted.includes(a.id)) result[a.id] = project(appInfo(a), options.ReturnAttributes);
        }
        channel.send({ LookupResult: result, Status: 'Complete' });
      } else {
        channel.send({ Error: 'UnknownCommand', Status: 'Complete' });
      }
    },
    onClose: () => conn.destroy(),
  });
};
