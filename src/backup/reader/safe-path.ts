import { BackupReaderError } from './errors.js';

function unsafe(domain: string, relativePath: string, why: string): BackupReaderError {
  return new BackupReaderError('EXTRACT_UNSAFE_PATH', `refusing to extract ${JSON.stringify(`${domain}/${relativePath}`)}: ${why}`, {
    hint: 'the backup holds a name that would land outside the output folder; it was not written',
  });
}

/**
 * The path components of `<domain>/<relativePath>` below the output folder. Refuses names that could escape it:
 * `..` components, absolute paths, NUL bytes, a domain that is not a single plain name, and (on Windows)
 * backslashes and drive letters. Empty and `.` components are dropped.
 */
export function safeSegments(domain: string, relativePath: string, platform: NodeJS.Platform = process.platform): string[] {
  const win = platform === 'win32';
  const bad = (s: string): boolean => s.includes('\0') || (win && /[\\:]/.test(s));
  if (!domain || domain === '.' || domain === '..' || domain.includes('/') || bad(domain)) {
    throw unsafe(domain, relativePath, 'the domain is not a plain folder name');
  }
  if (relativePath.includes('\0')) throw unsafe(domain, relativePath, 'the name contains a NUL byte');
  if (relativePath.startsWith('/')) throw unsafe(domain, relativePath, 'the path is absolute');
  if (bad(relativePath)) throw unsafe(domain, relativePath, 'the path contains a character that is a separator or drive marker here');
  const parts = relativePath.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw unsafe(domain, relativePath, 'the path contains ".."');
  return [domain, ...parts];
}
