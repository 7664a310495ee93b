import { isPlistDict, plistNumber, PlistUid, type PlistDict, type PlistValue } from '../../../protocols/plist/types.js';

/**
 * NSKeyedArchiver documents: `{ $archiver, $version, $top: { root: UID }, $objects: [...] }`. Objects refer to
 * each other by UID (an index into `$objects`); `$objects[0]` is `"$null"`.
 */
export class KeyedArchive {
  private readonly objects: PlistValue[];
  constructor(doc: PlistValue) {
    if (!isPlistDict(doc) || !Array.isArray(doc.$objects)) throw new TypeError('not an NSKeyedArchiver document ($objects missing)');
    this.objects = doc.$objects;
    const top = doc.$top;
    if (!isPlistDict(top) || !(top.root instanceof PlistUid)) throw new TypeError('not an NSKeyedArchiver document ($top.root missing)');
    this.rootUid = top.root;
  }
  readonly rootUid: PlistUid;

  /** The value a UID points to (`undefined` for `$null`); non-UID values are returned as they are. */
  resolve(v: PlistValue | undefined): PlistValue | undefined {
    if (!(v instanceof PlistUid)) return v;
    if (v.value >= this.objects.length) throw new TypeError(`UID ${v.value} outside $objects (${this.objects.length})`);
    const obj = this.objects[v.value];
    return obj === '$null' ? undefined : obj;
  }

  root(): PlistDict {
    const r = this.resolve(this.rootUid);
    if (!isPlistDict(r)) throw new TypeError('NSKeyedArchiver root is not an object');
    return r;
  }

  /** Class name of an archived object (`$class` → `{ $classname }`). */
  className(obj: PlistDict): string | undefined {
    const cls = this.resolve(obj.$class);
    return isPlistDict(cls) && typeof cls.$classname === 'string' ? cls.$classname : undefined;
  }

  /** A string field (archived NSString is a plain string; NSMutableString may be `{ NS.string }`). */
  string(obj: PlistDict, key: string): string | undefined {
    const v = this.resolve(obj[key]);
    if (typeof v === 'string') return v;
    if (isPlistDict(v) && typeof v['NS.string'] === 'string') return v['NS.string'];
    if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
    return undefined;
  }

  /** A data field (plain data, or NSMutableData archived as `{ NS.data }`). */
  data(obj: PlistDict, key: string): Uint8Array | undefined {
    const v = this.resolve(obj[key]);
    if (v instanceof Uint8Array) return v;
    if (isPlistDict(v) && v['NS.data'] instanceof Uint8Array) return v['NS.data'];
    return undefined;
  }

  number(obj: PlistDict, key: string): number | undefined {
    return plistNumber(this.resolve(obj[key]));
  }
}

/** The fields of an archived MBFile record (Manifest.db `Files.file`). */
export interface MBFileRecord {
  relativePath?: string;
  target?: string;
  digest?: Uint8Array;
  hasEncryptionKey: boolean;
  /** Full st_mode (type bits + permissions). */
  mode: number;
  inode: number;
  uid: number;
  gid: number;
  mtime: number;
  ctime: number;
  birth: number;
  size: number;
  protectionClass: number;
  flags: number;
}

/** Decodes the NSKeyedArchiver bplist value of an MBFile. Throws TypeError when it is not one. */
export function decodeMBFile(doc: PlistValue): MBFileRecord {
  const ar = new KeyedArchive(doc);
  const o = ar.root();
  const n = (key: string): number => ar.number(o, key) ?? 0;
  const record: MBFileRecord = {
    hasEncryptionKey: ar.resolve(o.EncryptionKey) !== undefined,
    mode: n('Mode'),
    inode: n('InodeNumber'),
    uid: n('UserID'),
    gid: n('GroupID'),
    mtime: n('LastModified'),
    ctime: n('LastStatusChange'),
    birth: n('Birth'),
    size: n('Size'),
    protectionClass: n('ProtectionClass'),
    flags: n('Flags'),
  };
  const relativePath = ar.string(o, 'RelativePath');
  if (relativePath !== undefined) record.relativePath = relativePath;
  const target = ar.string(o, 'Target');
  if (target !== undefined) record.target = target;
  const digest = ar.data(o, 'Digest');
  if (digest !== undefined) record.digest = digest;
  return record;
}
