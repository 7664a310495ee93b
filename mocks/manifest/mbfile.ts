// The `file` column of Manifest.db: an NSKeyedArchiver binary plist holding one MBFile object.
import { CodedError } from '../../protocols/errors.js';
import { decodePlist, encodePlist, isPlistDict, plistNumber, PlistUid, uid } from '../../protocols/plist/index.js';
import type { PlistDict, PlistValue } from '../../protocols/plist/index.js';
import type { SimFileEntry } from '../types.js';

/** st_mode type bits. */
export const S_IFREG = 0o100000;
export const S_IFDIR = 0o040000;
export const S_IFLNK = 0o120000;
const S_IFMT = 0o170000;

/** The fields of an MBFile record (times in seconds since the epoch; mode includes the type bits). */
export interface MBFileRecord {
  relativePath: string;
  size: number;
  mode: number;
  lastModified: number;
  lastStatusChange: number;
  birth: number;
  userId: number;
  groupId: number;
  inode: number;
  protectionClass: number;
  flags: number;
  target?: string;
}

export function typeBits(type: SimFileEntry['type']): number {
  return type === 'file' ? S_IFREG : type === 'dir' ? S_IFDIR : S_IFLNK;
}

export function typeOfMode(mode: number): SimFileEntry['type'] | undefined {
  const t = mode & S_IFMT;
  return t === S_IFREG ? 'file' : t === S_IFDIR ? 'dir' : t === S_IFLNK ? 'symlink' : undefined;
}

export function recordOfEntry(e: SimFileEntry): MBFileRecord {
  const r: MBFileRecord = {
    relativePath: e.relativePath,
    size: e.type === 'file' ? e.size : 0,
    mode: typeBits(e.type) | (e.mode & 0o7777),
    lastModified: e.mtime,
    lastStatusChange: e.ctime,
    birth: e.birth,
    userId: e.uid,
    groupId: e.gid,
    inode: e.inode,
    protectionClass: e.protectionClass,
    flags: 0,
  };
  if (e.type === 'symlink' && e.target !== undefined) r.target = e.target;
  return r;
}

/** Encode as `$archiver: NSKeyedArchiver`, `$top.root` → the MBFile dict, strings as separate objects. */
export function encodeMBFile(r: MBFileRecord): Buffer {
  const objects: PlistValue[] = ['$null'];
  const file: PlistDict = {
    Birth: r.birth,
    Flags: r.flags,
    GroupID: r.groupId,
    InodeNumber: r.inode,
    LastModified: r.lastModified,
    LastStatusChange: r.lastStatusChange,
    Mode: r.mode,
    ProtectionClass: r.protectionClass,
    Size: r.size,
    UserID: r.userId,
  };
  objects.push(file);
  objects.push(r.relativePath);
  file.RelativePath = uid(2);
  if (r.target !== undefined) {
    file.Target = uid(objects.length);
    objects.push(r.target);
  }
  file.$class = uid(objects.length);
  objects.push({ $classname: 'MBFile', $classes: ['MBFile', 'NSObject'] });
  return encodePlist({ $version: 100000, $archiver: 'NSKeyedArchiver', $top: { root: uid(1) }, $objects: objects }, 'binary');
}

function bad(why: string): CodedError {
  return new CodedError('MANIFEST_RECORD_INVALID', `Manifest.db file record is not a valid MBFile archive: ${why}`);
}

export function decodeMBFile(data: Uint8Array): MBFileRecord {
  const top = decodePlist(data);
  if (!isPlistDict(top) || top.$archiver !== 'NSKeyedArchiver') throw bad('not an NSKeyedArchiver plist');
  const objects = top.$objects;
  const rootRef = isPlistDict(top.$top) ? top.$top.root : undefined;
  if (!Array.isArray(objects) || !(rootRef instanceof PlistUid)) throw bad('no $objects or $top.root');
  const deref = (v: PlistValue | undefined): PlistValue | undefined => (v instanceof PlistUid ? objects[v.value] : v);
  const file = deref(rootRef);
  if (!isPlistDict(file)) throw bad('root is not a dictionary');
  const cls = deref(file.$class);
  if (!isPlistDict(cls) || cls.$classname !== 'MBFile') throw bad('root is not an MBFile');
  const num = (k: string): number => {
    const n = plistNumber(file[k]);
    if (n === undefined) throw bad(`missing ${k}`);
    return n;
  };
  const relativePath = deref(file.RelativePath);
  if (typeof relativePath !== 'string') throw bad('missing RelativePath');
  const r: MBFileRecord = {
    relativePath,
    size: num('Size'),
    mode: num('Mode'),
    lastModified: num('LastModified'),
    lastStatusChange: num('LastStatusChange'),
    birth: num('Birth'),
    userId: num('UserID'),
    groupId: num('GroupID'),
    inode: num('InodeNumber'),
    protectionClass: num('ProtectionClass'),
    flags: plistNumber(file.Flags) ?? 0,
  };
  const target = deref(file.Target);
  if (typeof target === 'string') r.target = target;
  return r;
}
