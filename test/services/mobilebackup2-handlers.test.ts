import { existsSync } from 'node:fs';
import { link, mkdir, mkdtemp, readdir, readFile, rm, stat, statfs, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  dlContentsOfDirectory,
  dlCopyItem,
  dlCreateDirectory,
  dlDownloadFiles,
  dlGetFreeDiskSpace,
  dlMoveItems,
  dlProcessMessage,
  dlRemoveItems,
  dlUploadFiles,
} from '../../protocols/index.js';
import { ConfinedPathResolver } from '../../src/backup/confine.js';
import { DeviceLinkConnection, runDeviceLinkLoop, type Mb2LoopObserver } from '../../src/services/mobilebackup2/index.js';
import { asDict, socketPair, uploadStream, type SocketPair } from './mobilebackup2-scripted-device.js';

const UDID = '00008120-001A2B3C4D5E0001';
let tmp: string;
let stage: string;
let pair: SocketPair;

beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'mb2-handlers-'));
  stage = join(tmp, 'stage');
  await mkdir(stage);
  pair = await socketPair();
});
afterEach(async () => {
  pair.close();
  await rm(tmp, { recursive: true, force: true });
});

function startLoop(observer: Mb2LoopObserver = {}) {
  return runDeviceLinkLoop({
    dl: new DeviceLinkConnection(pair.host),
    paths: new ConfinedPathResolver(stage, [UDID]),
    volumePath: tmp,
    fsyncFiles: false,
    observer,
  });
}

async function finish(loop: ReturnType<typeof startLoop>) {
  pair.device.send(dlProcessMessage({ MessageName: 'Response', ErrorCode: 0 }));
  const end = await loop;
  expect(end).toEqual({ kind: 'result', result: { MessageName: 'Response', ErrorCode: 0 } });
}

