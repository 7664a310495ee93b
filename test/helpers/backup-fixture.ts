/**
 * Builds backup folders for the offline toolkit tests, independently of the reader: a Manifest.db made with
 * better-sqlite3 whose `file` column holds NSKeyedArchiver MBFile records (encoded with our plist encoder and
 * PlistUid), a hand-built Manifest.mbdb (iOS 5–9), content blobs, and Info/Status/Manifest.plist.
 */
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodePlist } from '../../protocols/plist/index.js';
import { uid, type PlistDict, type PlistValue } from '../../protocols/plist/types.js';

export interface FixtureEntry {
  domain: string;
  relativePath: string;
  type: 'file' | 'dir' | 'symlink';
  mode: number; // permission bits
  mtime: number;
  ctime?: number;
  birth?: number;
  uid?: number;
  gid?: number;
  inode?: number;
  protectionClass?: number;
  target?: string;
  content?: Buffer;
}

export interface FixtureOptions {
  root: string;
  udid: string;
  /** Folder name (default: udid); e.g. `<udid>-20240102-030405` for an archived copy. */
  folder?: string;
  format?: 'db' | 'mbdb';
  deviceName?: string;
  productType?: string;
  productVersion?: string;
  lastBackupDate?: Date;
  encrypted?: boolean;
  snapshotState?: string;
  entries?: FixtureEntry[];
}

const TYPE_BITS = { file: 0o100000, dir: 0o040000, symlink: 0o120000 } as const;
const FLAGS = { file: 1, dir: 2, symlink: 4 } as const;

export const fileIdOf = (domain: string, relativePath: string): string =>
  createHash('sha1').update(`${domain}-${relativePath}`).digest('hex');

/** An MBFile record as NSKeyedArchiver bplist, as found in Manifest.db `Files.file`. */
export function encodeMBFileArchive(e: FixtureEntry, opts: { encryptionKey?: Buffer } = {}): Buffer {
  const objects: PlistValue[] = ['$null'];
  const add = (v: PlistValue): ReturnType<typeof uid> => {
    objects.push(v);
    return uid(objects.length - 1);
  };
  const root: PlistDict = {};
  objects.push(root);
  root.RelativePath = add(e.relativePath);
  if (e.type === 'symlink') root.Target = add(e.target ?? '');
  if (opts.encryptionKey) root.EncryptionKey = add({ 'NS.data': opts.encryptionKey, $class: add({ $classname: 'NSMutableData', $classes: ['NSMutableData', 'NSData', 'NSObject'] }) });
  root.Mode = TYPE_BITS[e.type] | e.mode;
  root.InodeNumber = e.inode ?? 1000;
  root.UserID = e.uid ?? 501;
  root.GroupID = e.gid ?? 501;
  root.LastModified = e.mtime;
  root.LastStatusChange = e.ctime ?? e.mtime;
  root.Birth = e.birth ?? e.mtime;
  root.Size = e.type === 'file' ? (e.content?.length ?? 0) : 0;
  root.ProtectionClass = e.protectionClass ?? 3;
  root.Flags = 0;
  root.$class = add({ $classname: 'MBFile', $classes: ['MBFile', 'NSObject'] });
  return encodePlist({ $version: 100000, $archiver: 'NSKeyedArchiver', $top: { root: uid(1) }, $objects: objects }, 'binary');
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}
function mbdbString(s: string | Buffer | null): Buffer {
  if (s === null) return u16(0xffff);
  const b = typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
  return Buffer.concat([u16(b.length), b]);
}

/** One Manifest.mbdb record, hand-built from the documented layout. */
export function encodeMbdbRecord(e: FixtureEntry, opts: { encryptionKey?: Buffer; properties?: [string, string][]; atime?: number } = {}): Buffer {
  const content = e.content ?? Buffer.alloc(0);
  const fixed = Buffer.alloc(40);
  fixed.writeUInt16BE(TYPE_BITS[e.type] | e.mode, 0);
  fixed.writeBigUInt64BE(BigInt(e.inode ?? 1000), 2);
  fixed.writeUInt32BE(e.uid ?? 501, 10);
  fixed.writeUInt32BE(e.gid ?? 501, 14);
  fixed.writeUInt32BE(e.mtime, 18);
  fixed.writeUInt32BE(opts.atime ?? e.mtime, 22);
  fixed.writeUInt32BE(e.ctime ?? e.mtime, 26);
  fixed.writeBigUInt64BE(BigInt(e.type === 'file' ? content.length : 0), 30);
  fixed.writeUInt8(e.protectionClass ?? 3, 38);
  const props = opts.properties ?? [];
  fixed.writeUInt8(props.length, 39);
  return Buffer.concat([
    mbdbString(e.domain),
    mbdbString(e.relativePath),
    mbdbString(e.type === 'symlink' ? (e.target ?? '') : null),
    mbdbString(e.type === 'file' ? createHash('sha1').update(content).digest() : null),
    mbdbString(opts.encryptionKey ?? null),
    fixed,
    ...props.flatMap(([k, v]) => [mbdbString(k), mbdbString(v)]),
  ]);
}

