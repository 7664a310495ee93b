import { lstat, opendir } from 'node:fs/promises';
import { join } from 'node:path';

/** Bytes a folder tree uses on disk (allocated blocks when the platform reports them, else sizes; links not followed). */
export async function diskUsage(dir: string, signal?: AbortSignal): Promise<number> {
  let total = 0;
  const stack = [dir];
  while (stack.length) {
    signal?.throwIfAborted();
    const d = stack.pop()!;
    let handle;
    try {
      handle = await opendir(d);
    } catch {
      continue;
    }
    for await (const ent of handle) {
      const p = join(d, ent.name);
      if (ent.isDirectory()) {
        stack.push(p);
        continue;
      }
      try {
        const st = await lstat(p);
        total += st.blocks !== undefined && st.blocks > 0 ? st.blocks * 512 : st.size;
      } catch {
        // vanished while walking
      }
    }
  }
  return total;
}