describe('DownloadFiles', () => {
  it('streams files in blocks of at most 32 KiB and reports missing files as −13 multi status', async () => {
    const content = Buffer.alloc(70_000, 7);
    content.write('hello', 0);
    await writeFile(join(stage, 'Status.plist'), content);
    const loop = startLoop();
    const { device } = pair;
    device.send(dlDownloadFiles([`${UDID}/Status.plist`, `${UDID}/Manifest.plist`], 1.5));
    const files = await device.receiveDownloadStream();
    expect(files).toHaveLength(2);
    expect(files[0]!.path).toBe(`${UDID}/Status.plist`);
    expect(files[0]!.data.equals(content)).toBe(true);
    expect(files[1]).toMatchObject({ path: `${UDID}/Manifest.plist`, error: 'No such file or directory' });
    const status = await device.receiveStatus();
    expect(status.code).toBe(-13);
    expect(status.status1).toBe('Multi status');
    expect(asDict(status.status2)[`${UDID}/Manifest.plist`]).toEqual({ DLFileErrorString: 'No such file or directory', DLFileErrorCode: -6 });
    await finish(loop);
  });

  it('answers an empty request with the terminator and status 0; an empty file is just the success block', async () => {
    await writeFile(join(stage, 'empty'), '');
    const loop = startLoop();
    pair.device.send(dlDownloadFiles([]));
    expect(await pair.device.receiveDownloadStream()).toEqual([]);
    expect((await pair.device.receiveStatus()).code).toBe(0);
    pair.device.send(dlDownloadFiles([`${UDID}/empty`]));
    expect(await pair.device.receiveDownloadStream()).toEqual([{ path: `${UDID}/empty`, data: Buffer.alloc(0), error: undefined }]);
    expect((await pair.device.receiveStatus()).code).toBe(0);
    await finish(loop);
  });

  it('sends many files of every block and read-piece boundary size byte for byte (reads overlap the sending)', async () => {
    const KiB = 1024;
    const MiB = 1024 * KiB;
    const sizes = [0, 1, 32 * KiB - 1, 32 * KiB, 32 * KiB + 1, MiB - 1, MiB, MiB + 1, 2 * MiB + 5, 3 * MiB + 32 * KiB, 7, 0, 64 * KiB, 9 * MiB + 3];
    const names: string[] = [];
    const contents: Buffer[] = [];
    for (const [i, size] of sizes.entries()) {
      // Different bytes in every file and every position: a read buffer reused before its bytes left would show.
      const data = Buffer.alloc(size);
      for (let k = 0; k < size; k++) data[k] = (k * 7 + i * 13 + (k >> 15)) & 0xff;
      await writeFile(join(stage, `f${i}`), data);
      names.push(`${UDID}/f${i}`);
      contents.push(data);
    }
    const loop = startLoop();
    // The device stops reading until the host has bytes waiting in its own socket buffer (the kernel's is full):
    // from then on the host must not reuse a read buffer whose bytes are still waiting there.
    pair.device.socket.pause();
    pair.device.send(dlDownloadFiles(names));
    for (let waited = 0; pair.host.writableLength === 0 && waited < 500; waited++) await new Promise((r) => setTimeout(r, 10));
    expect(pair.host.writableLength).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 50));
    pair.device.socket.resume();
    const files = await pair.device.receiveDownloadStream();
    expect(files.map((f) => f.path)).toEqual(names);
    files.forEach((f, i) => {
      expect(f.error).toBeUndefined();
      expect(f.data.length).toBe(sizes[i]);
      expect(f.data.equals(contents[i]!)).toBe(true);
    });
    expect((await pair.device.receiveStatus()).code).toBe(0);
    await finish(loop);
  });

  it('reuses one pair of read buffers for every request on a connection; back-to-back requests arrive intact', async () => {
    // Several 4 MiB read pieces per large file, so buffers are reused within a file and across requests.
    const sizes = [9 * 1024 * 1024 + 17, 6 * 1024 * 1024 + 5, 100];
    const contents = sizes.map((size, i) => {
      const data = Buffer.alloc(size);
      for (let k = 0; k < size; k++) data[k] = (k * 11 + i * 29 + (k >> 15)) & 0xff;
      return data;
    });
    for (const [i, data] of contents.entries()) await writeFile(join(stage, `r${i}`), data);
    const spy = vi.spyOn(Buffer, 'allocUnsafeSlow');
    try {
      const loop = startLoop();
      // Three requests sent at once while the device does not read, so each starts while the one before it is
      // still leaving the host (its end waits for 'drain'; a buffer is reused only once released, see ReadBuffers).
      pair.device.socket.pause();
      for (let i = 0; i < sizes.length; i++) pair.device.send(dlDownloadFiles([`${UDID}/r${i}`]));
      for (let waited = 0; pair.host.writableLength === 0 && waited < 500; waited++) await new Promise((r) => setTimeout(r, 10));
      pair.device.socket.resume();
      for (let i = 0; i < sizes.length; i++) {
        const files = await pair.device.receiveDownloadStream();
        expect(files).toHaveLength(1);
        expect(files[0]!.data.equals(contents[i]!)).toBe(true);
        expect((await pair.device.receiveStatus()).code).toBe(0);
      }
      await finish(loop);
      // 128 slots of [5-byte header][32 KiB] per buffer, two buffers for the connection
      expect(spy.mock.calls.filter(([n]) => n === 128 * (5 + 32 * 1024))).toHaveLength(2);
    } finally {
      spy.mockRestore();
    }
  });
});

describe('DeviceLinkConnection.queue', () => {
  it('on a closed connection: DEVICE_DISCONNECTED, and the bytes are released at once (their buffer may be reused)', async () => {
    const dl = new DeviceLinkConnection(pair.host);
    pair.host.destroy();
    let released = 0;
    await expect(dl.queue(Buffer.alloc(100), undefined, () => released++)).rejects.toMatchObject({ code: 'DEVICE_DISCONNECTED' });
    expect(released).toBe(1);
  });
});

