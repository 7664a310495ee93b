import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { chmod, lstat, lutimes, mkdir, open, rename, symlink, unlink, utimes } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { layerLogger } from '../../log.js';
import { BackupReaderError, encryptedError } from './errors.js';
import { safeSegments } from './safe-path.js';
import type { Backup, BackupEntry, ExtractOptions, ExtractResult } from './types.js';

const log = layerLogger('backup-reader');

/** Permission bits applied on extraction (no setuid/setgid/sticky bits from a backup). */
const PERM_MASK = 0o777;

/**
 * Creates the directories of `segments` below `root`, one component at a time, refusing any component that is a
 * symlink (or not a directory): nothing is ever written through a symlink. `known` caches checked directories.
 */
async function ensureDirs(root: string, segments: string[], known: Set<string>, what: string): Promise<string> {
  let p = root;
  for (const seg of segments) {
    p = join(p, seg);
    if (known.has(p)) continue;
    let st;
    try {
      st = await lstat(p);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      await mkdir(p, { mode: 0o755 });
      known.add(p);
      continue;
    }
    if (st.isSymbolicLink()) {
      throw new BackupReaderError('EXTRACT_THROUGH_SYMLINK', `refusing to extract ${what}: ${p} is a symlink and nothing is written through one`, {
        hint: 'the backup (or the output folder) holds a symlink where a folder is expected',
      });
    }
    if (!st.isDirectory()) {
      throw new BackupReaderError('EXTRACT_UNSAFE_PATH', `cannot extract ${what}: ${p} exists and is not a folder`);
    }
    known.add(p);
  }
  return p;
}

function tempName(dir: string): string {
  return join(dir, `.ibackup-${randomBytes(6).toString('hex')}.tmp`);
}

async function writeFileEntry(backup: Backup, entry: BackupEntry, dest: string, signal?: AbortSignal): Promise<number> {
  const tmp = tempName(dirname(dest));
  const fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0), 0o600);
  let written = 0;
  try {
    const input = backup.readFile(entry);
    try {
      // One chunk at a time: each write is awaited before the next read (backpressure, bounded memory).
      for await (const chunk of input) {
        signal?.throwIfAborted();
        const buf = chunk as Buffer;
        let off = 0;
        while (off < buf.length) off += (await fh.write(buf, off, buf.length - off)).bytesWritten;
        written += buf.length;
      }
    } finally {
      input.destroy();
    }
    await fh.chmod(entry.mode & PERM_MASK);
    await fh.utimes(entry.atime ?? entry.mtime, entry.mtime);
    await fh.close();
    // rename replaces a symlink at `dest` instead of following it.
    await rename(tmp, dest);
  } catch (err) {
    await fh.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  return written;
}

async function writeSymlinkEntry(entry: BackupEntry, dest: string): Promise<void> {
  const tmp = tempName(dirname(dest));
  await symlink(entry.target ?? '', tmp);
  try {
    await lutimes(tmp, entry.atime ?? entry.mtime, entry.mtime).catch(() => undefined);
    await rename(tmp, dest);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}

/**
 * Writes the entries of `backup` matching `opts.filter` as `out/<domain>/<relativePath>`, with their permission
 * bits and modification times. Files are streamed; symlinks are recreated with their target as is; names that
 * would escape `out` and paths through symlinks are refused with a typed error.
 */
export async function extractBackup(backup: Backup, out: string, opts: ExtractOptions = {}): Promise<ExtractResult> {
  if (backup.isEncrypted) throw encryptedError('extract its files');
  const root = resolve(out);
  await mkdir(root, { recursive: true });
  const known = new Set<string>([root]);
  const dirs: { path: string; mode: number; mtime: number; atime: number }[] = [];
  const result: ExtractResult = { files: 0, dirs: 0, symlinks: 0, bytes: 0 };
  for await (const entry of backup.files(opts.filter)) {
    opts.signal?.throwIfAborted();
    const what = JSON.stringify(`${entry.domain}/${entry.relativePath}`);
    const segs = safeSegments(entry.domain, entry.relativePath);
    if (entry.type === 'dir') {
      const p = await ensureDirs(root, segs, known, what);
      dirs.push({ path: p, mode: entry.mode & PERM_MASK, mtime: entry.mtime, atime: entry.atime ?? entry.mtime });
      result.dirs++;
    } else {
      if (segs.length < 2) throw new BackupReaderError('EXTRACT_UNSAFE_PATH', `refusing to extract ${what}: a ${entry.type} cannot be a domain root`);
      const parent = await ensureDirs(root, segs.slice(0, -1), known, what);
      const dest = join(parent, segs[segs.length - 1]!);
      if (known.has(dest)) throw new BackupReaderError('EXTRACT_UNSAFE_PATH', `cannot extract ${what}: a folder of that name was already extracted`);
      if (entry.type === 'file') {
        result.bytes += await writeFileEntry(backup, entry, dest, opts.signal);
        result.files++;
      } else {
        await writeSymlinkEntry(entry, dest);
        result.symlinks++;
      }
    }
    opts.onEntry?.(entry);
  }
  // Folder modes and times last (deepest first): writing their contents changed the times, and a read-only
  // folder could not have been filled.
  dirs.sort((a, b) => b.path.length - a.path.length);
  for (const d of dirs) {
    const st = await lstat(d.path);
    if (!st.isDirectory()) continue;
    await chmod(d.path, d.mode);
    await utimes(d.path, d.atime, d.mtime);
  }
  log.debug({ out: root, ...result }, 'extracted');
  return result;
}
