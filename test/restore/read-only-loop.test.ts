// The restore's DeviceLink loop against a scripted device over a real unix socket: files are served from the
// backup folder in 32 KiB blocks with −13 multi-status for missing ones, and every request that would change the
// backup (create, move, remove, copy, upload) is refused without touching the folder.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  decodePlist,
  dlContentsOfDirectory,
  dlCopyItem,
  dlCreateDirectory,
  dlDownloadFiles,
  dlMoveItems,
  dlProcessMessage,
  dlRemoveItems,
  dlUploadFiles,
  encodeDataBlockHeader,
  encodeDLMessage,
  encodeStreamName,
  encodeStreamTerminator,
  encodeSuccessBlock,
  plistNumber,
  type DLMessage,
  type PlistValue,
} from '../../protocols/index.js';
import { readOnlyRequestHandlers, ReadOnlyPathResolver } from '../../src/backup/restore/index.js';
import { DeviceLinkConnection, runDeviceLinkLoop, type DeviceLinkLoopEnd } from '../../src/services/mobilebackup2/index.js';

const UDID = '00008120-00AABBCCDDEE0011';
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

/** The device end of the socket: send DL messages, read raw bytes and framed replies. */
class ScriptedDevice {
  private buf = Buffer.alloc(0);
  private waiting: (() => void) | undefined;
  constructor(readonly sock: net.Socket) {
    sock.on('data', (c: Buffer) => {
      this.buf = Buffer.concat([this.buf, c]);
      this.waiting?.();
    });
  }
  send(msg: DLMessage): void {
    this.sock.write(encodeDLMessage(msg));
  }
  raw(bytes: Buffer): void {
    this.sock.write(bytes);
  }
  async read(n: number): Promise<Buffer> {
    while (this.buf.length < n) await new Promise<void>((r) => (this.waiting = r));
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }
  async u32(): Promise<number> {
    return (await this.read(4)).readUInt32BE(0);
  }
  async message(): Promise<PlistValue[]> {
    return decodePlist(await this.read(await this.u32())) as PlistValue[];
  }
  /** One file of a DownloadFiles answer: its name, data blocks and how it ended. */
  async downloadedFile(): Promise<{ name: string; data: Buffer; blocks: number[]; end: number; text: string } | undefined> {
    const nameLen = await this.u32();
    if (nameLen === 0) return undefined;
    const name = (await this.read(nameLen)).toString('utf8');
    const parts: Buffer[] = [];
    const blocks: number[] = [];
    for (;;) {
      const n = await this.u32();
      const code = (await this.read(1))[0]!;
      const body = await this.read(n - 1);
      if (code === 0x0c) {
        parts.push(body);
        blocks.push(body.length);
        continue;
      }
      return { name, data: Buffer.concat(parts), blocks, end: code, text: body.toString('utf8') };
    }
  }
}

function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = statSync(p);
      out.push(`${p} ${st.isDirectory() ? 'dir' : createHash('sha1').update(readFileSync(p)).digest('hex')} ${st.mtimeMs}`);
      if (st.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out;
}

async function setup(): Promise<{ dev: ScriptedDevice; loop: Promise<DeviceLinkLoopEnd>; backupDir: string; big: Buffer }> {
  const tmp = mkdtempSync(join(tmpdir(), 'ibk-ro-'));
  cleanups.push(() => rmSync(tmp, { recursive: true, force: true }));
  const backupDir = join(tmp, 'backups', 'renamed-copy');
  mkdirSync(join(backupDir, 'ab'), { recursive: true });
  const big = randomBytes(100_000);
  writeFileSync(join(backupDir, 'Info.plist'), 'info');
  writeFileSync(join(backupDir, 'ab', 'ab01'), big);
  writeFileSync(join(backupDir, 'empty'), '');
  writeFileSync(join(tmp, 'backups', 'secret'), 'outside the backup');

  const server = net.createServer();
  const sockPath = join(tmp, 'dl.sock');
  await new Promise<void>((r) => server.listen(sockPath, r));
  const accepted = new Promise<net.Socket>((r) => server.once('connection', r));
  const deviceSock = net.connect(sockPath);
  const hostSock = await accepted;
  cleanups.push(() => {
    deviceSock.destroy();
    hostSock.destroy();
    server.close();
  });
  const loop = runDeviceLinkLoop(
    { dl: new DeviceLinkConnection(hostSock), paths: new ReadOnlyPathResolver(backupDir, UDID), volumePath: backupDir },
    readOnlyRequestHandlers,
  );
  loop.catch(() => undefined);
  return { dev: new ScriptedDevice(deviceSock), loop, backupDir, big };
}

