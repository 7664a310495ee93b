import { DatasetBuilder, type DatasetItem } from './dataset-builder.js';
import { addCoreDomains } from './core-domains.js';

const KB = 1024;
const APPS = ['com.example.maps', 'com.example.music', 'com.example.mail', 'com.example.game', 'com.example.news'];

/** ~1,000 files, ~50 MB, spread over realistic domains: photos, SMS attachments, app containers, preferences. */
export function buildSmall(seed: number): DatasetItem[] {
  const b = new DatasetBuilder(seed);
  addCoreDomains(b);
  for (let i = 8; i < 208; i++) {
    const name = `IMG_${String(i).padStart(4, '0')}.${i % 3 === 0 ? 'JPG' : 'HEIC'}`;
    b.file('CameraRollDomain', `Media/DCIM/100APPLE/${name}`, b.rng.int(100 * KB, 300 * KB), { protectionClass: 4 });
  }
  for (let i = 0; i < 250; i++) {
    const dir = `${(i % 16).toString(16)}${((i >> 4) % 16).toString(16)}`;
    b.file('MediaDomain', `Library/SMS/Attachments/${dir}/${String(i).padStart(2, '0')}/at_${i}/IMG_${5000 + i}.jpeg`, b.rng.int(4 * KB, 40 * KB));
  }
  for (const app of APPS) {
    const domain = `AppDomain-${app}`;
    b.file(domain, `Library/Preferences/${app}.plist`, b.rng.int(300, 4 * KB));
    for (let i = 0; i < 80; i++) {
      b.file(domain, `Documents/${i % 4 === 0 ? 'Archive/' : ''}item-${String(i).padStart(3, '0')}.dat`, b.rng.int(1 * KB, 24 * KB));
    }
    b.file(domain, 'Library/Application Support/state.sqlite', b.rng.int(20 * KB, 200 * KB));
  }
  for (let i = 0; i < 60; i++) {
    b.file('AppDomainGroup-group.com.example.shared', `Shared/Cache/blob-${i}.bin`, b.rng.int(2 * KB, 16 * KB));
  }
  for (let i = 0; i < 40; i++) {
    b.file('HomeDomain', `Library/Preferences/com.apple.setting${i}.plist`, b.rng.int(200, 3 * KB));
  }
  return b.build();
}
