import { constants } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DirectFileWriter, openDirect, PIECE_BYTES } from '../../src/services/mobilebackup2/direct-file.js';
import { createStagedWriter, StagedFileWriter } from '../../src/services/mobilebackup2/staged-file.js';

// When the file system refuses direct I/O (EINVAL: FUSE, some network file systems, ramfs), large files must still
// be written, exactly, by the ordinary way (direct-file.ts). No file system on the test machines refuses O_DIRECT,
// so the refusal is injected where the system gives it: `open` with O_DIRECT fails with EINVAL after creating the
// file (as Linux may), or a direct write fails with EINVAL. Everything else is real file I/O.

const refusal = vi.hoisted(() => ({ open: false, directOpens: 0 }));

vi.mock('node:fs/promises', async () => {
  const actual = await vi.importActual<typeof import('node:fs/promises')>('node:fs/promises');
  const { constants: c } = await vi.importActual<typeof import('node:fs')>('node:fs');
  const open: typeof actual.open = async (path, flags, mode) => {
    if (typeof flags === 'number' && c.O_DIRECT > 0 && (flags & c.O_DIRECT) !== 0) {
      refusal.directOpens++;
      if (refusal.open) {
        await (await actual.open(path, flags & ~c.O_DIRECT, mode)).close();
        throw Object.assign(new Error(`EINVAL: invalid argument, open '${String(path)}'`), { code: 'EINVAL', errno: -22 });
      }
    }
    return actual.open(path, flags, mode);
  };
  return { ...actual, open, default: { ...actual, open } };
});

let tmp: string;

beforeEach(async () => {
  tmp = await fsp.mkdtemp(join(tmpdir(), 'mb2-direct-fallback-'));
  refusal.open = false;
  refusal.directOpens = 0;
});
afterEach(async () => {
  await fsp.rm(tmp, { recursive: true, force: true });
});

function pattern(n: number, seed = 1): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 29 + seed * 13 + (i >>> 11)) & 0xff;
  return b;
}

async function writeAll(w: { write(d: Uint8Array): Promise<void>; commit(): Promise<void> }, data: Buffer, piece = 300_001) {
  for (let off = 0; off < data.length; off += piece) await w.write(data.subarray(off, off + piece));
  await w.commit();
}

describe.runIf(process.platform === 'linux')('direct I/O refused by the file system', () => {
  // One test: the refused open switches direct I/O off for the rest of the process (this file's module instance).
  it('an open refused with EINVAL leaves nothing behind, and this and every later file are written the ordinary way', async () => {
    refusal.open = true;
    const data = pattern(5 * 1024 * 1024 + 123);
    const first = await createStagedWriter(join(tmp, 'big'), true);
    expect(first).toBeInstanceOf(StagedFileWriter);
    expect((first as StagedFileWriter).writePath).toBe(join(tmp, 'big')); // the refused open's file was removed
    await writeAll(first, data);
    expect((await fsp.readFile(join(tmp, 'big'))).equals(data)).toBe(true);
    expect(refusal.directOpens).toBe(1);

    // An existing, hard-linked name: replaced through a temporary file, the shared inode never written.
    await fsp.writeFile(join(tmp, 'old'), 'previous backup');
    await fsp.link(join(tmp, 'old'), join(tmp, 'linked'));
    const second = await createStagedWriter(join(tmp, 'linked'), true);
    expect(second).toBeInstanceOf(StagedFileWriter);
    await writeAll(second, data.subarray(0, 3_000_000));
    expect((await fsp.readFile(join(tmp, 'linked'))).equals(data.subarray(0, 3_000_000))).toBe(true);
    expect(await fsp.readFile(join(tmp, 'old'), 'utf8')).toBe('previous backup');
    expect(refusal.directOpens).toBe(1); // not tried again
    expect(await openDirect(join(tmp, 'never'))).toBeUndefined();
    expect((await fsp.readdir(tmp)).sort()).toEqual(['big', 'linked', 'old']);
  });
});

describe.runIf(process.platform === 'linux')('a direct write refused with EINVAL', () => {
  it('the file goes on through an ordinary descriptor, every byte in place', async () => {
    for (const refuseAt of [1, 2, 3]) {
      const path = join(tmp, `f${refuseAt}`);
      const real = await fsp.open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_DIRECT, 0o644);
      let writes = 0;
      // The direct descriptor refuses its refuseAt-th write; every other call goes to the real one.
      const refusing = new Proxy(real, {
        get(target, prop, receiver) {
          if (prop === 'write') {
            return (...args: Parameters<typeof real.write>) => {
              writes++;
              if (writes === refuseAt) return Promise.reject(Object.assign(new Error('EINVAL: invalid argument, write'), { code: 'EINVAL' }));
              return target.write(...args);
            };
          }
          const v: unknown = Reflect.get(target, prop, receiver);
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
        },
      });
      const data = pattern(3 * PIECE_BYTES + 4096 * 3 + 77, refuseAt);
      const w = new DirectFileWriter(path, path, refusing);
      await writeAll(w, data, 700_003);
      expect(writes).toBeGreaterThanOrEqual(refuseAt);
      expect((await fsp.readFile(path)).equals(data)).toBe(true);
    }
  });
});
