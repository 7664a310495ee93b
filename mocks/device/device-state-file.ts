// What a simulated device keeps across simulator restarts that share a state directory: its key pair, the hosts
// it has paired with and its backup settings. Written as JSON with mode 0600 (it holds a private key).
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { PlistDict } from '../../protocols/index.js';
import type { RsaKeyPair } from '../lockdownd/keys.js';
import { pairedHostFromJson, pairedHostToJson, type PairedHost, type PairedHostJson } from './pairing-state.js';

export interface DeviceStateFile {
  keys: RsaKeyPair;
  pairedHosts: PairedHost[];
  backupDomain: PlistDict;
}

interface Json {
  version: 1;
  keys: RsaKeyPair;
  pairedHosts: PairedHostJson[];
  backupDomain: Record<string, boolean | string | number>;
}

export function loadDeviceState(file: string): DeviceStateFile | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const j = JSON.parse(readFileSync(file, 'utf8')) as Json;
    if (j.version !== 1 || !j.keys?.privateKeyPem || !j.keys.publicKeyPkcs1Pem) return undefined;
    return { keys: j.keys, pairedHosts: (j.pairedHosts ?? []).map(pairedHostFromJson), backupDomain: j.backupDomain ?? {} };
  } catch {
    return undefined;
  }
}

export function saveDeviceState(file: string, s: DeviceStateFile): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const backupDomain: Json['backupDomain'] = {};
  for (const [k, v] of Object.entries(s.backupDomain)) {
    if (typeof v === 'boolean' || typeof v === 'string' || typeof v === 'number') backupDomain[k] = v;
  }
  const j: Json = { version: 1, keys: s.keys, pairedHosts: s.pairedHosts.map(pairedHostToJson), backupDomain };
  writeFileSync(file, JSON.stringify(j, null, 1), { mode: 0o600 });
  chmodSync(file, 0o600);
}
