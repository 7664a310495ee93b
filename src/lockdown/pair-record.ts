import { mkdir, readFile, rename, rm, writeFile, chmod } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { decodePlist, encodePlist, isPlistDict, type PlistDict, type PlistValue } from '../../protocols/index.js';
import { IBackupError } from '../errors.js';
import { layerLogger } from '../log.js';
import type { UsbmuxClient } from '../transport/index.js';

const log = layerLogger('lockdown');

/** A pair record as libimobiledevice and usbmuxd store it (binary plist). Certificates and keys are PEM bytes. */
export interface PairRecord {
  HostID: string;
  SystemBUID: string;
  HostCertificate: Buffer;
  HostPrivateKey: Buffer;
  RootCertificate: Buffer;
  RootPrivateKey: Buffer;
  DeviceCertificate: Buffer;
  /** Returned by the device when pairing; sent with StartService for mobilebackup2. */
  EscrowBag?: Buffer;
  WiFiMACAddress?: string;
  /** Any other keys found in the stored record are kept. */
  extra?: PlistDict;
}

const PEM_KEYS = ['HostCertificate', 'HostPrivateKey', 'RootCertificate', 'RootPrivateKey', 'DeviceCertificate'] as const;

function asBytes(v: PlistValue | undefined): Buffer | undefined {
  if (v instanceof Uint8Array) return Buffer.from(v);
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  return undefined;
}

export function invalidPairRecord(why: string, cause?: unknown): IBackupError {
  return new IBackupError('PAIR_RECORD_INVALID', `the stored pair record is unusable: ${why}`, {
    cause,
    hint: 'Pair again: `ibackup unpair` then `ibackup pair`.',
  });
}

/** Parses stored pair-record bytes (binary or XML plist). Throws PAIR_RECORD_INVALID. */
export function parsePairRecord(data: Uint8Array): PairRecord {
  let value: PlistValue;
  try {
    value = decodePlist(data);
  } catch (err) {
    throw invalidPairRecord('not a plist', err);
  }
  if (!isPlistDict(value)) throw invalidPairRecord('not a dictionary');
  const hostId = value.HostID;
  if (typeof hostId !== 'string' || hostId === '') throw invalidPairRecord('no HostID');
  const rec: Partial<PairRecord> & { extra: PlistDict } = { HostID: hostId, extra: {} };
  rec.SystemBUID = typeof value.SystemBUID === 'string' ? value.SystemBUID : '';
  for (const k of PEM_KEYS) {
    const b = asBytes(value[k]);
    if (b) rec[k] = b;
  }
  const escrow = value.EscrowBag;
  if (escrow instanceof Uint8Array) rec.EscrowBag = Buffer.from(escrow);
  if (typeof value.WiFiMACAddress === 'string') rec.WiFiMACAddress = value.WiFiMACAddress;
  const known = new Set<string>(['HostID', 'SystemBUID', 'EscrowBag', 'WiFiMACAddress', ...PEM_KEYS]);
  for (const [k, v] of Object.entries(value)) if (!known.has(k) && v !== undefined) rec.extra[k] = v;
  // Certificates are only needed for TLS; a record without them still works with devices that do not ask for TLS
  // (upgradeToTls reports the missing certificate if one does).
  for (const k of PEM_KEYS) rec[k] ??= Buffer.alloc(0);
  return rec as PairRecord;
}

/** The record as a plist dict with exactly the keys libimobiledevice writes. */
export function pairRecordToDict(rec: PairRecord): PlistDict {
  const d: PlistDict = { ...(rec.extra ?? {}) };
  d.HostID = rec.HostID;
  d.SystemBUID = rec.SystemBUID;
  for (const k of PEM_KEYS) d[k] = rec[k];
  if (rec.EscrowBag) d.EscrowBag = rec.EscrowBag;
  if (rec.WiFiMACAddress !== undefined) d.WiFiMACAddress = rec.WiFiMACAddress;
  return d;
}

export function encodePairRecord(rec: PairRecord): Buffer {
  return encodePlist(pairRecordToDict(rec), 'binary');
}

