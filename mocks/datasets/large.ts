import { DatasetBuilder, type DatasetItem } from './dataset-builder.js';

/** One 2 GiB video (never written to disk: generated content) plus a few small files. */
export const LARGE_FILE_BYTES = 2 * 1024 * 1024 * 1024;

export function buildLarge(seed: number): DatasetItem[] {
  const b = new DatasetBuilder(seed);
  b.file('CameraRollDomain', 'Media/DCIM/100APPLE/IMG_0001.MOV', LARGE_FILE_BYTES, { protectionClass: 4 });
  b.file('CameraRollDomain', 'Media/PhotoData/Photos.sqlite', 256 * 1024);
  b.file('HomeDomain', 'Library/SMS/sms.db', 64 * 1024, { protectionClass: 1 });
  b.file('HomeDomain', 'Library/Preferences/com.apple.springboard.plist', 3000);
  b.file('KeychainDomain', 'keychain-backup.plist', 20 * 1024, { protectionClass: 1 });
  return b.build();
}
