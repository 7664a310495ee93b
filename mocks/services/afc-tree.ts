// The AFC-visible media partition of a simulated device: a small in-memory tree (sync lock file, iTunes_Control,
// Books, iTunesRestore) shared by every AFC connection of the device, plus the per-file advisory locks.

export interface AfcNode {
  type: 'file' | 'dir';
  /** File content (small files only: the media tree holds plists and markers, never backup data). */
  data: Buffer;
  mtimeNs: bigint;
  birthNs: bigint;
  children: Map<string, AfcNode>;
}

export const SYNC_LOCK_PATH = '/com.apple.itunes.lock_sync';

/** Names idevicebackup2 asks GetFileInfo about under /iTunes_Control/iTunes (a few present, the rest absent). */
const ITUNES_FILES: Record<string, string> = {
  iTunesPrefs: 'simulated iTunesPrefs\n',
  'iTunesPrefs.plist':
    '<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0"><dict><key>SyncHistory</key><array/></dict></plist>\n',
  'IC-Info.sidb': 'sidb\0\0\0\x01',
  'IC-Info.sidv': 'sidv\0\0\0\x01',
};

function nowNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}

function node(type: 'file' | 'dir', data: Buffer = Buffer.alloc(0)): AfcNode {
  const t = nowNs();
  return { type, data, mtimeNs: t, birthNs: t, children: new Map() };
}

export function splitPath(path: string): string[] | undefined {
  const parts: string[] = [];
  for (const p of path.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') {
      if (parts.length === 0) return undefined;
      parts.pop();
      continue;
    }
    parts.push(p);
  }
  return parts;
}

export class AfcMediaTree {
  readonly root: AfcNode = node('dir');
  /** Path → the lock owner (an opaque token per open handle). */
  private readonly locks = new Map<string, object>();

  constructor() {
    this.writeFile(SYNC_LOCK_PATH, Buffer.alloc(0));
    for (const [name, content] of Object.entries(ITUNES_FILES)) {
      if (content) this.writeFile(`/iTunes_Control/iTunes/${name}`, Buffer.from(content, 'latin1'));
    }
    this.mkdirs('/iTunes_Control/Music');
    this.writeFile(
      '/Books/iBooksData2.plist',
      Buffer.from(
        '<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0"><dict><key>Books</key><array/></dict></plist>\n',
      ),
    );
    this.mkdirs('/DCIM/100APPLE');
    this.mkdirs('/Downloads');
  }

  lookup(path: string): AfcNode | undefined {
    const parts = splitPath(path);
    if (!parts) return undefined;
    let cur: AfcNode | undefined = this.root;
    for (const p of parts) {
      if (!cur || cur.type !== 'dir') return undefined;
      cur = cur.children.get(p);
    }
    return cur;
  }

  /** The parent directory and leaf name of `path`, or undefined if the parent does not exist. */
  parentOf(path: string): { dir: AfcNode; name: string } | undefined {
    const parts = splitPath(path);
    if (!parts || parts.length === 0) return undefined;
    const name = parts.pop() as string;
    const dir = this.lookup('/' + parts.join('/'));
    if (!dir || dir.type !== 'dir') return undefined;
    return { dir, name };
  }

  mkdirs(path: string): AfcNode | undefined {
    const parts = splitPath(path);
    if (!parts) return undefined;
    let cur = this.root;
    for (const p of parts) {
      let next = cur.children.get(p);
      if (!next) {
        next = node('dir');
        cur.children.set(p, next);
        cur.mtimeNs = nowNs();
      }
      if (next.type !== 'dir') return undefined;
      cur = next;
    }
    return cur;
  }

  writeFile(path: string, data: Buffer): void {
    const parts = splitPath(path) ?? [];
    const name = parts.pop();
    if (name === undefined) return;
    const dir = this.mkdirs('/' + parts.join('/'));
    dir?.children.set(name, node('file', data));
  }

  /** Takes the lock on `path` for `owner`; false if another owner holds it. */
  lock(path: string, owner: object): boolean {
    const holder = this.locks.get(path);
    if (holder && holder !== owner) return false;
    this.locks.set(path, owner);
    return true;
  }

  unlock(path: string, owner: object): void {
    if (this.locks.get(path) === owner) this.locks.delete(path);
  }

  isLockedBy(path: string, owner: object): boolean {
    return this.locks.get(path) === owner;
  }
}
