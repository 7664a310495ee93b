import { constants, existsSync } from 'node:fs';
import { link, mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dlProcessMessage, dlUploadFiles } from '../../protocols/index.js';
import { DirectFileWriter, PIECE_BYTES } from '../../src/services/mobilebackup2/direct-file.js';
import { createStagedWriter, StagedFileWriter } from '../../src/services/mobilebackup2/staged-file.js';
import { socketPair, startStagingLoop, uploadStream } from './mobilebackup2-scripted-device.js';

// Large files into a staging folder with direct I/O (direct-file.ts): exact content whatever the sizes of the
// pieces that arrive, the same never-write-into-an-existing-inode rule as the page-cache writer, and nothing
// left behind by an abort. These run where the tests' temporary folder supports O_DIRECT (Linux ext4/tmpfs/xfs).

let tmp: string;

beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'mb2-direct-writes-'));
  await mkdir(join(tmp, 'ab'));
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

function pattern(n: number, seed = 1): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 7 + (i >>> 12)) & 0xff;
  return b;
}

/** The open flags of this process's descriptors for `path` (from /proc/self/fdinfo). */
async function openFlags(path: string): Promise<number[]> {
  const flags: number[] = [];
  for (const fd of await readdir('/proc/self/fd')) {
    const target = await readlink(`/proc/self/fd/${fd}`).catch(() => '');
    if (target !== path) continue;
    const info = await readFile(`/proc/self/fdinfo/${fd}`, 'utf8').catch(() => '');
    const m = /^flags:\s*([0-7]+)/m.exec(info);
    if (m) flags.push(parseInt(m[1]!, 8));
  }
  return flags;
}

/** Write `data` in pieces of the given sizes (cycled), then commit. */
async function writeInPieces(w: { write(d: Uint8Array): Promise<void>; commit(): Promise<void> }, data: Buffer, sizes: number[]) {
  let off = 0;
  for (let i = 0; off < data.length; i++) {
    const n = Math.min(sizes[i % sizes.length]!, data.length - off);
    await w.write(data.subarray(off, off + n));
    off += n;
  }
  await w.commit();
}

