import { DatasetBuilder, type DatasetItem } from './dataset-builder.js';

const MB = 1024 * 1024;

/** A camera roll: 5,000 HEIC/JPEG-sized photos of 1–4 MB (~12 GB, generated on the fly) in 100APPLE…104APPLE. */
export function buildPhotos(seed: number): DatasetItem[] {
  const b = new DatasetBuilder(seed);
  for (let i = 0; i < 5000; i++) {
    const folder = `${100 + Math.floor(i / 1000)}APPLE`;
    const name = `IMG_${String(i + 1).padStart(4, '0')}.${i % 4 === 0 ? 'JPG' : 'HEIC'}`;
    b.file('CameraRollDomain', `Media/DCIM/${folder}/${name}`, b.rng.int(1 * MB, 4 * MB), { protectionClass: 4 });
  }
  b.file('CameraRollDomain', 'Media/PhotoData/Photos.sqlite', 6 * MB);
  b.file('HomeDomain', 'Library/Preferences/com.apple.mobileslideshow.plist', 2048);
  return b.build();
}
