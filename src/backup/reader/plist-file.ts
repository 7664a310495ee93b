import { readFile } from 'node:fs/promises';
import { decodePlist } from '../../../protocols/plist/index.js';
import { isPlistDict, type PlistDict } from '../../../protocols/plist/types.js';
import { BackupReaderError } from './errors.js';

/** Reads an XML or binary plist file holding a dict; `undefined` when the file does not exist. */
export async function readPlistDictFile(path: string): Promise<PlistDict | undefined> {
  let data: Buffer;
  try {
    data = await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let value;
  try {
    value = decodePlist(data);
  } catch (err) {
    throw new BackupReaderError('BACKUP_PLIST_CORRUPT', `${path} is not a valid plist: ${(err as Error).message}`, { cause: err });
  }
  if (!isPlistDict(value)) throw new BackupReaderError('BACKUP_PLIST_CORRUPT', `${path} does not hold a dictionary`);
  return value;
}