describe.runIf(process.platform === 'linux')('DirectFileWriter', () => {
  it('writes through a descriptor opened with O_DIRECT, and the page-cache writer when asked not to', async () => {
    const direct = await createStagedWriter(join(tmp, 'ab/d'), true);
    expect(direct).toBeInstanceOf(DirectFileWriter);
    await direct.write(pattern(10_000));
    const flags = await openFlags(join(tmp, 'ab/d'));
    expect(flags).toHaveLength(1);
    expect(flags[0]! & constants.O_DIRECT).toBe(constants.O_DIRECT);
    await direct.commit();

    const buffered = await createStagedWriter(join(tmp, 'ab/b'), false);
    expect(buffered).toBeInstanceOf(StagedFileWriter);
    await buffered.write(pattern(10_000));
    const bflags = await openFlags(join(tmp, 'ab/b'));
    expect(bflags).toHaveLength(1);
    expect(bflags[0]! & constants.O_DIRECT).toBe(0);
    await buffered.commit();
    expect((await readFile(join(tmp, 'ab/d'))).equals(await readFile(join(tmp, 'ab/b')))).toBe(true);
  });

  it('stores exact content for sizes around the piece and block boundaries, whatever the arriving sizes', async () => {
    const sizes = [1, 4095, 4096, 4097, PIECE_BYTES - 1, PIECE_BYTES, PIECE_BYTES + 1, 2 * PIECE_BYTES + 12_345, 700_001];
    const arrivals = [[65_536], [1_048_576, 5], [7, 300_001, 4096], [PIECE_BYTES + 3]];
    let k = 0;
    for (const size of sizes) {
      const data = pattern(size, k);
      const path = join(tmp, 'ab', `f${k}`);
      const w = await createStagedWriter(path, true);
      expect(w).toBeInstanceOf(DirectFileWriter);
      await writeInPieces(w, data, arrivals[k % arrivals.length]!);
      expect(w.bytes).toBe(size);
      const back = await readFile(path);
      expect(back.length).toBe(size);
      expect(back.equals(data)).toBe(true);
      k++;
    }
    expect((await readdir(join(tmp, 'ab'))).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('never opens an existing (hard-linked) name: a new inode replaces it at commit, the shared one is unchanged', async () => {
    await writeFile(join(tmp, 'previous'), 'old content');
    await link(join(tmp, 'previous'), join(tmp, 'ab/f'));
    const ino = (await stat(join(tmp, 'previous'))).ino;
    const w = await createStagedWriter(join(tmp, 'ab/f'), true);
    expect(w).toBeInstanceOf(DirectFileWriter);
    expect(w.writePath).not.toBe(w.finalPath);
    const data = pattern(3 * PIECE_BYTES + 99);
    await w.write(data);
    expect(await readFile(join(tmp, 'ab/f'), 'utf8')).toBe('old content'); // untouched until commit
    await w.commit();
    expect((await readFile(join(tmp, 'ab/f'))).equals(data)).toBe(true);
    expect((await stat(join(tmp, 'ab/f'))).ino).not.toBe(ino);
    expect(await readFile(join(tmp, 'previous'), 'utf8')).toBe('old content');
    expect((await stat(join(tmp, 'previous'))).nlink).toBe(1);
    expect((await readdir(join(tmp, 'ab'))).sort()).toEqual(['f']);
  });

  it('an abort deletes what was written and gives its memory back: many writers in turn, some overlapping', async () => {
    // If an abort or a commit kept a piece, a later writer would wait for one forever.
    for (let round = 0; round < 6; round++) {
      const a = await createStagedWriter(join(tmp, 'ab', `a${round}`), true);
      const b = await createStagedWriter(join(tmp, 'ab', `b${round}`), true);
      await a.write(pattern(PIECE_BYTES + 10, round));
      await b.write(pattern(2 * PIECE_BYTES + 10, round));
      const committing = b.commit(); // b finishes while a goes on, as a finished file does in the upload loop
      await a.write(pattern(PIECE_BYTES, round));
      await committing;
      await a.abort();
      expect(existsSync(join(tmp, 'ab', `a${round}`))).toBe(false);
      expect((await stat(join(tmp, 'ab', `b${round}`))).size).toBe(2 * PIECE_BYTES + 10);
    }
    expect((await readdir(join(tmp, 'ab'))).length).toBe(6);
  });

  it('reports a failed open as the error it is (the folder is missing), leaving no file', async () => {
    await expect(createStagedWriter(join(tmp, 'missing', 'x'), true)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(existsSync(join(tmp, 'missing'))).toBe(false);
  });
});

describe.runIf(process.platform === 'linux')('UploadFiles with and without direct writes', () => {
  const UDID = '00008120-001A2B3C4D5E0001';

  /** Stream one large file, look at how the host opened it halfway through, then finish; returns the flags. */
  async function flagsWhileStreaming(directWrites: boolean | undefined, directReads = true): Promise<number[]> {
    const stage = join(tmp, `${directWrites}-${directReads}`);
    await mkdir(join(stage, 'ab'), { recursive: true });
    const pair = await socketPair({ directReads });
    try {
      const loop = startStagingLoop(pair.host, stage, UDID, directWrites === undefined ? {} : { directWrites });
      const data = pattern(6 * PIECE_BYTES + 777);
      const stream = uploadStream([{ deviceName: 'D/big', hostPath: `${UDID}/ab/big`, data, blockSize: 65_536 }]);
      pair.device.send(dlUploadFiles(data.length));
      pair.device.sendRaw(stream.subarray(0, stream.length >> 1));
      const path = join(stage, 'ab/big');
      let flags: number[] = [];
      for (let i = 0; i < 500 && flags.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 10));
        flags = await openFlags(path);
      }
      pair.device.sendRaw(stream.subarray(stream.length >> 1));
      expect((await pair.device.receiveStatus()).code).toBe(0);
      expect((await readFile(path)).equals(data)).toBe(true);
      pair.device.send(dlProcessMessage({ MessageName: 'Response', ErrorCode: 0 }));
      expect((await loop).kind).toBe('result');
      return flags;
    } finally {
      pair.close();
    }
  }

  it('streams a large file through O_DIRECT by default and through the page cache with directWrites: false', async () => {
    const byDefault = await flagsWhileStreaming(undefined);
    expect(byDefault).toHaveLength(1);
    expect(byDefault[0]! & constants.O_DIRECT).toBe(constants.O_DIRECT);
    const buffered = await flagsWhileStreaming(false);
    expect(buffered).toHaveLength(1);
    expect(buffered[0]! & constants.O_DIRECT).toBe(0);
  });

  it('uses the page cache when the connection hands over its chunks for keeps (no reused receive buffer)', async () => {
    // As over service TLS: the chunks are the writer's to keep, so the page-cache writer needs no copy of ours.
    const flags = await flagsWhileStreaming(undefined, false);
    expect(flags).toHaveLength(1);
    expect(flags[0]! & constants.O_DIRECT).toBe(0);
  });
});
