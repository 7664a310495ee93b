// Builds a dataset's entries: every file gets its parent directories (and its domain root) as entries, the way a
// real Manifest.db lists them. File content is described, not produced (see mocks/fs/generated-content.ts).
import type { SimFileEntry } from '../types.js';
import type { GeneratedContent } from '../fs/generated-content.js';
import { SeededRandom } from './rng.js';

export interface DatasetItem {
  entry: SimFileEntry;
  /** Generated content of a file entry (absent for dirs, symlinks and empty files). */
  content?: GeneratedContent;
}

export interface EntryOptions {
  mode?: number;
  protectionClass?: number;
  mtime?: number;
}

/** 2023-11-14T22:13:20Z: dataset times fall in the year before it. */
const BASE_TIME = 1_700_000_000;
const YEAR = 365 * 24 * 3600;

/** Domains whose files belong to root (everything else is owned by mobile, uid/gid 501). */
const ROOT_OWNED = new Set(['RootDomain', 'SystemPreferencesDomain', 'WirelessDomain', 'ManagedPreferencesDomain']);

export class DatasetBuilder {
  readonly rng: SeededRandom;
  private readonly items = new Map<string, DatasetItem>();
  private nextInode = 100_000;

  constructor(readonly seed: number) {
    this.rng = new SeededRandom(seed);
  }

  private times(mtime?: number): { mtime: number; ctime: number; birth: number } {
    const m = mtime ?? BASE_TIME - this.rng.int(0, YEAR);
    return { mtime: m, ctime: m + this.rng.int(0, 3600), birth: m - this.rng.int(0, 30 * 24 * 3600) };
  }

  private add(entry: SimFileEntry, content?: GeneratedContent): SimFileEntry {
    this.items.set(`${entry.domain}\0${entry.relativePath}`, content ? { entry, content } : { entry });
    return entry;
  }

  private base(domain: string, relativePath: string, type: SimFileEntry['type'], opts: EntryOptions) {
    const owner = ROOT_OWNED.has(domain) ? 0 : 501;
    return {
      domain,
      relativePath,
      type,
      uid: owner,
      gid: owner,
      inode: this.nextInode++,
      protectionClass: opts.protectionClass ?? (type === 'file' ? 3 : 0),
      ...this.times(opts.mtime),
    };
  }

  /** A directory (and its parents, and the domain root ""). */
  dir(domain: string, relativePath: string, opts: EntryOptions = {}): void {
    if (this.items.has(`${domain}\0${relativePath}`)) return;
    if (relativePath !== '') {
      const slash = relativePath.lastIndexOf('/');
      this.dir(domain, slash < 0 ? '' : relativePath.slice(0, slash));
    }
    this.add({ ...this.base(domain, relativePath, 'dir', opts), mode: opts.mode ?? 0o755, size: 0 });
  }

  private parent(domain: string, relativePath: string): void {
    const slash = relativePath.lastIndexOf('/');
    this.dir(domain, slash < 0 ? '' : relativePath.slice(0, slash));
  }

  file(domain: string, relativePath: string, size: number, opts: EntryOptions = {}): SimFileEntry {
    this.parent(domain, relativePath);
    const entry = { ...this.base(domain, relativePath, 'file', opts), mode: opts.mode ?? 0o644, size };
    return this.add(entry, size > 0 ? { seed: this.seed, key: `${domain}/${relativePath}` } : undefined);
  }

  symlink(domain: string, relativePath: string, target: string, opts: EntryOptions = {}): SimFileEntry {
    this.parent(domain, relativePath);
    return this.add({ ...this.base(domain, relativePath, 'symlink', opts), mode: opts.mode ?? 0o755, size: 0, target });
  }

  build(): DatasetItem[] {
    return [...this.items.values()];
  }
}

/** Random size in [min, max] bytes. */
export function sizeBetween(b: DatasetBuilder, min: number, max: number): number {
  return b.rng.int(min, max);
}
