// Helpers for the backup-engine tests: hash a whole folder (to prove it did not change), run backups against a
// simulator.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';

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
