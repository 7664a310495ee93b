import { existsSync } from 'node:fs';
import { link, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dlGetFreeDiskSpace, dlProcessMessage, dlUploadFiles } from '../../protocols/index.js';
import type { Mb2LoopObserver } from '../../src/services/mobilebackup2/index.js';
import { StagedFileWriter, writeStagedFileSync } from '../../src/services/mobilebackup2/staged-file.js';
import { BATCH_FILES, StagedWriteWorker } from '../../src/services/mobilebackup2/staged-write-worker.js';
import { socketPair, startStagingLoop, uploadStream, type SocketPair } from './mobilebackup2-scripted-device.js';

// UploadFiles into a staging folder (stagingWrites): new names are written directly, existing names — which may
// be hard links shared with the previous backup — are replaced by a new inode, never written in place.

const UDID = '00008120-001A2B3C4D5E0001';
let tmp: string;
let stage: string;
let previous: string;
let pair: SocketPair;

beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'mb2-staging-writes-'));
  stage = join(tmp, 'stage');
  previous = join(tmp, 'previous');
  await mkdir(join(stage, 'ab'), { recursive: true });
  await mkdir(join(previous, 'ab'), { recursive: true });
  pair = await socketPair();
});
afterEach(async () => {
  pair.close();
  await rm(tmp, { recursive: true, force: true });
});

function startLoop(observer: Mb2LoopObserver = {}, smallFileWorker?: StagedWriteWorker) {
  return startStagingLoop(pair.host, stage, UDID, { smallFileWorker, observer });
}

async function finish(loop: ReturnType<typeof startLoop>) {
  pair.device.send(dlProcessMessage({ MessageName: 'Response', ErrorCode: 0 }));
  expect((await loop).kind).toBe('result');
}

/** A file of the previous backup, hard-linked into the staging folder (as the staging clone does). */
async function linked(name: string, content: string): Promise<{ ino: number }> {
  await writeFile(join(previous, name), content);
  await link(join(previous, name), join(stage, name));
  return { ino: (await stat(join(previous, name))).ino };
}

function pattern(n: number, seed = 0): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + 3 + seed) & 0xff;
  return b;
}

describe('UploadFiles into a staging folder', () => {
  it('replaces hard-linked files (small and streamed) with new inodes and never changes the shared one', async () => {
    const small = await linked('ab/ab01', 'old small');
    const big = await linked('ab/ab02', 'old big');
    const bigData = pattern(2_000_000); // above the in-memory limit: streamed
    const received: string[] = [];
    const loop = startLoop({ fileReceived: (f) => received.push(f.devicePath) });
    pair.device.send(dlUploadFiles(9 + bigData.length + 5));
    pair.device.sendRaw(
      uploadStream([
        { deviceName: 'D/a', hostPath: `${UDID}/ab/ab01`, data: Buffer.from('new small') },
        { deviceName: 'D/b', hostPath: `${UDID}/ab/ab02`, data: bigData, blockSize: 65_536 },
        { deviceName: 'D/c', hostPath: `${UDID}/ab/ab03`, data: Buffer.from('fresh') },
      ]),
    );
    expect((await pair.device.receiveStatus()).code).toBe(0);
    expect(await readFile(join(previous, 'ab/ab01'), 'utf8')).toBe('old small');
    expect(await readFile(join(previous, 'ab/ab02'), 'utf8')).toBe('old big');
    expect((await stat(join(previous, 'ab/ab01'))).nlink).toBe(1);
    expect((await stat(join(previous, 'ab/ab02'))).nlink).toBe(1);
    expect(await readFile(join(stage, 'ab/ab01'), 'utf8')).toBe('new small');
    expect((await readFile(join(stage, 'ab/ab02'))).equals(bigData)).toBe(true);
    expect(await readFile(join(stage, 'ab/ab03'), 'utf8')).toBe('fresh');
    expect((await stat(join(stage, 'ab/ab01'))).ino).not.toBe(small.ino);
    expect((await stat(join(stage, 'ab/ab02'))).ino).not.toBe(big.ino);
    expect((await readdir(join(stage, 'ab'))).sort()).toEqual(['ab01', 'ab02', 'ab03']); // no temporary files left
    expect(received.sort()).toEqual([`${UDID}/ab/ab01`, `${UDID}/ab/ab02`, `${UDID}/ab/ab03`]);
    await finish(loop);
  });

  it('leaves nothing behind for a file the device gives up on, streamed or not, and keeps a linked file intact', async () => {
    await linked('ab/ab05', 'old');
    const failed: string[] = [];
    const loop = startLoop({ fileFailed: (f) => failed.push(f.devicePath) });
    const partialBig = pattern(1_500_000);
    pair.device.send(dlUploadFiles(100));
    pair.device.sendRaw(
      uploadStream([
        { deviceName: 'D/x', hostPath: `${UDID}/ab/ab04`, data: partialBig, blockSize: 65_536, error: 'vanished' },
        { deviceName: 'D/y', hostPath: `${UDID}/ab/ab05`, data: pattern(1_200_000), blockSize: 65_536, error: 'vanished' },
        { deviceName: 'D/z', hostPath: `${UDID}/ab/ab06`, data: Buffer.from('tiny'), error: 'vanished' },
        { deviceName: 'D/m', hostPath: `${UDID}/zz/zz01`, data: Buffer.from('no parent folder') },
      ]),
    );
    expect((await pair.device.receiveStatus()).code).toBe(-6);
    expect(failed).toEqual([`${UDID}/ab/ab04`, `${UDID}/ab/ab05`, `${UDID}/ab/ab06`, `${UDID}/zz/zz01`]);
    expect((await readdir(join(stage, 'ab'))).sort()).toEqual(['ab05']);
    expect(await readFile(join(stage, 'ab/ab05'), 'utf8')).toBe('old');
    expect(await readFile(join(previous, 'ab/ab05'), 'utf8')).toBe('old');
    await finish(loop);
  });
});

