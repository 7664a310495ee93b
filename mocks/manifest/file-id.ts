import { createHash } from 'node:crypto';

/** The backup file ID of an entry: lowercase hex SHA-1 of `"<domain>-<relativePath>"`. */
export function fileId(domain: string, relativePath: string): string {
  return createHash('sha1').update(`${domain}-${relativePath}`, 'utf8').digest('hex');
}

/** Where a file's content lives inside the backup folder: `xx/<fileID>` (xx = first two hex digits). */
export function fileIdPath(id: string): string {
  return `${id.slice(0, 2)}/${id}`;
}