export function encodeMbdb(entries: FixtureEntry[]): Buffer {
  return Buffer.concat([Buffer.from('mbdb\x05\x00', 'latin1'), ...entries.map((e, i) => encodeMbdbRecord(e, i % 3 === 0 ? { properties: [['com.apple.test', `v${i}`]] } : {}))]);
}

/** A small device tree: nested folders, files of several sizes and modes, an empty file, symlinks, two domains. */
export function sampleEntries(seed = 1): FixtureEntry[] {
  const t = 1_700_000_000 + seed * 1000;
  const big = Buffer.alloc(300_000);
  for (let i = 0; i < big.length; i++) big[i] = (i * 31 + seed) & 0xff;
  return [
    { domain: 'HomeDomain', relativePath: '', type: 'dir', mode: 0o755, mtime: t },
    { domain: 'HomeDomain', relativePath: 'Library', type: 'dir', mode: 0o755, mtime: t + 1 },
    { domain: 'HomeDomain', relativePath: 'Library/Preferences', type: 'dir', mode: 0o700, mtime: t + 2 },
    { domain: 'HomeDomain', relativePath: 'Library/Preferences/com.apple.springboard.plist', type: 'file', mode: 0o600, mtime: t + 3, content: Buffer.from(`springboard ${seed}\n`), protectionClass: 4, inode: 42 },
    { domain: 'HomeDomain', relativePath: 'Library/Preferences/empty.plist', type: 'file', mode: 0o644, mtime: t + 4, content: Buffer.alloc(0) },
    { domain: 'HomeDomain', relativePath: 'Library/Notes', type: 'dir', mode: 0o755, mtime: t + 5 },
    { domain: 'HomeDomain', relativePath: 'Library/Notes/notes.sqlite', type: 'file', mode: 0o644, mtime: t + 6, content: big },
    { domain: 'HomeDomain', relativePath: 'Library/Notes/current', type: 'symlink', mode: 0o755, mtime: t + 7, target: 'notes.sqlite' },
    { domain: 'HomeDomain', relativePath: 'Library/Notes/absolute-link', type: 'symlink', mode: 0o755, mtime: t + 8, target: '/var/mobile/Library' },
    { domain: 'CameraRollDomain', relativePath: '', type: 'dir', mode: 0o755, mtime: t + 9 },
    { domain: 'CameraRollDomain', relativePath: 'Media', type: 'dir', mode: 0o755, mtime: t + 10 },
    { domain: 'CameraRollDomain', relativePath: 'Media/DCIM', type: 'dir', mode: 0o755, mtime: t + 11 },
    { domain: 'CameraRollDomain', relativePath: 'Media/DCIM/100APPLE', type: 'dir', mode: 0o755, mtime: t + 12 },
    { domain: 'CameraRollDomain', relativePath: 'Media/DCIM/100APPLE/IMG_0001.JPG', type: 'file', mode: 0o644, mtime: t + 13, content: Buffer.from('\xff\xd8\xff fake jpeg 1', 'latin1') },
    { domain: 'CameraRollDomain', relativePath: 'Media/DCIM/100APPLE/IMG_0002.HEIC', type: 'file', mode: 0o444, mtime: t + 14, content: Buffer.from('fake heic 2') },
    { domain: 'AppDomain-com.example.notes', relativePath: 'Documents/a b ü.txt', type: 'file', mode: 0o640, mtime: t + 15, content: Buffer.from('unicode name') },
  ];
}

function blobPath(dir: string, format: 'db' | 'mbdb', e: FixtureEntry): string {
  const id = fileIdOf(e.domain, e.relativePath);
  return format === 'db' ? join(dir, id.slice(0, 2), id) : join(dir, id);
}