describe('the read-only DeviceLink loop of a restore', () => {
  it('serves files in ≤ 32 KiB blocks with −13 multi-status, lists folders, and refuses every change', async () => {
    const { dev, loop, backupDir, big } = await setup();
    const before = tree(join(backupDir, '..'));

    dev.send(dlDownloadFiles([`${UDID}/ab/ab01`, `${UDID}/missing`, `${UDID}/empty`], 12.5));
    const f1 = await dev.downloadedFile();
    expect(f1).toMatchObject({ name: `${UDID}/ab/ab01`, end: 0 });
    expect(Buffer.compare(f1!.data, big)).toBe(0);
    expect(Math.max(...f1!.blocks)).toBe(32 * 1024);
    const f2 = await dev.downloadedFile();
    expect(f2).toMatchObject({ name: `${UDID}/missing`, end: 0x06, text: 'No such file or directory' });
    const f3 = await dev.downloadedFile();
    expect(f3).toMatchObject({ name: `${UDID}/empty`, end: 0, blocks: [] });
    expect(await dev.downloadedFile()).toBeUndefined();
    const status = await dev.message();
    expect(status.slice(0, 3)).toEqual(['DLMessageStatusResponse', -13, 'Multi status']);
    expect(status[3]).toEqual({ [`${UDID}/missing`]: { DLFileErrorString: 'No such file or directory', DLFileErrorCode: -6 } });

    dev.send(dlContentsOfDirectory(UDID));
    const listing = await dev.message();
    expect(listing[1]).toBe(0);
    expect(Object.keys(listing[3] as object).sort()).toEqual(['Info.plist', 'ab', 'empty']);

    const refusals: DLMessage[] = [
      dlCreateDirectory(`${UDID}/new`),
      dlRemoveItems([`${UDID}/Info.plist`, `${UDID}/ab`]),
      dlMoveItems({ [`${UDID}/Info.plist`]: `${UDID}/moved` }),
      dlCopyItem(`${UDID}/Info.plist`, `${UDID}/copy`),
    ];
    for (const msg of refusals) {
      dev.send(msg);
      const reply = await dev.message();
      expect(reply.slice(0, 3), String(msg[0])).toEqual(['DLMessageStatusResponse', -1, 'Read-only file system']);
    }

    // An upload is read to its end and thrown away; the loop stays in step for the next message.
    dev.send(dlUploadFiles(5, 50));
    dev.raw(Buffer.concat([encodeStreamName('HomeDomain/x'), encodeStreamName(`${UDID}/uploaded`), encodeDataBlockHeader(5), Buffer.from('hello'), encodeSuccessBlock(), encodeStreamTerminator()]));
    expect((await dev.message()).slice(0, 3)).toEqual(['DLMessageStatusResponse', -1, 'Read-only file system']);

    dev.send(dlProcessMessage({ MessageName: 'Response', ErrorCode: 0 }));
    const end = await loop;
    expect(end.kind).toBe('result');
    expect(plistNumber((end as { result: Record<string, PlistValue> }).result.ErrorCode)).toBe(0);
    expect(tree(join(backupDir, '..'))).toEqual(before);
    expect(existsSync(join(backupDir, 'uploaded'))).toBe(false);
  });

  it.each([`${UDID}/../secret`, 'OTHER-UDID/Info.plist', '/etc/passwd'])('stops on an unsafe download path %s', async (path) => {
    const { dev, loop } = await setup();
    dev.send(dlDownloadFiles([path]));
    await expect(loop).rejects.toMatchObject({ code: 'UNSAFE_PATH' });
  });
});
