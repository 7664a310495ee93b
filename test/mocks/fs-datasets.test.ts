import { createHash } from 'node:crypto';
import { mkdtemp, rm, readdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { openSimFileSystem } from '../../mocks/fs/index.js';
import { buildDataset } from '../../mocks/datasets/index.js';
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

async function sha1Of(s: Readable): Promise<{ hash: string; size: number }> {
  const h = createHash('sha1');
  let size = 0;
  for await (const chunk of s) {
    h.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { hash: h.digest('hex'), size };
}

async function fingerprint(fs: SimFileSystem): Promise<string[]> {
  const out: string[] = [];
  for (const e of fs.entries()) {
    const content = e.type === 'file' ? (await sha1Of(fs.openRead(e))).hash : '';
    out.push(`${e.domain}|${e.relativePath}|${e.type}|${e.size}|${e.mtime}|${e.inode}|${e.target ?? ''}|${content}`);
  }
  return out;
}

async function diskBytes(dir: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(dir, { recursive: true })) {
    const s = await stat(join(dir, name));
    if (s.isFile()) total += s.size;
  }
  return total;
}

describe('datasets', () => {
  it('same seed gives the same entries and content; another seed differs', async () => {
    const a = await fingerprint(await openSimFileSystem({ stateDir: await tempDir(), dataset: 'tiny', seed: 7 }));
    const b = await fingerprint(await openSimFileSystem({ stateDir: await tempDir(), dataset: 'tiny', seed: 7 }));
    const c = await fingerprint(await openSimFileSystem({ stateDir: await tempDir(), dataset: 'tiny', seed: 8 }));
    expect(a).toEqual(b);
    expect(c).not.toEqual(a);
    expect(new Set(a.map((l) => l.split('|').at(-1)).filter((h) => h !== '')).size).toBeGreaterThan(40); // distinct content
  });

  it('tiny: ~50 files over the realistic domains, with dirs, symlinks and parents for every entry', async () => {
    const fs = await openSimFileSystem({ stateDir: await tempDir(), dataset: 'tiny' });
    const entries = fs.entries();
    const files = entries.filter((e) => e.type === 'file');
    expect(files.length).toBeGreaterThanOrEqual(40);
    expect(files.length).toBeLessThanOrEqual(70);
    expect(entries.some((e) => e.type === 'symlink' && e.target)).toBe(true);
    const domains = new Set(entries.map((e) => e.domain));
    for (const d of ['HomeDomain', 'CameraRollDomain', 'MediaDomain', 'KeychainDomain', 'SystemPreferencesDomain', 'RootDomain', 'WirelessDomain', 'ManagedPreferencesDomain']) {
      expect(domains.has(d)).toBe(true);
    }
    expect([...domains].some((d) => d.startsWith('AppDomain-com.'))).toBe(true);
    expect([...domains].some((d) => d.startsWith('AppDomainGroup-group.'))).toBe(true);
    expect(fs.get('HomeDomain', 'Library/SMS/sms.db')?.type).toBe('file');
    expect(fs.get('CameraRollDomain', 'Media/DCIM/100APPLE/IMG_0001.HEIC')?.type).toBe('file');
    for (const e of entries) {
      if (e.relativePath === '') continue;
      const parent = e.relativePath.includes('/') ? e.relativePath.slice(0, e.relativePath.lastIndexOf('/')) : '';
      expect(fs.get(e.domain, parent)?.type, `${e.domain}/${e.relativePath}`).toBe('dir');
    }
    // sorted by domain, then path
    const keys = entries.map((e) => `${e.domain}\u0000${e.relativePath}`);
    expect([...keys].sort()).toEqual(keys);
    // every file streams exactly its size
    for (const f of files) expect((await sha1Of(fs.openRead(f))).size).toBe(f.size);
  });

  it('small, photos and many have the sizes and counts they promise', () => {
    const count = (items: { entry: SimFileEntry }[]) => items.filter((i) => i.entry.type === 'file');
    const small = count(buildDataset('small', 1));
    expect(small.length).toBeGreaterThanOrEqual(900);
    expect(small.length).toBeLessThanOrEqual(1100);
    const smallBytes = small.reduce((s, i) => s + i.entry.size, 0);
    expect(smallBytes).toBeGreaterThan(35e6);
    expect(smallBytes).toBeLessThan(70e6);
    const photos = count(buildDataset('photos', 1)).filter((i) => /\.(HEIC|JPG)$/.test(i.entry.relativePath));
    expect(photos.length).toBe(5000);
    expect(photos.every((i) => i.entry.size >= 1 << 20 && i.entry.size <= 4 << 20)).toBe(true);
    const many = count(buildDataset('many', 1));
    expect(many.length).toBe(50_000);
    expect(many.every((i) => i.entry.size === 4096)).toBe(true);
    expect(buildDataset('empty', 1)).toEqual([]);
  });

  it('large: a 2 GiB file exists without writing it; its content streams fast and deterministically', async () => {
    const dir = await tempDir();
    const fs = await openSimFileSystem({ stateDir: dir, dataset: 'large', seed: 3 });
    const big = fs.entries().find((e) => e.size === 2 * 1024 ** 3);
    expect(big).toBeDefined();
    expect(await diskBytes(dir)).toBeLessThan(1024 * 1024);
    // read the first 256 MiB twice (sanity of throughput without timing assertions) and compare
    const firstBytes = async () => {
      const h = createHash('md5');
      let n = 0;
      const s = fs.openRead(big as SimFileEntry);
      for await (const chunk of s) {
        const c = chunk as Buffer;
        h.update(c);
        n += c.length;
        if (n >= 256 * 1024 * 1024) break;
      }
      s.destroy();
      return h.digest('hex');
    };
    expect(await firstBytes()).toBe(await firstBytes());
  });

  it('many: 50,000 files are created without writing their content', async () => {
    const dir = await tempDir();
    const fs = await openSimFileSystem({ stateDir: dir, dataset: 'many' });
    expect(fs.entries().filter((e) => e.type === 'file').length).toBe(50_000);
    expect(await diskBytes(dir)).toBeLessThan(1024 * 1024);
  });
});