/** Writes a complete backup folder and returns its path. */
export function makeBackupFixture(opts: FixtureOptions): string {
  const format = opts.format ?? 'db';
  const entries = opts.entries ?? sampleEntries();
  const dir = join(opts.root, opts.folder ?? opts.udid);
  mkdirSync(dir, { recursive: true });
  const date = opts.lastBackupDate ?? new Date('2024-05-06T07:08:09Z');
  const info: PlistDict = {
    'Build Version': '21F90',
    'Device Name': opts.deviceName ?? 'Test iPhone',
    'Display Name': opts.deviceName ?? 'Test iPhone',
    GUID: 'ABCDEF0123456789ABCDEF0123456789',
    'Installed Applications': ['com.example.notes'],
    'Last Backup Date': date,
    'Product Type': opts.productType ?? 'iPhone14,2',
    'Product Version': opts.productVersion ?? (format === 'mbdb' ? '9.3.5' : '17.5.1'),
    'Serial Number': 'F17TESTSERIAL',
    'Target Identifier': opts.udid,
    'Target Type': 'Device',
    'Unique Identifier': opts.udid.toUpperCase(),
  };
  writeFileSync(join(dir, 'Info.plist'), encodePlist(info, 'xml'));
  const status: PlistDict = {
    Version: '3.3',
    UUID: '01234567-89AB-CDEF-0123-456789ABCDEF',
    Date: date,
    BackupState: 'new',
    SnapshotState: opts.snapshotState ?? 'finished',
    IsFullBackup: false,
  };
  writeFileSync(join(dir, 'Status.plist'), encodePlist(status, 'binary'));
  const manifest: PlistDict = {
    Version: format === 'db' ? '10.0' : '9.1',
    SystemDomainsVersion: '24.0',
    Date: date,
    IsEncrypted: opts.encrypted ?? false,
    WasPasscodeSet: false,
    Lockdown: {
      UniqueDeviceID: opts.udid,
      ProductVersion: info['Product Version']!,
      ProductType: info['Product Type']!,
      BuildVersion: '21F90',
      SerialNumber: 'F17TESTSERIAL',
      DeviceName: info['Device Name']!,
    },
    Applications: {},
  };
  if (opts.encrypted) {
    manifest.BackupKeyBag = Buffer.alloc(64, 7);
    if (format === 'db') manifest.ManifestKey = Buffer.alloc(44, 9);
  }
  writeFileSync(join(dir, 'Manifest.plist'), encodePlist(manifest, 'binary'));

  for (const e of entries) {
    if (e.type !== 'file') continue;
    const p = blobPath(dir, format, e);
    mkdirSync(join(p, '..'), { recursive: true });
    // Encrypted backups store ciphertext (padded to 16 bytes); the content is stand-in noise here.
    writeFileSync(p, opts.encrypted ? Buffer.alloc(((e.content?.length ?? 0) >> 4) * 16 + 16, 0xa5) : (e.content ?? Buffer.alloc(0)));
  }
  if (format === 'mbdb') {
    writeFileSync(join(dir, 'Manifest.mbdb'), encodeMbdb(entries));
  } else if (opts.encrypted) {
    // iOS ≥ 10.2 encrypts Manifest.db itself with the ManifestKey: it is not an SQLite file on disk.
    writeFileSync(join(dir, 'Manifest.db'), Buffer.alloc(8192, 0x5c));
  } else {
    const db = new Database(join(dir, 'Manifest.db'));
    db.exec(`CREATE TABLE Files (fileID TEXT PRIMARY KEY, domain TEXT, relativePath TEXT, flags INTEGER, file BLOB);
      CREATE INDEX FilesDomainIdx ON Files(domain); CREATE INDEX FilesRelativePathIdx ON Files(relativePath);
      CREATE INDEX FilesFlagsIdx ON Files(flags); CREATE TABLE Properties (key TEXT PRIMARY KEY, value BLOB);`);
    const insert = db.prepare('INSERT INTO Files VALUES (?, ?, ?, ?, ?)');
    db.transaction(() => {
      for (const e of entries) insert.run(fileIdOf(e.domain, e.relativePath), e.domain, e.relativePath, FLAGS[e.type], encodeMBFileArchive(e));
    })();
    db.close();
  }
  return dir;
}