describe('staged file writers', () => {
  it('writeStagedFileSync writes a new name directly and replaces an existing (linked) name by rename', async () => {
    const ino = (await linked('ab/f', 'old')).ino;
    writeStagedFileSync(join(stage, 'ab/g'), [Buffer.from('he'), Buffer.from('llo')]);
    writeStagedFileSync(join(stage, 'ab/f'), [Buffer.from('new')]);
    expect(await readFile(join(stage, 'ab/g'), 'utf8')).toBe('hello');
    expect(await readFile(join(stage, 'ab/f'), 'utf8')).toBe('new');
    expect(await readFile(join(previous, 'ab/f'), 'utf8')).toBe('old');
    expect((await stat(join(stage, 'ab/f'))).ino).not.toBe(ino);
    expect(() => writeStagedFileSync(join(stage, 'missing/x'), [Buffer.from('x')])).toThrow(/ENOENT/);
    expect((await readdir(join(stage, 'ab'))).sort()).toEqual(['f', 'g']);
  });

  it('StagedFileWriter opens an existing name never for writing: a temporary file replaces it at commit', async () => {
    await linked('ab/f', 'old');
    const w = await StagedFileWriter.create(join(stage, 'ab/f'));
    expect(w.writePath).not.toBe(w.finalPath);
    await w.write(Buffer.from('new data'));
    expect(await readFile(join(stage, 'ab/f'), 'utf8')).toBe('old'); // untouched until commit
    await w.commit();
    expect(await readFile(join(stage, 'ab/f'), 'utf8')).toBe('new data');
    expect(await readFile(join(previous, 'ab/f'), 'utf8')).toBe('old');

    const fresh = await StagedFileWriter.create(join(stage, 'ab/new'));
    expect(fresh.writePath).toBe(fresh.finalPath);
    await fresh.write(Buffer.from('partial'));
    await fresh.abort();
    expect(existsSync(join(stage, 'ab/new'))).toBe(false);
    expect((await readdir(join(stage, 'ab'))).sort()).toEqual(['f']);
  });
});

