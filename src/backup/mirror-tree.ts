import { lstatSync, readdirSync, readlinkSync, rmSync, symlinkSync, unlinkSync, type Dirent } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { isTempFileName } from '../services/mobilebackup2/index.js';
import { hardLinkClone, linkOrCopySync, sameInode, yieldToEventLoop } from './fs-durable.js';

export interface MirrorResult {
  /** Files linked (or copied) into the mirror. */
  linked: number;
  /** Entries removed from the mirror (a removed folder counts once). */
  removed: number;
  /**
   * Folders of the mirror (relative, '' the top) whose entries this call changed, and every folder it cloned:
   * what must be fsynced for the mirror to survive a power loss.
   */
  changedDirs: string[];
}

type Kind = 'dir' | 'file' | 'link' | 'other';
const kindOf = (e: Dirent): Kind => (e.isDirectory() ? 'dir' : e.isFile() ? 'file' : e.isSymbolicLink() ? 'link' : 'other');

/** `only` and every folder above them, as relative paths ('' is the top folder). */
function withAncestors(only: Iterable<string>): Set<string> {
  const out = new Set<string>(['']);
  for (let rel of only) {
    while (rel !== '' && rel !== '.' && !out.has(rel)) {
      out.add(rel);
      rel = dirname(rel);
    }
  }
  return out;
}

/**
 * Make `dst` (an existing folder) an exact hard-link mirror of `src`: every file of `src` is, under the same
 * relative name, the same inode in `dst`; nothing else is left in `dst`. Entries of `dst` that differ (another
 * inode, another kind, not in `src`, a temporary upload name) are removed, missing ones linked (copied where the
 * file system has no hard links; a missing folder is cloned whole).
 *
 * `only`: the relative folders whose entries may differ — only they and the folders above them are compared, a
 * folder elsewhere that exists on both sides is trusted to be equal. Without it every folder is compared.
 * Synchronous calls per folder, yielding to the event loop between folders (like `hardLinkClone`).
 * `removeFile` (default unlinkSync) takes a file of `dst` away, before a file of that name is linked in its place.
 */
export async function mirrorTree(
  src: string,
  dst: string,
  opts: { only?: Iterable<string>; removeFile?: (path: string) => void } = {},
): Promise<MirrorResult> {
  const removeFile = opts.removeFile ?? unlinkSync;
  const visit = opts.only === undefined ? undefined : withAncestors(opts.only);
  const result: MirrorResult = { linked: 0, removed: 0, changedDirs: [] };
  const pending = [''];
  while (pending.length > 0) {
    const rel = pending.pop()!;
    const from = join(src, rel);
    const to = join(dst, rel);
    const want = new Map<string, Dirent>();
    let changed = false;
    for (const e of readdirSync(from, { withFileTypes: true })) if (!isTempFileName(e.name)) want.set(e.name, e);
    for (const e of readdirSync(to, { withFileTypes: true })) {
      const w = want.get(e.name);
      const a = join(from, e.name);
      const b = join(to, e.name);
      const kind = kindOf(e);
      const keep =
        w !== undefined &&
        kindOf(w) === kind &&
        (kind === 'dir' || (kind === 'file' && sameInode(a, b)) || (kind === 'link' && readlinkSync(a) === readlinkSync(b)));
      if (!keep) {
        if (kind === 'dir') rmSync(b, { recursive: true, force: true });
        else if (kind === 'file') removeFile(b);
        else unlinkSync(b);
        result.removed++;
        changed = true;
        continue;
      }
      want.delete(e.name);
      const sub = join(rel, e.name);
      if (kind === 'dir' && (visit === undefined || visit.has(sub))) pending.push(sub);
    }
    for (const [name, w] of want) {
      const a = join(from, name);
      const b = join(to, name);
      const kind = kindOf(w);
      changed = true;
      if (kind === 'dir') result.linked += (await hardLinkClone(a, b, (d) => result.changedDirs.push(relative(dst, d)))).files;
      else if (kind === 'file') {
        linkOrCopySync(a, b);
        result.linked++;
      } else if (kind === 'link') symlinkSync(readlinkSync(a), b);
    }
    if (changed) result.changedDirs.push(rel);
    await yieldToEventLoop();
  }
  return result;
}

/**
 * Modification time of every folder under `dir` (relative path → mtime in ns). Any entry added, removed or
 * renamed in a folder changes its mtime, so two calls tell which folders' entries changed in between — whatever
 * changed them. Folders with a link count of 2 have no subfolders (ext4, XFS…) and are not listed.
 */
export function folderTimes(dir: string): Map<string, bigint> {
  const out = new Map<string, bigint>();
  const pending = [''];
  while (pending.length > 0) {
    const rel = pending.pop()!;
    const st = lstatSync(join(dir, rel), { bigint: true });
    out.set(rel, st.mtimeNs);
    if (st.nlink === 2n) continue;
    for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) if (e.isDirectory()) pending.push(join(rel, e.name));
  }
  return out;
}
