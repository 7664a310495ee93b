import { createHash } from 'node:crypto';
import type { BackupEntryType } from './types.js';

/** The backup's name for a file: lowercase hex SHA-1 of `"<domain>-<relativePath>"`. */
export function fileIdOf(domain: string, relativePath: string): string {
  return createHash('sha1').update(`${domain}-${relativePath}`, 'utf8').digest('hex');
}

/** S_IFMT bits of st_mode. */
export const S_IFMT = 0o170000;
export const S_IFREG = 0o100000;
export const S_IFDIR = 0o040000;
export const S_IFLNK = 0o120000;

/** The entry type of a st_mode value, or undefined for anything but a file, folder or symlink. */
export function entryTypeOfMode(mode: number): BackupEntryType | undefined {
  switch (mode & S_IFMT) {
    case S_IFREG:
      return 'file';
    case S_IFDIR:
      return 'dir';
    case S_IFLNK:
      return 'symlink';
    default:
      return undefined;
  }
}