/** Where usbmuxd keeps pair records on this platform. */
export function systemPairRecordDirs(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): string[] {
  if (platform === 'win32') {
    const base = env.ProgramData ?? env.PROGRAMDATA ?? env.ALLUSERSPROFILE ?? 'C:\\ProgramData';
    return [join(base, 'Apple', 'Lockdown')];
  }
  if (platform === 'darwin') return ['/var/db/lockdown'];
  return ['/var/lib/lockdown'];
}

/** ibackup's own folder for pair records: IBACKUP_PAIR_RECORD_DIR, else a per-user config folder. */
export function userPairRecordDir(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): string {
  if (env.IBACKUP_PAIR_RECORD_DIR) return env.IBACKUP_PAIR_RECORD_DIR;
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'ibackup', 'lockdown');
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'ibackup', 'lockdown');
  return join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'ibackup', 'lockdown');
}

export function pairRecordFileName(udid: string): string {
  if (!/^[A-Za-z0-9-]+$/.test(udid)) throw new IBackupError('INVALID_UDID', `not a valid UDID: '${udid}'`);
  return `${udid}.plist`;
}

/** Writes a pair record file with mode 0600 (atomically: temp file + rename). */
export async function writePairRecordFile(dir: string, udid: string, rec: PairRecord): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const target = join(dir, pairRecordFileName(udid));
  const tmp = `${target}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, encodePairRecord(rec), { mode: 0o600, flag: 'wx' });
    await chmod(tmp, 0o600);
    await rename(tmp, target);
  } catch (err) {
    await rm(tmp, { force: true });
    throw new IBackupError('PAIR_RECORD_SAVE_FAILED', `cannot save the pair record to ${target}: ${(err as Error).message}`, {
      cause: err,
      hint: 'Check the permissions of that folder, or set IBACKUP_PAIR_RECORD_DIR.',
    });
  }
  return target;
}

export async function readPairRecordFile(dir: string, udid: string): Promise<PairRecord | undefined> {
  let data: Buffer;
  try {
    data = await readFile(join(dir, pairRecordFileName(udid)));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EPERM' || code === 'ENOTDIR') return undefined;
    throw err;
  }
  return parsePairRecord(data);
}

export async function deletePairRecordFile(dir: string, udid: string): Promise<boolean> {
  try {
    await rm(join(dir, pairRecordFileName(udid)));
    return true;
  } catch {
    return false;
  }
}

export interface PairRecordSources {
  mux: UsbmuxClient;
  /** ibackup's own folder (default userPairRecordDir()); `false` to skip. */
  pairRecordDir?: string | false;
  /** Also look in usbmuxd's system folders (default true). */
  systemDirs?: boolean;
  signal?: AbortSignal;
}

export type PairRecordSource = 'usbmuxd' | 'file';

/** Reads the pair record for `udid`: from usbmuxd first, then ibackup's folder, then usbmuxd's folders if readable. */
export async function loadPairRecord(
  udid: string,
  src: PairRecordSources,
): Promise<{ record: PairRecord; source: PairRecordSource; path?: string } | undefined> {
  const fromMux = await src.mux.readPairRecord(udid, src.signal);
  if (fromMux) return { record: parsePairRecord(fromMux), source: 'usbmuxd' };
  const dirs: string[] = [];
  if (src.pairRecordDir !== false) dirs.push(src.pairRecordDir ?? userPairRecordDir());
  if (src.systemDirs !== false) dirs.push(...systemPairRecordDirs());
  for (const dir of dirs) {
    const rec = await readPairRecordFile(dir, udid).catch((err: unknown) => {
      log.debug({ dir, err: (err as Error).message }, 'skipping an unreadable pair record file');
      return undefined;
    });
    if (rec) return { record: rec, source: 'file', path: join(dir, pairRecordFileName(udid)) };
  }
  return undefined;
}

/** A new HostID: an uppercase UUID, as libimobiledevice makes them. */
export function newHostId(): string {
  return globalThis.crypto.randomUUID().toUpperCase();
}
