import { lstatSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import { normalize, relative, sep, isAbsolute } from 'node:path';
import { IBackupError } from '../errors.js';
import type { DevicePathResolver, PathUse } from '../services/mobilebackup2/index.js';

export function unsafePath(devicePath: unknown, why: string): IBackupError {
  const shown = typeof devicePath === 'string' ? JSON.stringify(devicePath.replace(/\0/g, '\\0').slice(0, 300)) : String(devicePath);
  return new IBackupError('UNSAFE_PATH', `The device sent an unsafe path ${shown}: ${why}. Nothing was written outside the backup folder.`, {
    hint: 'This is not something a genuine iPhone does; the backup was stopped. Check the device (or the simulator fault settings).',
  });
}

/**
 * Checks a device path lexically and returns its segments below the UDID folder. Refuses: non-strings, empty
 * paths, NUL bytes, backslashes, drive letters / colons, absolute paths, `..`, and a first segment that is not
 * one of the allowed UDID folder names. Empty and `.` segments are dropped.
 */
export function deviceSegments(devicePath: unknown, folderNames: readonly string[]): string[] {
  if (typeof devicePath !== 'string') throw unsafePath(devicePath, 'it is not text');
  if (devicePath.length === 0) throw unsafePath(devicePath, 'it is empty');
  // One pass for the three characters refused anywhere (the path of every file received comes through here);
  // the checks below name the first rule broken.
  let suspect = false;
  for (let i = 0; i < devicePath.length; i++) {
    const c = devicePath.charCodeAt(i);
    if (c === 0 || c === 0x5c || c === 0x3a) {
      suspect = true;
      break;
    }
  }
  if (suspect) {
    if (devicePath.includes('\0')) throw unsafePath(devicePath, 'it contains a NUL byte');
    if (devicePath.includes('\\')) throw unsafePath(devicePath, 'it contains a backslash');
    if (/^[A-Za-z]:/.test(devicePath)) throw unsafePath(devicePath, 'it starts with a drive letter');
    throw unsafePath(devicePath, 'it contains a colon');
  }
  if (devicePath.charCodeAt(0) === 0x2f || isAbsolute(devicePath)) throw unsafePath(devicePath, 'it is absolute');
  const parts: string[] = [];
  for (const p of devicePath.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') throw unsafePath(devicePath, 'it contains ".."');
    parts.push(p);
  }
  const first = parts[0];
  if (first === undefined || !folderNames.includes(first)) {
    throw unsafePath(devicePath, `it is not inside the device's backup folder (${folderNames.join(' or ')})`);
  }
  parts.shift();
  return parts;
}

function isInside(root: string, p: string): boolean {
  const rel = relative(root, p);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/** A folder below the root already looked at: a real folder, or a symlink (whose target is checked on every use). */
interface CheckedDir {
  readonly path: string;
  readonly link: boolean;
  readonly children: Map<string, CheckedDir>;
}

/**
 * Maps the device's `<UDID>/…` paths onto `hostDir` (the staging folder of this backup) and refuses everything
 * that could lead outside it, including symlinks (e.g. left in a previous backup) whose target is outside.
 * Folders already checked are remembered until `forget()` (called after moves and removals).
 */
export class ConfinedPathResolver implements DevicePathResolver {
  /** The folders checked so far, as a tree of segments (a lookup per segment, no path string to build or hash). */
  private checked: CheckedDir = { path: '', link: false, children: new Map() };
  private realRoot: string | undefined;
  /** hostDir normalized, ending in one separator: what every resolved path below it starts with. */
  private readonly prefix: string;

  constructor(
    readonly hostDir: string,
    readonly folderNames: readonly string[],
  ) {
    const root = normalize(hostDir);
    this.prefix = root.endsWith(sep) ? root : root + sep;
  }

  async resolve(devicePath: unknown, use: PathUse): Promise<string> {
    const segments = deviceSegments(devicePath, this.folderNames);
    if (segments.length === 0 && (use === 'write' || use === 'remove')) {
      throw unsafePath(devicePath, 'it would replace or remove the backup folder itself');
    }
    // deviceSegments left only plain names (no separators, no '.', '..' or empty segments), so gluing them onto
    // the normalized root with separators is what join() would return, and cannot lead outside the root. (This
    // runs once per file received: join and relative cost a fifth of the main thread's CPU in a 50,000-file
    // backup.)
    const target = segments.length === 0 ? normalize(this.hostDir) : this.prefix + segments.join(sep);
    // Every existing parent must be a real folder, or a symlink whose target stays inside.
    let node = this.checked;
    for (let i = 0; i < segments.length - 1; i++) {
      let next = node.children.get(segments[i]!);
      if (next === undefined) {
        const path = node === this.checked ? this.prefix + segments[i]! : node.path + sep + segments[i]!;
        const kind = this.kindOf(path);
        if (kind === 'missing') break;
        next = { path, link: kind === 'symlink', children: new Map() };
        node.children.set(segments[i]!, next);
      }
      if (next.link) await this.checkLinkTarget(next.path, devicePath);
      node = next;
    }
    // The last segment matters only when it is followed (read, list, mkdir); writes and removals replace or
    // delete the link itself.
    if (segments.length > 0 && (use === 'read' || use === 'list' || use === 'mkdir')) {
      if (this.kindOf(target) === 'symlink') await this.checkLinkTarget(target, devicePath);
    }
    return target;
  }

  forget(): void {
    this.checked = { path: '', link: false, children: new Map() };
  }

  private kindOf(p: string): 'missing' | 'symlink' | 'other' {
    try {
      return lstatSync(p).isSymbolicLink() ? 'symlink' : 'other';
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return 'missing';
      throw err;
    }
  }

  private async checkLinkTarget(link: string, devicePath: unknown): Promise<void> {
    this.realRoot ??= await realpath(this.hostDir);
    let real: string;
    try {
      real = await realpath(link);
    } catch {
      throw unsafePath(devicePath, 'it goes through a symbolic link that cannot be resolved');
    }
    if (!isInside(this.realRoot, real)) throw unsafePath(devicePath, 'it goes through a symbolic link that leads outside the backup folder');
  }
}
