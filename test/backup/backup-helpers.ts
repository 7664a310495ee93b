// Helpers for the backup-engine tests: hash a whole folder (to prove it did not change), run backups against a
// simulator.
import { createHash } from 'node:crypto';
import { createReadStream, lstatSync, readdirSync, readlinkSync } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';

/** Every entry below `dir` → type + size + sha1 (files) or target (symlinks). Sorted, so two snapshots compare. */
export async function folderSnapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (d: string, rel: string): Promise<void> => {
    for (const name of (await readdir(d)).sort()) {
      const p = join(d, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = await lstat(p);
      if (st.isDirectory()) {
        out[r] = 'dir';
        await walk(p, r);
      } else if (st.isSymbolicLink()) out[r] = `link:${await readlink(p)}`;
      else {
        const h = createHash('sha1');
        for await (const c of createReadStream(p)) h.update(c as Buffer);
        out[r] = `file:${st.size}:${h.digest('hex')}:${st.mtimeMs}`;
      }
    }
  };
  await walk(dir, '');
  return out;
}

/** Data-file paths (`xx/<40 hex>`) among file events, as the device named them. */
export function dataFileEvents(paths: string[]): string[] {
  return paths.filter((p) => /\/[0-9a-f]{2}\/[0-9a-f]{40}$/.test(p));
}

/** Every path under `dir` (files with their inode, folders as 'dir', symlinks with their target). */
export function treeInodes(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string): void => {
    for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        out.set(r, 'dir');
        walk(r);
      } else if (e.isSymbolicLink()) out.set(r, `link:${readlinkSync(join(dir, r))}`);
      else out.set(r, `ino:${lstatSync(join(dir, r)).ino}`);
    }
  };
  walk('');
  return out;
}

/** The metadata files a spare must not have (so no tool lists it as a backup). */
export const BACKUP_MARKERS = ['Info.plist', 'Status.plist', 'Manifest.plist', 'Manifest.db'];

/**
 * Only the backup folder remains in `root`, at most its spare (no staging, previous or lock leftovers) and at
 * most its trash; a spare is an exact hard-link mirror of the backup except for the marker files, plus its
 * record; the trash holds only files that nothing else links to (never a file of the backup or the spare).
 */
export function expectRootHolds(root: string, udid: string): void {
  const names = readdirSync(root).sort();
  const spare = `.ibackup-spare-${udid}`;
  const trash = `.ibackup-trash-${udid}`;
  expect(names.filter((n) => n !== spare && n !== trash)).toEqual([udid]);
  if (names.includes(trash)) {
    for (const e of readdirSync(join(root, trash), { withFileTypes: true })) {
      expect(e.isFile()).toBe(true);
      expect(lstatSync(join(root, trash, e.name)).nlink).toBe(1);
    }
  }
  if (!names.includes(spare)) return;
  const want = treeInodes(join(root, udid));
  for (const m of BACKUP_MARKERS) want.delete(m);
  const got = treeInodes(join(root, spare));
  got.delete('.ibackup-spare.json');
  expect(got).toEqual(want);
}
