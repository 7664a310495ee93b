// com.apple.afc on the simulated device: the media partition (sync lock file, iTunes_Control, Books,
// iTunesRestore). Replies echo the request's packet number; file handles start at 1 (1.3.0 treats 0 as failure);
// an exclusive lock held by another connection answers OP_WOULD_BLOCK (19).
import {
  AfcError,
  AfcOp,
  AfcPacketDecoder,
  decodeCStringList,
  encodeAfcPacket,
  encodeU64s,
  type AfcPacket,
} from '../../protocols/index.js';
import type { SimulatedDevice } from '../device/sim-device.js';
import type { AfcMediaTree, AfcNode } from './afc-tree.js';
import type { DeviceServiceHandler } from './types.js';

const AFC_DIR_NOT_EMPTY = 33;
const READ_LIMIT = 4 * 1024 * 1024;

interface OpenFile {
  path: string;
  node: AfcNode;
  writable: boolean;
  pos: number;
  /** Lock owner token (one per handle). */
  owner: object;
}

type Reply = { operation: number; headerData?: Buffer; payload?: Buffer };

const status = (code: number): Reply => ({ operation: AfcOp.Status, headerData: encodeU64s(code) });
const data = (payload: Buffer): Reply => ({ operation: AfcOp.Data, payload });

function u64(b: Buffer, off: number): number {
  return b.length >= off + 8 ? Number(b.readBigUInt64LE(off)) : -1;
}

function firstString(b: Buffer): string | undefined {
  const list = decodeCStringList(b);
  return list[0];
}

function fileInfo(node: AfcNode): Buffer {
  const size = node.type === 'file' ? node.data.length : 68;
  const fields = [
    'st_size', String(size),
    'st_blocks', String(Math.ceil(size / 512)),
    'st_nlink', node.type === 'dir' ? String(2 + node.children.size) : '1',
    'st_ifmt', node.type === 'dir' ? 'S_IFDIR' : 'S_IFREG',
    'st_mtime', String(node.mtimeNs),
    'st_birthtime', String(node.birthNs),
  ];
  return Buffer.from(fields.map((f) => f + '\0').join(''));
}

class AfcSession {
  private readonly files = new Map<number, OpenFile>();
  private nextHandle = 1;

  constructor(
    private readonly tree: AfcMediaTree,
    private readonly device: SimulatedDevice,
  ) {}

  handle(p: AfcPacket): Reply {
    const args = Buffer.concat([p.headerData, p.payload]);
    switch (p.operation) {
      case AfcOp.ReadDir:
        return this.readDir(firstString(args) ?? '');
      case AfcOp.GetFileInfo: {
        const node = this.tree.lookup(firstString(args) ?? '');
        return node ? data(fileInfo(node)) : status(AfcError.ObjectNotFound);
      }
      case AfcOp.GetDeviceInfo:
        return data(this.deviceInfo());
      case AfcOp.MakeDir:
        return status(this.tree.mkdirs(firstString(args) ?? '') ? AfcError.Success : AfcError.ObjectExists);
      case AfcOp.RemovePath:
        return this.remove(firstString(args) ?? '');
      case AfcOp.RenamePath: {
        const [from, to] = decodeCStringList(args);
        return this.rename(from ?? '', to ?? '');
      }
      case AfcOp.FileOpen:
        return this.open(u64(p.headerData, 0), firstString(args.subarray(8)) ?? '');
      case AfcOp.FileRead:
        return this.read(u64(p.headerData, 0), u64(p.headerData, 8));
      case AfcOp.FileWrite:
        return this.write(u64(p.headerData, 0), p.headerData.length > 8 ? p.headerData.subarray(8) : p.payload);
      case AfcOp.FileClose:
        return this.close(u64(p.headerData, 0));
      case AfcOp.FileLock:
        return this.lock(u64(p.headerData, 0), u64(p.headerData, 8));
      default:
        return status(AfcError.UnknownPacketType);
    }
  }

  releaseAll(): void {
    for (const f of this.files.values()) this.tree.unlock(f.path, f.owner);
    this.files.clear();
  }

  private readDir(path: string): Reply {
    const node = this.tree.lookup(path);
    if (!node) return status(AfcError.ObjectNotFound);
    if (node.type !== 'dir') return status(AfcError.InvalidArg);
    const names = ['.', '..', ...node.children.keys()];
    return data(Buffer.from(names.map((n) => n + '\0').join('')));
  }

