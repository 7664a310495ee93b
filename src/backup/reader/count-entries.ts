import { openManifestDb } from './manifest-db.js';
import type { OpenedBackup } from './open-backup.js';

export interface EntryCounts {
  files: number;
  dirs: number;
  symlinks: number;
  /** Sum of file sizes, when it could be had without decoding every record (Manifest.mbdb only). */
  totalSize?: number;
}

/**
 * How many entries of each kind the backup holds. For Manifest.db this is one SQL query on `flags` (fast even for
 * a million rows); a Manifest.mbdb is streamed once.
 */
export async function countEntries(b: OpenedBackup): Promise<EntryCounts> {
  const counts: EntryCounts = { files: 0, dirs: 0, symlinks: 0 };
  if (b.manifestFormat === 'db' && b.manifestPath) {
    const db = openManifestDb(b.manifestPath, b.isEncrypted);
    try {
      const rows = db.prepare('SELECT flags, COUNT(*) AS n FROM Files GROUP BY flags').all() as { flags: number; n: number }[];
      for (const r of rows) {
        if (r.flags === 1) counts.files += r.n;
        else if (r.flags === 2) counts.dirs += r.n;
        else if (r.flags === 4) counts.symlinks += r.n;
      }
    } finally {
      db.close();
    }
    return counts;
  }
  counts.totalSize = 0;
  for await (const e of b.files()) {
    if (e.type === 'file') {
      counts.files++;
      counts.totalSize += e.size;
    } else if (e.type === 'dir') counts.dirs++;
    else counts.symlinks++;
  }
  return counts;
}
