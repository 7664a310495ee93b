import { mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { dlProcessMessage, dlUploadFiles } from '../../protocols/index.js';
import { StagedWriteWorker } from '../../src/services/mobilebackup2/staged-write-worker.js';
import { connectWithDirectReads, directReadsOf } from '../../src/transport/index.js';
import { socketPair, startStagingLoop, uploadStream, type SocketPair } from './mobilebackup2-scripted-device.js';

// Service connections made through usbmuxd read into one reused buffer (transport/direct-reads.ts); the
// mobilebackup2 upload path must keep nothing that points into it between reads.

const UDID = '00008120-001A2B3C4D5E0001';

function pattern(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 7 + (i >> 9)) & 0xff;
  return b;
}

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 1));

async function serverPair(): Promise<{ host: net.Socket; device: Promise<net.Socket>; close(): void }> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const device = new Promise<net.Socket>((r) => server.once('connection', r));
  const host = connectWithDirectReads({ port: (server.address() as net.AddressInfo).port, host: '127.0.0.1' });
  await new Promise<void>((r, j) => host.once('connect', r).once('error', j));
  server.close();
  return { host, device, close: () => host.destroy() };
}

describe('direct reads (one reused receive buffer)', () => {
  it('behaves like a plain socket until attached, then hands views of one buffer to the sink and stops when asked', async () => {
    const pair = await serverPair();
    const dev = await pair.device;
    try {
      dev.write('hello world');
      await new Promise<void>((r) => pair.host.once('readable', r));
      expect((pair.host.read(5) as Buffer).toString()).toBe('hello'); // an ordinary read(n) before attaching
      const direct = directReadsOf(pair.host)!;
      expect(direct).toBeDefined();
      const views: Buffer[] = [];
      const seen: string[] = [];
      let keepReading = true;
      const pending = direct.attach((view) => {
        views.push(view);
        seen.push(view.toString());
        return keepReading;
      });
      expect(Buffer.concat(pending).toString()).toBe(' world'); // bytes buffered before attach are handed back
      dev.write('abc');
      while (seen.join('') !== 'abc') await tick();
      dev.write('def');
      while (seen.join('') !== 'abcdef') await tick();
      expect(views.every((v) => v.buffer === views[0]!.buffer)).toBe(true); // the same memory every time
      keepReading = false;
      dev.write('ghi');
      while (seen.join('') !== 'abcdefghi') await tick();
      dev.write('jkl'); // not read while stopped
      for (let i = 0; i < 20; i++) await tick();
      expect(seen.join('')).toBe('abcdefghi');
      keepReading = true;
      direct.resume();
      while (seen.join('') !== 'abcdefghijkl') await tick();
      expect(directReadsOf(new net.Socket())).toBeUndefined();
    } finally {
      pair.close();
      dev.destroy();
    }
  });
});

describe('UploadFiles over a direct-read connection', () => {
  let tmp: string;
  let stage: string;
  let pair: SocketPair;

  beforeEach(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'mb2-direct-reads-'));
    stage = join(tmp, 'stage');
    await mkdir(join(stage, 'ab'), { recursive: true });
    pair = await socketPair({ directReads: true });
  });
  afterEach(async () => {
    pair.close();
    await rm(tmp, { recursive: true, force: true });
  });

  it('stores every byte when names, headers and data are split across many small reads', async () => {
    expect(directReadsOf(pair.host)).toBeDefined();
    const worker = new StagedWriteWorker(2);
    const loop = startStagingLoop(pair.host, stage, UDID, { smallFileWorker: worker });
    const files = [
      ...Array.from({ length: 40 }, (_, i) => ({ deviceName: `D/${i}`, hostPath: `${UDID}/ab/s${i}`, data: pattern(10 + i * 997, i), blockSize: 1000 + i })),
      { deviceName: 'D/big', hostPath: `${UDID}/ab/big`, data: pattern(2_300_000, 99), blockSize: 65_536 },
      { deviceName: 'D/mid', hostPath: `${UDID}/ab/mid`, data: pattern(700_000, 98), blockSize: 4096 },
      { deviceName: 'D/last', hostPath: `${UDID}/ab/last`, data: pattern(3, 97) },
    ];
    try {
      pair.device.send(dlUploadFiles(1));
      // The stream and the message after it, in pieces of odd sizes with pauses, so that every boundary lands
      // somewhere inside a read and the receive buffer is reused between the parts of one header or name.
      const stream = uploadStream(files);
      const sizes = [1, 2, 3, 5, 7, 11, 4093, 65_537, 13];
      for (let at = 0, i = 0; at < stream.length; i++) {
        const n = sizes[i % sizes.length]!;
        pair.device.sendRaw(stream.subarray(at, at + n));
        at += n;
        if (n < 100 || i % 3 === 0) await tick();
      }
      expect((await pair.device.receiveStatus()).code).toBe(0);
      for (const f of files) expect((await readFile(join(stage, f.hostPath.slice(UDID.length + 1)))).equals(f.data)).toBe(true);
      expect((await readdir(join(stage, 'ab'))).filter((n) => n.startsWith('.'))).toEqual([]);
      // messages after the stream are decoded from the bytes that followed it
      pair.device.send(dlProcessMessage({ MessageName: 'Response', ErrorCode: 0 }));
      expect((await loop).kind).toBe('result');
    } finally {
      await worker.close();
    }
  });

  it('gathers small files of every request on a connection in one buffer, and no file gets bytes of an earlier one', async () => {
    // Each request's files get shorter, so a stale length or offset would show the previous request's bytes;
    // each request also has a file that outgrows the buffer and streams (its held start must come along).
    const requests = [0, 1, 2].map((r) => [
      { deviceName: `D/a${r}`, hostPath: `${UDID}/ab/a${r}`, data: pattern(400_000 - r * 150_000, r), blockSize: 4093 },
      { deviceName: `D/b${r}`, hostPath: `${UDID}/ab/b${r}`, data: pattern(3 - r, r + 10) },
      { deviceName: `D/c${r}`, hostPath: `${UDID}/ab/c${r}`, data: pattern(600_000 + r, r + 20), blockSize: 100_000 },
    ]);
    const SMALL = 512 * 1024;
    const spy = vi.spyOn(Buffer, 'allocUnsafeSlow');
    for (const worker of [new StagedWriteWorker(1), undefined]) {
      spy.mockClear();
      const dir = worker ? 'ab' : 'cd';
      await mkdir(join(stage, dir), { recursive: true });
      const both = await socketPair({ directReads: true });
      const loop = startStagingLoop(both.host, stage, UDID, worker ? { smallFileWorker: worker } : {});
      try {
        const all: { hostPath: string; data: Buffer }[] = [];
        for (const files of requests) {
          const placed = files.map((f) => ({ ...f, hostPath: f.hostPath.replace('/ab/', `/${dir}/`) }));
          both.device.send(dlUploadFiles(1));
          both.device.sendRaw(uploadStream(placed));
          expect((await both.device.receiveStatus()).code).toBe(0);
          all.push(...placed);
        }
        both.device.send(dlProcessMessage({ MessageName: 'Response', ErrorCode: 0 }));
        expect((await loop).kind).toBe('result');
        // (small files may still be stored after their upload is answered; the loop's end waits for them)
        for (const f of all) expect((await readFile(join(stage, f.hostPath.slice(UDID.length + 1)))).equals(f.data)).toBe(true);
        // one small-file buffer for the connection, not one per request
        expect(spy.mock.calls.filter(([n]) => n === SMALL)).toHaveLength(1);
      } finally {
        both.close();
        await worker?.close();
      }
    }
    spy.mockRestore();
  });
});
