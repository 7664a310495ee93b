// Which files a backup sends: everything for a full backup; for an incremental one only files that are new, whose
// size/mtime/type differ from the host's Manifest.db, or whose content changed since the device's last backup.
import type { SimFileEntry, SimFileSystem } from '../../types.js';
import { fileId, type ManifestRow } from '../../manifest/index.js';

export interface PlannedFile {
  entry: SimFileEntry;
  id: string;
}

export interface BackupPlan {
  mode: 'full' | 'incremental';
  entries: SimFileEntry[];
  /** Every current file with its content identity (what the device will remember). */
  contentIds: Record<string, string>;
  send: PlannedFile[];
  /** fileIDs of files the host has but the device no longer has (incremental only). */
  remove: string[];
}

export function contentIdOf(fs: SimFileSystem, e: SimFileEntry): string {
  return fs.contentId?.(e.domain, e.relativePath) ?? `meta:${e.size}:${e.mtime}`;
}

export function planBackup(fs: SimFileSystem, host?: { rows: ManifestRow[]; contentIds: Record<string, string> }): BackupPlan {
  const entries = fs.entries();
  const files: PlannedFile[] = entries.filter((e) => e.type === 'file').map((entry) => ({ entry, id: fileId(entry.domain, entry.relativePath) }));
  const contentIds: Record<string, string> = {};
  for (const f of files) contentIds[f.id] = contentIdOf(fs, f.entry);
  if (!host) return { mode: 'full', entries, contentIds, send: files, remove: [] };

  const rows = new Map(host.rows.map((r) => [r.fileID, r]));
  const send = files.filter((f) => {
    const r = rows.get(f.id)?.record;
    if (!r || rows.get(f.id)?.flags !== 1) return true;
    return r.size !== f.entry.size || r.lastModified !== f.entry.mtime || host.contentIds[f.id] !== contentIds[f.id];
  });
  const remove = host.rows.filter((r) => r.flags === 1 && contentIds[r.fileID] === undefined).map((r) => r.fileID);
  return { mode: 'incremental', entries, contentIds, send, remove };
}
