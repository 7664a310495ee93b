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
  return encodeMBFileDirect(r) ?? encodeMBFileGeneric(r);
}

/** The same archive through the generic plist encoder (any record). */
export function encodeMBFileGeneric(r: MBFileRecord): Buffer {
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

// The direct encoder writes, byte for byte, what encodeMBFileGeneric produces for the common record (no symlink
// target, an ASCII path that is none of the archive's own strings, integers in [0, 2^32)), ten times faster.
// Object numbers follow the generic encoder: depth first, a dict's keys and values interleaved, equal strings shared.
const FILE_KEYS = ['Birth', 'Flags', 'GroupID', 'InodeNumber', 'LastModified', 'LastStatusChange', 'Mode', 'ProtectionClass', 'Size', 'UserID'];
const ARCHIVE_STRINGS = new Set([
  '$version', '$archiver', 'NSKeyedArchiver', '$top', 'root', '$objects', '$null', ...FILE_KEYS,
  'RelativePath', 'Target', '$class', '$classname', 'MBFile', '$classes', 'NSObject',
]);
// eslint-disable-next-line no-control-regex
const ASCII_ONLY = /^[\x00-\x7f]*$/;
/** Objects 0–36 (top dict … the MBFile dict's `$class` uid), 37 the relative path, 38–43 the class dict. */
const OBJECT_COUNT = 44;
const PATH_OBJECT = 37;

function asciiObject(s: string): Buffer {
  return Buffer.concat([markerBytes(0x50, s.length), Buffer.from(s, 'latin1')]);
}

function markerBytes(tag: number, count: number): Buffer {
  if (count < 15) return Buffer.from([tag | count]);
  if (count < 0x100) return Buffer.from([tag | 0x0f, 0x10, count]);
  if (count < 0x10000) return Buffer.from([tag | 0x0f, 0x11, count >> 8, count & 0xff]);
  const b = Buffer.from([tag | 0x0f, 0x12, 0, 0, 0, 0]);
  b.writeUInt32BE(count, 2);
  return b;
}

function intObject(v: number): Buffer {
  if (v < 0x100) return Buffer.from([0x10, v]);
  if (v < 0x10000) return Buffer.from([0x11, v >> 8, v & 0xff]);
  const b = Buffer.from([0x12, 0, 0, 0, 0]);
  b.writeUInt32BE(v, 1);
  return b;
}

const HEAD: Buffer[] = [
  Buffer.from([0xd4, 1, 3, 5, 9, 2, 4, 6, 10]), // 0: {$version, $archiver, $top, $objects}
  asciiObject('$version'),
  intObject(100000),
  asciiObject('$archiver'),
  asciiObject('NSKeyedArchiver'),
  asciiObject('$top'),
  Buffer.from([0xd1, 7, 8]), // 6: {root}
  asciiObject('root'),
  Buffer.from([0x80, 1]), // 8: uid 1
  asciiObject('$objects'),
  Buffer.from([0xa4, 11, 12, PATH_OBJECT, 38]), // 10: [$null, file, path, class]
  asciiObject('$null'),
  // 12: the MBFile dict: 12 keys (13, 15, … 35) and values (14, 16, … 36)
  Buffer.from([0xdc, ...Array.from({ length: 12 }, (_, i) => 13 + 2 * i), ...Array.from({ length: 12 }, (_, i) => 14 + 2 * i)]),
];
const KEY_OBJECTS = FILE_KEYS.map(asciiObject);
const TAIL_OF_FILE: Buffer[] = [asciiObject('RelativePath'), Buffer.from([0x80, 2]), asciiObject('$class'), Buffer.from([0x80, 3])];
const CLASS_BYTES: Buffer[] = [
  Buffer.from([0xd2, 39, 41, 40, 42]), // 38: {$classname, $classes}
  asciiObject('$classname'),
  asciiObject('MBFile'),
  asciiObject('$classes'),
  Buffer.from([0xa2, 40, 43]), // 42: [MBFile, NSObject]
  asciiObject('NSObject'),
];
const MAGIC = Buffer.from('bplist00', 'latin1');

/** Consecutive objects as one buffer, with each object's offset inside it. */
function run(objects: Buffer[], lead: Buffer[] = []): { bytes: Buffer; offsets: number[] } {
  const offsets: number[] = [];
  let at = lead.reduce((t, b) => t + b.length, 0);
  for (const o of objects) {
    offsets.push(at);
    at += o.length;
  }
  return { bytes: Buffer.concat([...lead, ...objects]), offsets };
}
const PREFIX = run(HEAD, [MAGIC]);
const TAIL = run(TAIL_OF_FILE);
const CLASS = run(CLASS_BYTES);
/** Bytes of everything but the ten integers and the path. */
const FIXED_BYTES = PREFIX.bytes.length + KEY_OBJECTS.reduce((t, b) => t + b.length, 0) + TAIL.bytes.length + CLASS.bytes.length;

/** The common case written directly; undefined when the record needs the generic encoder. */
export function encodeMBFileDirect(r: MBFileRecord): Buffer | undefined {
  const path = r.relativePath;
  if (r.target !== undefined || ARCHIVE_STRINGS.has(path) || !ASCII_ONLY.test(path)) return undefined;
  const values = [r.birth, r.flags, r.groupId, r.inode, r.lastModified, r.lastStatusChange, r.mode, r.protectionClass, r.size, r.userId];
  let intBytes = 0;
  for (const v of values) {
    if (!Number.isInteger(v) || v < 0 || v >= 0x100000000) return undefined;
    intBytes += v < 0x100 ? 2 : v < 0x10000 ? 3 : 5;
  }
  const pathMarker = path.length < 15 ? 1 : path.length < 0x100 ? 3 : path.length < 0x10000 ? 4 : 6;
  const offsetTableAt = FIXED_BYTES + intBytes + pathMarker + path.length;
  const lastOffset = offsetTableAt - CLASS.bytes.length + (CLASS.offsets[CLASS.offsets.length - 1] as number);
  const offsetSize = lastOffset < 0x100 ? 1 : lastOffset < 0x10000 ? 2 : 4;
  const out = Buffer.allocUnsafe(offsetTableAt + OBJECT_COUNT * offsetSize + 32);
  const offsets = new Array<number>(OBJECT_COUNT);
  let n = 0;
  out.set(PREFIX.bytes, 0);
  for (const o of PREFIX.offsets) offsets[n++] = o;
  let at = PREFIX.bytes.length;
  for (let i = 0; i < values.length; i++) {
    const key = KEY_OBJECTS[i] as Buffer;
    offsets[n++] = at;
    out.set(key, at);
    at += key.length;
    const v = values[i] as number;
    offsets[n++] = at;
    if (v < 0x100) {
      out[at] = 0x10;
      out[at + 1] = v;
      at += 2;
    } else if (v < 0x10000) {
      out[at] = 0x11;
      out[at + 1] = v >>> 8;
      out[at + 2] = v & 0xff;
      at += 3;
    } else {
      out[at] = 0x12;
      out.writeUInt32BE(v, at + 1);
      at += 5;
    }
  }
  out.set(TAIL.bytes, at);
  for (const o of TAIL.offsets) offsets[n++] = at + o;
  at += TAIL.bytes.length;
  offsets[n++] = at;
  if (path.length < 15) out[at++] = 0x50 | path.length;
  else {
    out[at++] = 0x5f;
    const size = pathMarker - 2;
    out[at++] = size === 1 ? 0x10 : size === 2 ? 0x11 : 0x12;
    out.writeUIntBE(path.length, at, size);
    at += size;
  }
  at += out.write(path, at, 'latin1');
  out.set(CLASS.bytes, at);
  for (const o of CLASS.offsets) offsets[n++] = at + o;
  at += CLASS.bytes.length;
  for (const off of offsets) {
    if (offsetSize === 1) out[at] = off;
    else if (offsetSize === 2) {
      out[at] = off >>> 8;
      out[at + 1] = off & 0xff;
    } else out.writeUInt32BE(off, at);
    at += offsetSize;
  }
  out.fill(0, at, at + 32);
  out[at + 6] = offsetSize;
  out[at + 7] = 1; // object refs: one byte (44 objects)
  out[at + 15] = OBJECT_COUNT;
  out.writeUInt32BE(offsetTableAt, at + 28);
  return out;
}

/**
 * The inverse of encodeMBFileDirect, for the archives it writes (what a host hands back in Manifest.db): the ten
 * integers and the path read at their places, ten times faster than the generic plist decoder. To be sure it
 * reads what decodeMBFile would, the record is encoded again and must give back the same bytes; anything else
 * (another writer's layout, a symlink target, a damaged archive) returns undefined and goes to decodeMBFile.
 */
export function decodeMBFileDirect(data: Uint8Array): MBFileRecord | undefined {
  const buf = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const same = (part: Buffer, at: number): boolean => at + part.length <= buf.length && buf.compare(part, 0, part.length, at, at + part.length) === 0;
  if (!same(PREFIX.bytes, 0)) return undefined;
  let at = PREFIX.bytes.length;
  const values: number[] = [];
  for (const key of KEY_OBJECTS) {
    if (!same(key, at)) return undefined;
    at += key.length;
    const marker = buf[at];
    const width = marker === 0x10 ? 1 : marker === 0x11 ? 2 : marker === 0x12 ? 4 : 0;
    if (width === 0 || at + 1 + width > buf.length) return undefined;
    values.push(buf.readUIntBE(at + 1, width));
    at += 1 + width;
  }
  if (!same(TAIL.bytes, at)) return undefined;
  at += TAIL.bytes.length;
  const marker = buf[at];
  if (marker === undefined || (marker & 0xf0) !== 0x50) return undefined;
  let length = marker & 0x0f;
  at++;
  if (length === 0x0f) {
    const size = buf[at] === 0x10 ? 1 : buf[at] === 0x11 ? 2 : buf[at] === 0x12 ? 4 : 0;
    if (size === 0 || at + 1 + size > buf.length) return undefined;
    length = buf.readUIntBE(at + 1, size);
    at += 1 + size;
  }
  if (at + length > buf.length) return undefined;
  const [birth, flags, groupId, inode, lastModified, lastStatusChange, mode, protectionClass, size, userId] = values as [
    number, number, number, number, number, number, number, number, number, number,
  ];
  const r: MBFileRecord = {
    relativePath: buf.toString('latin1', at, at + length),
    size,
    mode,
    lastModified,
    lastStatusChange,
    birth,
    userId,
    groupId,
    inode,
    protectionClass,
    flags,
  };
  return encodeMBFileDirect(r)?.equals(buf) ? r : undefined;
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
