import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { openSimFileSystem } from '../../mocks/fs/index.js';
import { mutate } from '../../mocks/datasets/index.js';
import type { SimFileEntry, SimFileSystem } from '../../mocks/types.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'simfs-'));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function readAll(fs: SimFileSystem, e: SimFileEntry): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of fs.openRead(e)) parts.push(c as Buffer);
  return Buffer.concat(parts);
}
const sha1 = (b: Buffer) => createHash('sha1').update(b).digest('hex');

const fileEntry = (relativePath: string, size: number): SimFileEntry => ({
  domain: 'HomeDomain', relativePath, type: 'file', mode: 0o600, size, mtime: 1_600_000_000, ctime: 1_600_000_001,
  birth: 1_599_000_000, uid: 501, gid: 501, inode: 42, protectionClass: 3,
});

describe('SimFileSystem operations', () => {
  it('put stores real bytes, keeps metadata, and survives reopening the state directory', async () => {
    const dir = await tempDir();
    const fs = await openSimFileSystem({ stateDir: dir, dataset: 'tiny' });
    const data = Buffer.from('hello device '.repeat(10_000));
    await fs.put(fileEntry('Documents/new.txt', 0), Readable.from([data.subarray(0, 1000), data.subarray(1000)]));
    const got = fs.get('HomeDomain', 'Documents/new.txt');
    expect(got).toMatchObject({ size: data.length, mode: 0o600, inode: 42, mtime: 1_600_000_000 });
    expect(sha1(await readAll(fs, got as SimFileEntry))).toBe(sha1(data));
    const idBefore = fs.contentId?.('HomeDomain', 'Documents/new.txt');

    await fs.put({ ...fileEntry('Library/link', 0), type: 'symlink', target: '../Documents/new.txt' });
    await fs.remove('HomeDomain', 'Library/SMS');

    const again = await openSimFileSystem({ stateDir: dir, dataset: 'empty' }); // dataset ignored: state is reused
    expect(again.entries()).toEqual(fs.entries());
    expect(again.get('HomeDomain', 'Library/SMS/sms.db')).toBeUndefined();
    expect(again.get('HomeDomain', 'Library/SMS')).toBeUndefined();
    expect(again.get('HomeDomain', 'Library/link')?.target).toBe('../Documents/new.txt');
    expect(sha1(await readAll(again, again.get('HomeDomain', 'Documents/new.txt') as SimFileEntry))).toBe(sha1(data));
    expect(again.contentId?.('HomeDomain', 'Documents/new.txt')).toBe(idBefore);

    await again.put(fileEntry('Documents/new.txt', 0), Readable.from([Buffer.from('v2')]));
    expect(again.contentId?.('HomeDomain', 'Documents/new.txt')).not.toBe(idBefore);
    expect((await readAll(again, again.get('HomeDomain', 'Documents/new.txt') as SimFileEntry)).toString()).toBe('v2');
  });

  it('putWriter stores what put stores (pieces of any size, a MiB at a time), and an aborted writer changes nothing', async () => {
    const dir = await tempDir();
    const fs = await openSimFileSystem({ stateDir: dir, dataset: 'tiny' });
    const data = Buffer.alloc(3 * 1024 * 1024 + 12_345);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7919) >>> 5;
    const w = fs.putWriter!(fileEntry('Media/DCIM/IMG_1.HEIC', 0));
    for (let at = 0; at < data.length; at += 32 * 1024 + 3) w.write(data.subarray(at, Math.min(data.length, at + 32 * 1024 + 3)));
    expect(fs.get('HomeDomain', 'Media/DCIM/IMG_1.HEIC')).toBeUndefined(); // appears at end()
    await w.end();
    const got = fs.get('HomeDomain', 'Media/DCIM/IMG_1.HEIC') as SimFileEntry;
    expect(got.size).toBe(data.length);
    expect(sha1(await readAll(fs, got))).toBe(sha1(data));
    await fs.put(fileEntry('Media/DCIM/IMG_2.HEIC', 0), Readable.from([data]));
    expect(fs.contentId?.('HomeDomain', 'Media/DCIM/IMG_1.HEIC')).toBe(fs.contentId?.('HomeDomain', 'Media/DCIM/IMG_2.HEIC'));

    const aborted = fs.putWriter!(fileEntry('Media/DCIM/IMG_1.HEIC', 0));
    aborted.write(Buffer.from('partial'));
    aborted.abort();
    expect(sha1(await readAll(fs, fs.get('HomeDomain', 'Media/DCIM/IMG_1.HEIC') as SimFileEntry))).toBe(sha1(data));
    const again = await openSimFileSystem({ stateDir: dir, dataset: 'empty' });
    expect(sha1(await readAll(again, again.get('HomeDomain', 'Media/DCIM/IMG_1.HEIC') as SimFileEntry))).toBe(sha1(data));
  });

  it('contentChunks reads stored bytes synchronously in pieces of at most maxChunk, equal to openRead', async () => {
    const fs = await openSimFileSystem({ stateDir: await tempDir(), dataset: 'tiny' });
    const data = Buffer.alloc(2 * 1024 * 1024 + 777);
    for (let i = 0; i < data.length; i++) data[i] = (i * 104_729) >>> 7;
    await fs.put(fileEntry('Media/DCIM/IMG_3.HEIC', 0), Readable.from([data]));
    const e = fs.get('HomeDomain', 'Media/DCIM/IMG_3.HEIC') as SimFileEntry;
    const pieces = [...(fs.contentChunks?.(e, 1024 * 1024) ?? [])];
    expect(pieces.map((p) => p.length)).toEqual([1024 * 1024, 1024 * 1024, 777]);
    expect(sha1(Buffer.concat(pieces))).toBe(sha1(data));
    expect(sha1(await readAll(fs, e))).toBe(sha1(data));
    await fs.put(fileEntry('Media/empty', 0), Readable.from([Buffer.alloc(0)]));
    expect([...(fs.contentChunks?.(fs.get('HomeDomain', 'Media/empty') as SimFileEntry) ?? ['not iterable'])]).toEqual([]);
  });

  it("putWriter with content 'hash' records size and SHA-1 only; reading the file back fails with SIM_CONTENT_NOT_KEPT", async () => {
    const dir = await tempDir();
    const fs = await openSimFileSystem({ stateDir: dir, dataset: 'tiny' });
    const data = Buffer.from('restored bytes '.repeat(5000));
    const w = fs.putWriter!(fileEntry('Documents/kept-as-hash.txt', 0), { content: 'hash' });
    w.write(data.subarray(0, 100));
    w.write(data.subarray(100));
    await w.end();
    expect(fs.get('HomeDomain', 'Documents/kept-as-hash.txt')?.size).toBe(data.length);
    expect(fs.contentId?.('HomeDomain', 'Documents/kept-as-hash.txt')).toBe(`sha1:${sha1(data)}`);
    await expect(readAll(fs, fs.get('HomeDomain', 'Documents/kept-as-hash.txt') as SimFileEntry)).rejects.toMatchObject({
      code: 'SIM_CONTENT_NOT_KEPT',
    });
  });

  it("putWriter with content 'size' records the size only, a new content id per put; reading back fails with SIM_CONTENT_NOT_KEPT", async () => {
    const fs = await openSimFileSystem({ stateDir: await tempDir(), dataset: 'tiny' });
    const put = async (parts: Buffer[]): Promise<string | undefined> => {
      const w = fs.putWriter!(fileEntry('Documents/kept-as-size.bin', 0), { content: 'size' });
      for (const p of parts) w.write(p);
      await w.end();
      return fs.contentId?.('HomeDomain', 'Documents/kept-as-size.bin');
    };
    const first = await put([Buffer.alloc(70_000, 1), Buffer.alloc(30_000, 2)]);
    expect(fs.get('HomeDomain', 'Documents/kept-as-size.bin')?.size).toBe(100_000);
    expect(first).toMatch(/^received:[0-9a-f]{16}$/);
    const second = await put([Buffer.alloc(100_000, 1)]);
    expect(second).not.toBe(first); // same size, but a new put: the content may have changed
    await expect(readAll(fs, fs.get('HomeDomain', 'Documents/kept-as-size.bin') as SimFileEntry)).rejects.toMatchObject({
      code: 'SIM_CONTENT_NOT_KEPT',
      message: expect.stringContaining("restoreContent 'size'"),
    });
    expect(await put([])).toBe('empty');
  });

  it('metadata-only put keeps content; invalid paths are refused; missing files cannot be opened', async () => {
    const fs = await openSimFileSystem({ stateDir: await tempDir(), dataset: 'tiny' });
    const sms = fs.get('HomeDomain', 'Library/SMS/sms.db') as SimFileEntry;
    const before = sha1(await readAll(fs, sms));
    await fs.put({ ...sms, mode: 0o600, size: 1 });
    const after = fs.get('HomeDomain', 'Library/SMS/sms.db') as SimFileEntry;
    expect(after.mode).toBe(0o600);
    expect(after.size).toBe(sms.size);
    expect(sha1(await readAll(fs, after))).toBe(before);
    await expect(fs.put(fileEntry('../escape', 0))).rejects.toMatchObject({ code: 'SIM_FS_BAD_ENTRY' });
    await expect(fs.put(fileEntry('/abs', 0))).rejects.toMatchObject({ code: 'SIM_FS_BAD_ENTRY' });
    expect(() => fs.openRead(fileEntry('nope', 0))).toThrow(expect.objectContaining({ code: 'SIM_FS_NOT_FOUND' }));
    expect(() => fs.openRead(fs.get('HomeDomain', 'Library') as SimFileEntry)).toThrow();
  });

  it('wipe empties the device, also after reopening', async () => {
    const dir = await tempDir();
    const fs = await openSimFileSystem({ stateDir: dir, dataset: 'tiny' });
    await fs.put(fileEntry('Documents/x', 0), Readable.from([Buffer.from('x')]));
    await fs.wipe();
    expect(fs.entries()).toEqual([]);
    expect((await openSimFileSystem({ stateDir: dir })).entries()).toEqual([]);
  });

  it('putGenerated records generated content: nothing stored, served without I/O, kept across reopening', async () => {
    const dir = await tempDir();
    const storedFiles = () => readdirSync(join(dir, 'files'), { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).length;
    const fs = await openSimFileSystem({ stateDir: dir, dataset: 'tiny' });
    const stored = storedFiles();
    await fs.put(fileEntry('Documents/x.bin', 0), Readable.from([Buffer.from('stored bytes')]));
    expect(storedFiles()).toBe(stored + 1);
    await fs.putGenerated(fileEntry('Documents/x.bin', 100_000), { seed: 3, key: 'k' });
    expect(storedFiles()).toBe(stored); // the replaced bytes are gone
    const e = fs.get('HomeDomain', 'Documents/x.bin') as SimFileEntry;
    expect(e.size).toBe(100_000);
    const chunks = fs.contentChunks?.(e);
    expect(chunks).toBeDefined();
    const viaChunks = Buffer.concat([...(chunks as Iterable<Buffer>)]);
    const viaStream = await readAll(fs, e);
    expect(viaChunks.length).toBe(100_000);
    expect(viaChunks.equals(viaStream)).toBe(true);
    const id = fs.contentId?.('HomeDomain', 'Documents/x.bin');

    await fs.putGenerated(fileEntry('Documents/y.bin', 100_000), { seed: 3, key: 'other' });
    const y = fs.get('HomeDomain', 'Documents/y.bin') as SimFileEntry;
    expect(sha1(await readAll(fs, y))).not.toBe(sha1(viaStream));
    expect(fs.contentId?.('HomeDomain', 'Documents/y.bin')).not.toBe(id);

    const again = await openSimFileSystem({ stateDir: dir });
    const e2 = again.get('HomeDomain', 'Documents/x.bin') as SimFileEntry;
    expect(sha1(await readAll(again, e2))).toBe(sha1(viaStream));
    expect(again.contentId?.('HomeDomain', 'Documents/x.bin')).toBe(id);
    await expect(fs.putGenerated({ ...fileEntry('Documents/d', 0), type: 'dir' }, { seed: 1, key: 'd' })).rejects.toMatchObject({ code: 'SIM_FS_WRITE' });
  });

  it('mutate adds, modifies and removes files deterministically and reports what changed', async () => {
    const run = async () => {
      const fs = await openSimFileSystem({ stateDir: await tempDir(), dataset: 'tiny', seed: 5 });
      const before = new Map(fs.entries().map((e) => [`${e.domain}/${e.relativePath}`, e]));
      const ids = new Map(fs.entries().map((e) => [`${e.domain}/${e.relativePath}`, fs.contentId?.(e.domain, e.relativePath)]));
      const r = await mutate(fs, { seed: 9, add: 3, modify: 4, remove: 2 });
      return { fs, before, ids, r };
    };
    const { fs, before, ids, r } = await run();
    expect(r.added).toHaveLength(3);
    expect(r.modified).toHaveLength(4);
    expect(r.removed).toHaveLength(2);
    for (const e of r.removed) expect(fs.get(e.domain, e.relativePath)).toBeUndefined();
    for (const e of r.added) {
      expect(before.has(`${e.domain}/${e.relativePath}`)).toBe(false);
      expect((await readAll(fs, e)).length).toBe(e.size);
    }
    for (const e of r.modified) {
      const key = `${e.domain}/${e.relativePath}`;
      expect(e.mtime).toBeGreaterThan((before.get(key) as SimFileEntry).mtime);
      expect(fs.contentId?.(e.domain, e.relativePath)).not.toBe(ids.get(key));
      expect((await readAll(fs, e)).length).toBe(e.size);
    }
    // New and changed content is generated, not stored: served as in-memory views like the dataset's files.
    for (const e of [...r.added, ...r.modified]) expect(fs.contentChunks?.(e)).toBeDefined();
    const second = await run();
    const names = (x: typeof r) => [x.added, x.modified, x.removed].map((l) => l.map((e) => `${e.domain}/${e.relativePath}:${e.size}`));
    expect(names(second.r)).toEqual(names(r));
  });
});