describe('small files on writer threads (StagedWriteWorker)', () => {
  it('answers an upload once its files are queued; the next request waits until all are stored', async () => {
    const old = await linked('ab/ab000', 'old');
    const worker = new StagedWriteWorker(2);
    const received: string[] = [];
    const loop = startLoop({ fileReceived: (f) => received.push(f.devicePath) }, worker);
    const files = Array.from({ length: 300 }, (_, i) => ({
      deviceName: `D/${i}`,
      hostPath: `${UDID}/ab/ab${String(i).padStart(3, '0')}`,
      data: pattern(100 + i * 37),
    }));
    try {
      pair.device.send(dlUploadFiles(1));
      pair.device.sendRaw(uploadStream(files));
      expect((await pair.device.receiveStatus()).code).toBe(0);
      // any other request is handled only once every file of the uploads before it is on disk
      pair.device.send(dlGetFreeDiskSpace());
      expect((await pair.device.receiveStatus()).code).toBe(0);
      for (const f of files) expect((await readFile(join(stage, f.hostPath.slice(UDID.length + 1)))).equals(f.data)).toBe(true);
      expect(received).toHaveLength(300);
      expect(await readFile(join(previous, 'ab/ab000'), 'utf8')).toBe('old');
      expect((await stat(join(previous, 'ab/ab000'))).nlink).toBe(1);
      expect((await stat(join(stage, 'ab/ab000'))).ino).not.toBe(old.ino);
      expect((await readdir(join(stage, 'ab'))).filter((n) => n.startsWith('.'))).toEqual([]);
      await finish(loop);
    } finally {
      await worker.close();
    }
  });

  it('a small file that fails after its upload was answered fails the backup at the next request', async () => {
    const worker = new StagedWriteWorker(2);
    const failed: string[] = [];
    const loop = startLoop({ fileFailed: (f) => failed.push(f.devicePath) }, worker);
    const files = Array.from({ length: 20 }, (_, i) => ({ deviceName: `D/${i}`, hostPath: `${UDID}/ab/ok${i}`, data: pattern(50 + i) }));
    // last, in the batch still being filled when the stream ends: it reaches a writer thread only as the upload is answered
    files.push({ deviceName: 'D/nodir', hostPath: `${UDID}/zz/zz`, data: Buffer.from('x') });
    try {
      pair.device.send(dlUploadFiles(1));
      pair.device.sendRaw(uploadStream(files));
      expect((await pair.device.receiveStatus()).code).toBe(0);
      pair.device.send(dlGetFreeDiskSpace());
      await expect(loop).rejects.toMatchObject({ code: 'BACKUP_IO_ERROR', message: expect.stringMatching(/ENOENT|no such file/i) });
      expect(failed).toEqual([`${UDID}/zz/zz`]);
      for (const f of files.slice(0, 20)) expect((await readFile(join(stage, f.hostPath.slice(UDID.length + 1)))).equals(f.data)).toBe(true);
    } finally {
      await worker.close();
    }
  });

  it('stores files around the batch and shared-buffer limits byte for byte', async () => {
    const worker = new StagedWriteWorker(2);
    // 0 B, small, the batch limit (256 KiB) and either side of it, the largest file a shared buffer takes beside a
    // full batch (512 KiB) and one byte more (written on the calling thread), many times over so every slot is used.
    const sizes = [0, 1, 4096, 256 * 1024 - 1, 256 * 1024, 256 * 1024 + 1, 512 * 1024, 512 * 1024 + 1, 3 * 1024 * 1024];
    const files = Array.from({ length: 120 }, (_, i) => ({ path: join(stage, `ab/f${i}`), data: pattern(sizes[i % sizes.length]!, i) }));
    const errors: unknown[] = [];
    try {
      for (const f of files) await worker.add(f.path, [f.data.subarray(0, 7), f.data.subarray(7)], (e) => e && errors.push(e));
      await worker.flush();
      expect(errors).toEqual([]);
      for (const f of files) expect((await readFile(f.path)).equals(f.data), f.path).toBe(true);
    } finally {
      await worker.close();
    }
  });

  it('a second file of one name is stored after the first, on whichever thread', async () => {
    const worker = new StagedWriteWorker(2);
    const target = join(stage, 'ab/same');
    const errors: unknown[] = [];
    try {
      for (let round = 0; round < 20; round++) {
        // the first version goes last in a full batch (sent to one thread), the next first in a new batch (the
        // other thread): without waiting, the other thread would store it while the first is still queued
        for (let i = 0; i < BATCH_FILES - 1; i++) await worker.add(join(stage, `ab/r${round}f${i}`), [pattern(3000, i)], (e) => e && errors.push(e));
        await worker.add(target, [Buffer.from(`first ${round}`)], (e) => e && errors.push(e));
        await worker.add(target, [Buffer.from(`second ${round}`)], (e) => e && errors.push(e));
        await worker.settle(target);
        expect(await readFile(target, 'utf8')).toBe(`second ${round}`);
      }
      await worker.flush();
      expect(errors).toEqual([]);
      expect((await readdir(join(stage, 'ab'))).filter((n) => n.startsWith('.'))).toEqual([]);
    } finally {
      await worker.close();
    }
  });

  it.each([
    ['small files on writer threads', true],
    ['in place, small files written in the background (no staging)', false],
  ])('an upload naming one file several times (small and streamed) keeps the last: %s', async (_, staging) => {
    const worker = staging ? new StagedWriteWorker(2) : undefined;
    const loop = startStagingLoop(pair.host, stage, UDID, { smallFileWorker: worker, stagingWrites: staging });
    const name = `${UDID}/ab/twice`;
    const fillers = (tag: string, n: number) =>
      Array.from({ length: n }, (_, i) => ({ deviceName: `D/${tag}${i}`, hostPath: `${UDID}/ab/${tag}${i}`, data: pattern(2000, i) }));
    const streamed = pattern(700 * 1024, 9);
    try {
      const version = (text: string) => ({ deviceName: 'D/twice', hostPath: name, data: Buffer.from(text) });
      const upload = async (files: { deviceName: string; hostPath: string; data: Buffer }[], expected: string) => {
        pair.device.send(dlUploadFiles(1));
        pair.device.sendRaw(uploadStream(files));
        expect((await pair.device.receiveStatus()).code).toBe(0);
        pair.device.send(dlGetFreeDiskSpace());
        expect((await pair.device.receiveStatus()).code).toBe(0);
        expect(await readFile(join(stage, 'ab/twice'), 'utf8')).toBe(expected);
      };
      for (let round = 0; round < 8; round++) {
        // Each earlier version is still being stored when the next arrives: last in a full batch (its thread writes
        // the fillers first) before a streamed version, or before a version that starts the next batch (the other
        // thread); without writer threads, a streamed version's background commit before a small one.
        await upload(
          [
            ...fillers(`a${round}-`, BATCH_FILES - 1),
            version(`small ${round}`),
            { deviceName: 'D/twice', hostPath: name, data: streamed },
            ...fillers(`b${round}-`, BATCH_FILES - 1),
            version(`again ${round}`),
            version(`last ${round}`),
          ],
          `last ${round}`,
        );
        await upload([...fillers(`c${round}-`, 5), { deviceName: 'D/twice', hostPath: name, data: streamed }, version(`final ${round}`)], `final ${round}`);
      }
      expect((await readdir(join(stage, 'ab'))).filter((n) => n.startsWith('.'))).toEqual([]);
      await finish(loop);
    } finally {
      await worker?.close();
    }
  });

  it('flush waits for queued files; callbacks carry errno codes', async () => {
    const worker = new StagedWriteWorker(1);
    const results: (string | undefined)[] = [];
    try {
      await worker.add(join(stage, 'ab/one'), [Buffer.from('1')], (e) => results.push((e as NodeJS.ErrnoException | undefined)?.code));
      await worker.add(join(stage, 'nope/two'), [Buffer.from('2')], (e) => results.push((e as NodeJS.ErrnoException | undefined)?.code));
      expect(results).toEqual([]); // still queued
      await worker.flush();
      expect(results).toEqual([undefined, 'ENOENT']);
      expect(await readFile(join(stage, 'ab/one'), 'utf8')).toBe('1');
    } finally {
      await worker.close();
    }
  });
});