describe('UploadFiles', () => {
  it('writes each file under a temporary name, renames it into place, and keeps the stream in sync after failures', async () => {
    const received: string[] = [];
    const failed: string[] = [];
    let bytes = 0;
    const loop = startLoop({
      fileReceived: (f) => received.push(f.devicePath),
      fileFailed: (f) => failed.push(`${f.devicePath}: ${f.message}`),
      bytesReceived: (n) => (bytes += n),
    });
    const { device } = pair;
    device.send(dlCreateDirectory(`${UDID}/Snapshot/ab`));
    expect((await device.receiveStatus()).code).toBe(0);
    const big = Buffer.alloc(1_000_000);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
    device.send(dlUploadFiles(big.length + 3, 50));
    device.sendRaw(
      uploadStream([
        { deviceName: 'HomeDomain/a', hostPath: `${UDID}/Snapshot/ab/ab01`, data: Buffer.from('abc') },
        { deviceName: 'HomeDomain/big', hostPath: `${UDID}/Snapshot/ab/ab02`, data: big, blockSize: 65_536 },
        { deviceName: 'HomeDomain/gone', hostPath: `${UDID}/Snapshot/ab/ab03`, data: Buffer.from('partial'), error: 'vanished' },
        { deviceName: 'HomeDomain/nodir', hostPath: `${UDID}/Snapshot/cd/cd01`, data: Buffer.from('x') },
      ]),
    );
    const status = await device.receiveStatus();
    expect(status.code).toBe(-6); // the missing parent folder (the host does not create it)
    expect(await readFile(join(stage, 'Snapshot/ab/ab01'), 'utf8')).toBe('abc');
    expect((await readFile(join(stage, 'Snapshot/ab/ab02'))).equals(big)).toBe(true);
    expect(existsSync(join(stage, 'Snapshot/ab/ab03'))).toBe(false);
    expect(await readdir(join(stage, 'Snapshot/ab'))).toEqual(['ab01', 'ab02']);
    expect(received).toEqual([`${UDID}/Snapshot/ab/ab01`, `${UDID}/Snapshot/ab/ab02`]);
    expect(failed).toEqual([`${UDID}/Snapshot/ab/ab03: vanished`, `${UDID}/Snapshot/cd/cd01: No such file or directory`]);
    expect(bytes).toBe(3 + big.length + 7 + 1);
    // the next request is read correctly after the raw stream
    device.send(dlUploadFiles(0, 60));
    device.sendRaw(uploadStream([]));
    expect((await device.receiveStatus()).code).toBe(0);
    await finish(loop);
  });

  it('replaces a hard-linked file by rename, never writing into the shared inode', async () => {
    const previous = join(tmp, 'previous');
    await mkdir(previous);
    await writeFile(join(previous, 'Status.plist'), 'old status');
    await link(join(previous, 'Status.plist'), join(stage, 'Status.plist'));
    const loop = startLoop();
    pair.device.send(dlUploadFiles(10));
    pair.device.sendRaw(uploadStream([{ deviceName: 'Status', hostPath: `${UDID}/Status.plist`, data: Buffer.from('new status') }]));
    expect((await pair.device.receiveStatus()).code).toBe(0);
    expect(await readFile(join(stage, 'Status.plist'), 'utf8')).toBe('new status');
    expect(await readFile(join(previous, 'Status.plist'), 'utf8')).toBe('old status');
    await finish(loop);
  });

  it('also works when the request and the stream arrive in one write, split at odd places', async () => {
    const loop = startLoop();
    const { encodeLockdownFrame } = await import('../../protocols/index.js');
    const all = Buffer.concat([
      encodeLockdownFrame(dlUploadFiles(5), 'binary'),
      uploadStream([{ deviceName: 'd', hostPath: `${UDID}/f`, data: Buffer.from('12345'), blockSize: 2 }]),
      encodeLockdownFrame(dlGetFreeDiskSpace(), 'binary'),
    ]);
    for (let off = 0; off < all.length; off += 7) pair.device.sendRaw(all.subarray(off, off + 7));
    expect((await pair.device.receiveStatus()).code).toBe(0);
    expect((await pair.device.receiveStatus()).code).toBe(0);
    expect(await readFile(join(stage, 'f'), 'utf8')).toBe('12345');
    await finish(loop);
  });
});