  private deviceInfo(): Buffer {
    const fields = [
      'Model', String(this.device.getValue('', 'ProductType') ?? 'iPhone15,2'),
      'FSTotalBytes', '127989493760',
      'FSFreeBytes', '64000000000',
      'FSBlockSize', '4096',
    ];
    return Buffer.from(fields.map((f) => f + '\0').join(''));
  }

  private remove(path: string): Reply {
    const node = this.tree.lookup(path);
    const parent = this.tree.parentOf(path);
    if (!node || !parent) return status(node ? AfcError.PermDenied : AfcError.ObjectNotFound);
    if (node.type === 'dir' && node.children.size > 0) return status(AFC_DIR_NOT_EMPTY);
    parent.dir.children.delete(parent.name);
    return status(AfcError.Success);
  }

  private rename(from: string, to: string): Reply {
    const src = this.tree.parentOf(from);
    const dst = this.tree.parentOf(to);
    const node = src?.dir.children.get(src.name);
    if (!src || !node) return status(AfcError.ObjectNotFound);
    if (!dst) return status(AfcError.ObjectNotFound);
    src.dir.children.delete(src.name);
    dst.dir.children.set(dst.name, node);
    return status(AfcError.Success);
  }

  private open(mode: number, path: string): Reply {
    if (mode < 1 || mode > 6) return status(AfcError.InvalidArg);
    let node = this.tree.lookup(path);
    if (node?.type === 'dir') return status(AfcError.ObjectIsDir);
    if (!node) {
      if (mode <= 2) return status(AfcError.ObjectNotFound);
      const parent = this.tree.parentOf(path);
      if (!parent) return status(AfcError.ObjectNotFound);
      this.tree.writeFile(path, Buffer.alloc(0));
      node = this.tree.lookup(path) as AfcNode;
    } else if (mode === 3 || mode === 4) {
      node.data = Buffer.alloc(0);
    }
    const handle = this.nextHandle++;
    this.files.set(handle, {
      path,
      node,
      writable: mode >= 2,
      pos: mode >= 5 ? node.data.length : 0,
      owner: {},
    });
    return { operation: AfcOp.FileOpenResult, headerData: encodeU64s(handle) };
  }

  private read(handle: number, length: number): Reply {
    const f = this.files.get(handle);
    if (!f) return status(AfcError.InvalidArg);
    const n = Math.max(0, Math.min(length, READ_LIMIT, f.node.data.length - f.pos));
    const chunk = Buffer.from(f.node.data.subarray(f.pos, f.pos + n));
    f.pos += n;
    return data(chunk);
  }

  private write(handle: number, bytes: Buffer): Reply {
    const f = this.files.get(handle);
    if (!f) return status(AfcError.InvalidArg);
    if (!f.writable) return status(AfcError.PermDenied);
    const end = f.pos + bytes.length;
    const next = Buffer.alloc(Math.max(end, f.node.data.length));
    f.node.data.copy(next);
    bytes.copy(next, f.pos);
    f.node.data = next;
    f.node.mtimeNs = BigInt(Date.now()) * 1_000_000n;
    f.pos = end;
    return status(AfcError.Success);
  }

  private close(handle: number): Reply {
    const f = this.files.get(handle);
    if (!f) return status(AfcError.InvalidArg);
    this.tree.unlock(f.path, f.owner);
    this.files.delete(handle);
    return status(AfcError.Success);
  }

  private lock(handle: number, op: number): Reply {
    const f = this.files.get(handle);
    if (!f) return status(AfcError.InvalidArg);
    const kind = op & ~4;
    if (kind === 8) {
      this.tree.unlock(f.path, f.owner);
      return status(AfcError.Success);
    }
    if (kind !== 1 && kind !== 2) return status(AfcError.InvalidArg);
    return status(this.tree.lock(f.path, f.owner) ? AfcError.Success : AfcError.OpWouldBlock);
  }
}

export const afcService: DeviceServiceHandler = (conn, device) => {
  const session = new AfcSession(device.afc, device);
  const decoder = new AfcPacketDecoder({ maxPacketBytes: 64 * 1024 * 1024 });
  conn.on('data', (chunk: Buffer) => {
    let packets: AfcPacket[];
    try {
      packets = decoder.push(chunk);
    } catch {
      conn.destroy();
      return;
    }
    for (const p of packets) {
      const r = session.handle(p);
      conn.write(
        encodeAfcPacket({
          packetNum: p.packetNum,
          operation: r.operation,
          headerData: r.headerData ?? Buffer.alloc(0),
          payload: r.payload ?? Buffer.alloc(0),
        }),
      );
    }
  });
  conn.on('error', () => conn.destroy());
  conn.on('close', () => session.releaseAll());
  conn.on('end', () => conn.end());
};
