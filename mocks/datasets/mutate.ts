// Deterministic changes to a simulated file system, for incremental backup tests and benchmarks. New and changed
// files get generated content (putGenerated: recorded, not written, and read back as fast as the dataset's own
// files), removals go through remove().
import type { SimFileEntry, SimFileSystem } from '../types.js';
import { SeededRandom } from './rng.js';

export interface MutationOptions {
  seed: number;
  /** Number of new files (in HomeDomain Library/Mutations/<seed>/). */
  add?: number;
  /** Number of existing files (≤ 8 MiB) whose content and mtime change. */
  modify?: number;
  /** Number of existing files to delete. */
  remove?: number;
}

export interface MutationResult {
  added: SimFileEntry[];
  modified: SimFileEntry[];
  removed: SimFileEntry[];
}

const MAX_MODIFY_BYTES = 8 * 1024 * 1024;

function take(rng: SeededRandom, pool: SimFileEntry[], n: number): SimFileEntry[] {
  const out: SimFileEntry[] = [];
  while (out.length < n && pool.length > 0) {
    const i = rng.int(0, pool.length - 1);
    out.push(pool[i] as SimFileEntry);
    pool.splice(i, 1);
  }
  return out;
}

export async function mutate(fs: SimFileSystem, opts: MutationOptions): Promise<MutationResult> {
  const rng = new SeededRandom(opts.seed ^ 0x5eed);
  const all = fs.entries();
  const files = all.filter((e) => e.type === 'file' && e.size <= MAX_MODIFY_BYTES);
  let inode = all.reduce((m, e) => Math.max(m, e.inode), 100_000) + 1;
  const now = all.reduce((m, e) => Math.max(m, e.mtime, e.ctime), 1_700_000_000) + 60;

  const removed = take(rng, files, opts.remove ?? 0);
  for (const e of removed) await fs.remove(e.domain, e.relativePath);

  const modified: SimFileEntry[] = [];
  for (const e of take(rng, files, opts.modify ?? 0)) {
    const size = Math.max(1, e.size + rng.int(-512, 4096));
    const next: SimFileEntry = { ...e, size, mtime: now, ctime: now };
    await fs.putGenerated(next, { seed: opts.seed, key: `modified:${e.domain}/${e.relativePath}` });
    modified.push(fs.get(e.domain, e.relativePath) as SimFileEntry);
  }

  const added: SimFileEntry[] = [];
  const domain = 'HomeDomain';
  const dir = `Library/Mutations/${opts.seed}`;
  if ((opts.add ?? 0) > 0) {
    for (const p of ['', 'Library', 'Library/Mutations', dir]) {
      if (fs.get(domain, p)) continue;
      await fs.put({ domain, relativePath: p, type: 'dir', mode: 0o755, size: 0, mtime: now, ctime: now, birth: now, uid: 501, gid: 501, inode: inode++, protectionClass: 0 });
    }
  }
  for (let i = 0; i < (opts.add ?? 0); i++) {
    const relativePath = `${dir}/added-${String(i).padStart(4, '0')}.bin`;
    const size = rng.int(1, 64 * 1024);
    const entry: SimFileEntry = { domain, relativePath, type: 'file', mode: 0o644, size, mtime: now, ctime: now, birth: now, uid: 501, gid: 501, inode: inode++, protectionClass: 3 };
    await fs.putGenerated(entry, { seed: opts.seed, key: `added:${relativePath}` });
    added.push(fs.get(domain, relativePath) as SimFileEntry);
  }
  return { added, modified, removed };
}
