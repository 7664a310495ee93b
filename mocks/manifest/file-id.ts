import * as crypto from 'node:crypto';

interface OneShotHash {
  (algorithm: string, data: string, outputEncoding: 'hex'): string;
  (algorithm: string, data: string, outputEncoding: 'buffer'): Buffer;
}
/** crypto.hash() (Node ≥ 20.12) is several times faster than createHash() for short inputs. */
const oneShot = (crypto as { hash?: OneShotHash }).hash;

/** Lowercase hex digest of a UTF-8 string. */
export function hexDigest(algorithm: 'sha1' | 'sha256', text: string): string {
  return oneShot ? oneShot(algorithm, text, 'hex') : crypto.createHash(algorithm).update(text, 'utf8').digest('hex');
}

/** Digest of a UTF-8 string as bytes. */
export function digestBytes(algorithm: 'sha1' | 'sha256', text: string): Buffer {
  return oneShot ? oneShot(algorithm, text, 'buffer') : crypto.createHash(algorithm).update(text, 'utf8').digest();
}

/** The backup file ID of an entry: lowercase hex SHA-1 of `"<domain>-<relativePath>"`. */
export function fileId(domain: string, relativePath: string): string {
  return hexDigest('sha1', `${domain}-${relativePath}`);
}

/** Where a file's content lives inside the backup folder: `xx/<fileID>` (xx = first two hex digits). */
export function fileIdPath(id: string): string {
  return `${id.slice(0, 2)}/${id}`;
}
