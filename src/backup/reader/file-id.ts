import { createHash } from 'node:crypto';

/** The backup's name for a file: lowercase hex SHA-1 of `"<domain>-<relativePath>"`. */
export function fileIdOf(domain: string, relativePath: string): string {
  return createHash('sha1').update(`${domain}-${relativePath}`, 'utf8').digest('hex');
}

/** S_IFMT bits of st_mode. */
export const S_IFMT = 0o170000;
export const S_IFREG = 0o100000;
export const S_IFDIR = 0o040000;
export const S_IFLNK = 0o120000;