describe('file-system requests', () => {
  it('GetFreeDiskSpace returns the free bytes of the backup volume', async () => {
    const loop = startLoop();
    pair.device.send(dlGetFreeDiskSpace());
    const status = await pair.device.receiveStatus();
    const st = await statfs(tmp);
    expect(status.code).toBe(0);
    const free = Number(status.status2);
    expect(Math.abs(free - st.bavail * st.bsize)).toBeLessThan(64 * 1024 * 1024);
    await finish(loop);
  });

  it('ContentsOfDirectory lists types, sizes and dates; a missing folder is {}', async () => {
    await mkdir(join(stage, 'sub'));
    await writeFile(join(stage, 'file'), '12345');
    await writeFile(join(stage, '.ibtmp-0123'), 'temp');
    const loop = startLoop();
    pair.device.send(dlContentsOfDirectory(UDID));
    const st = await pair.device.receiveStatus();
    const listing = asDict(st.status2);
    expect(Object.keys(listing).sort()).toEqual(['file', 'sub']);
    expect(listing.file).toMatchObject({ DLFileType: 'DLFileTypeRegular', DLFileSize: 5 });
    expect(asDict(listing.file).DLFileModificationDate).toBeInstanceOf(Date);
    expect(listing.sub).toMatchObject({ DLFileType: 'DLFileTypeDirectory' });
    pair.device.send(dlContentsOfDirectory(`${UDID}/nope`));
    expect(await pair.device.receiveStatus()).toMatchObject({ code: 0, status2: {} });
    await finish(loop);
  });

  it('MoveItems replaces the destination; RemoveItems deletes recursively and ignores missing paths', async () => {
    await mkdir(join(stage, 'Snapshot/ab'), { recursive: true });
    await writeFile(join(stage, 'Snapshot/ab/new'), 'new');
    await mkdir(join(stage, 'ab'));
    await writeFile(join(stage, 'ab/old'), 'old');
    await writeFile(join(stage, 'Snapshot/Manifest.db'), 'db');
    const loop = startLoop();
    pair.device.send(dlMoveItems({ [`${UDID}/Snapshot/ab`]: `${UDID}/ab`, [`${UDID}/Snapshot/Manifest.db`]: `${UDID}/Manifest.db` }, 95));
    expect((await pair.device.receiveStatus()).code).toBe(0);
    expect(await readdir(join(stage, 'ab'))).toEqual(['new']);
    expect(await readFile(join(stage, 'Manifest.db'), 'utf8')).toBe('db');
    pair.device.send(dlMoveItems({ [`${UDID}/missing`]: `${UDID}/Manifest.db` }));
    const failed = await pair.device.receiveStatus();
    expect(failed).toMatchObject({ code: -6, status1: 'No such file or directory' });
    expect(await readFile(join(stage, 'Manifest.db'), 'utf8')).toBe('db'); // a failed move removes nothing
    // every kind of destination is replaced: a file by a folder, a folder by a file, and two names of one file
    await writeFile(join(stage, 'f'), 'file');
    await mkdir(join(stage, 'Snapshot/d'), { recursive: true });
    await writeFile(join(stage, 'Snapshot/d/x'), 'x');
    await writeFile(join(stage, 'g'), 'g');
    await link(join(stage, 'g'), join(stage, 'g2'));
    pair.device.send(dlMoveItems({ [`${UDID}/Snapshot/d`]: `${UDID}/f`, [`${UDID}/Manifest.db`]: `${UDID}/ab`, [`${UDID}/g2`]: `${UDID}/g` }));
    expect((await pair.device.receiveStatus()).code).toBe(0);
    expect(await readdir(join(stage, 'f'))).toEqual(['x']);
    expect(await readFile(join(stage, 'ab'), 'utf8')).toBe('db');
    expect(await readFile(join(stage, 'g'), 'utf8')).toBe('g');
    expect(existsSync(join(stage, 'g2'))).toBe(false);
    expect(existsSync(join(stage, 'Manifest.db'))).toBe(false);
    pair.device.send(dlRemoveItems([`${UDID}/Snapshot`, `${UDID}/not-there`], 97));
    expect((await pair.device.receiveStatus()).code).toBe(0);
    expect(existsSync(join(stage, 'Snapshot'))).toBe(false);
    await finish(loop);
  });

  it('CopyItem copies a file; PurgeDiskSpace is refused with −1; unknown requests get no reply', async () => {
    await writeFile(join(stage, 'a'), 'A');
    const loop = startLoop();
    pair.device.send(dlCopyItem(`${UDID}/a`, `${UDID}/b`));
    expect((await pair.device.receiveStatus()).code).toBe(0);
    expect(await readFile(join(stage, 'b'), 'utf8')).toBe('A');
    pair.device.send(['DLMessagePurgeDiskSpace']);
    expect(await pair.device.receiveStatus()).toMatchObject({ code: -1, status1: 'Operation not supported' });
    pair.device.send(['DLMessageSomethingNew', 1]);
    pair.device.send(dlCreateDirectory(`${UDID}/after`));
    expect((await pair.device.receiveStatus()).code).toBe(0);
    expect((await stat(join(stage, 'after'))).isDirectory()).toBe(true);
    await finish(loop);
  });

  it('ends the loop on DLMessageDisconnect', async () => {
    const loop = startLoop();
    pair.device.send(['DLMessageDisconnect', 'bye']);
    expect(await loop).toEqual({ kind: 'disconnect', reason: 'bye' });
  });
});

describe('path confinement', () => {
  const outsideName = 'outside-victim';
  const hostile: [string, () => unknown[]][] = [
    ['../ in an upload', () => dlUploadFiles(1)],
    ['an absolute download path', () => dlDownloadFiles(['/etc/passwd'])],
    ['.. in CreateDirectory', () => dlCreateDirectory(`${UDID}/../${outsideName}`)],
    ['another folder than the UDID', () => dlCreateDirectory(`OTHER-UDID/x`)],
    ['a drive letter', () => dlCreateDirectory(`C:\\Windows`)],
    ['a NUL byte', () => dlCreateDirectory(`${UDID}/a\0b`)],
    ['a backslash', () => dlCreateDirectory(`${UDID}\\..\\${outsideName}`)],
    ['a move out of the folder', () => dlMoveItems({ [`${UDID}/a`]: `${UDID}/../${outsideName}` })],
    ['a removal of the parent', () => dlRemoveItems([`${UDID}/..`])],
  ];
  for (const [what, msg] of hostile) {
    it(`refuses ${what} with UNSAFE_PATH and writes nothing outside`, async () => {
      await writeFile(join(stage, 'a'), 'a');
      const before = (await readdir(tmp)).sort();
      const loop = startLoop();
      pair.device.send(msg() as never);
      if (what.includes('upload')) {
        pair.device.sendRaw(uploadStream([{ deviceName: 'x', hostPath: `${UDID}/../${outsideName}`, data: Buffer.from('pwned') }]));
      }
      await expect(loop).rejects.toMatchObject({ code: 'UNSAFE_PATH' });
      expect((await readdir(tmp)).sort()).toEqual(before);
      expect(existsSync(join(tmp, outsideName))).toBe(false);
    });
  }

  it('refuses writes through a symlink that leads outside the backup folder', async () => {
    const outside = join(tmp, 'outside');
    await mkdir(outside);
    await symlink(outside, join(stage, 'ab'));
    const loop = startLoop();
    pair.device.send(dlUploadFiles(5));
    pair.device.sendRaw(uploadStream([{ deviceName: 'x', hostPath: `${UDID}/ab/evil`, data: Buffer.from('pwned') }]));
    await expect(loop).rejects.toMatchObject({ code: 'UNSAFE_PATH' });
    expect(await readdir(outside)).toEqual([]);
  });

  it('refuses reads through a symlink that leads outside, but allows links that stay inside', async () => {
    await writeFile(join(tmp, 'secret'), 'secret');
    await symlink(join(tmp, 'secret'), join(stage, 'leak'));
    await mkdir(join(stage, 'real'));
    await writeFile(join(stage, 'real/f'), 'inside');
    await symlink(join(stage, 'real'), join(stage, 'alias'));
    const loop = startLoop();
    pair.device.send(dlDownloadFiles([`${UDID}/alias/f`]));
    const files = await pair.device.receiveDownloadStream();
    expect(files[0]!.data.toString()).toBe('inside');
    await pair.device.receiveStatus();
    pair.device.send(dlDownloadFiles([`${UDID}/leak`]));
    await expect(loop).rejects.toMatchObject({ code: 'UNSAFE_PATH' });
  });
});
