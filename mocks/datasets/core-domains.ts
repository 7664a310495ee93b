// The files every realistic dataset starts from: one or a few per well-known backup domain (~50 files).
import type { DatasetBuilder } from './dataset-builder.js';

const KB = 1024;

export function addCoreDomains(b: DatasetBuilder): void {
  const home = 'HomeDomain';
  b.file(home, 'Library/SMS/sms.db', 96 * KB, { protectionClass: 1 });
  b.file(home, 'Library/SMS/sms.db-wal', 32 * KB, { protectionClass: 1 });
  b.file(home, 'Library/SMS/sms.db-shm', 32 * KB, { protectionClass: 1 });
  b.file(home, 'Library/AddressBook/AddressBook.sqlitedb', 64 * KB);
  b.file(home, 'Library/AddressBook/AddressBookImages.sqlitedb', 24 * KB);
  b.file(home, 'Library/CallHistoryDB/CallHistory.storedata', 40 * KB);
  b.file(home, 'Library/Calendar/Calendar.sqlitedb', 48 * KB);
  b.file(home, 'Library/Notes/notes.sqlite', 20 * KB);
  b.file(home, 'Library/Safari/Bookmarks.db', 12 * KB);
  b.file(home, 'Library/Safari/History.db', 28 * KB);
  b.file(home, 'Library/Cookies/Cookies.binarycookies', 0);
  b.file(home, 'Library/Preferences/com.apple.springboard.plist', 3 * KB);
  b.file(home, 'Library/Preferences/com.apple.preferences.datetime.plist', 412);
  b.file(home, 'Library/Preferences/.GlobalPreferences.plist', 1 * KB + 77);
  b.file(home, 'Library/Voicemail/voicemail.db', 16 * KB);
  b.file(home, 'Library/Mail/Accounts.plist', 2 * KB);
  b.symlink(home, 'Library/Preferences/com.apple.alias.plist', 'com.apple.springboard.plist');
  b.dir(home, 'Documents');

  const camera = 'CameraRollDomain';
  for (let i = 1; i <= 6; i++) {
    const name = `IMG_${String(i).padStart(4, '0')}`;
    b.file(camera, `Media/DCIM/100APPLE/${name}.HEIC`, b.rng.int(60 * KB, 180 * KB), { protectionClass: 4 });
  }
  b.file(camera, 'Media/DCIM/100APPLE/IMG_0007.JPG', 150 * KB + 3, { protectionClass: 4 });
  b.file(camera, 'Media/PhotoData/Photos.sqlite', 80 * KB);
  b.file(camera, 'Media/PhotoData/Thumbnails/V2/DCIM/100APPLE/IMG_0001.HEIC/5005.JPG', 9 * KB);

  const media = 'MediaDomain';
  b.file(media, 'Library/SMS/Attachments/4b/11/at_0_1A2B/IMG_1024.jpeg', 70 * KB);
  b.file(media, 'Media/Recordings/20231001 101500.m4a', 120 * KB);
  b.file(media, 'Media/Recordings/Recordings.db', 8 * KB);

  const app = 'AppDomain-com.example.notebook';
  b.file(app, 'Documents/Welcome.txt', 713);
  b.file(app, 'Documents/Drafts/draft-1.md', 2 * KB);
  b.file(app, 'Library/Preferences/com.example.notebook.plist', 900);
  b.file(app, 'Library/Application Support/store.sqlite', 36 * KB);
  b.symlink(app, 'Documents/Latest', 'Drafts/draft-1.md');
  b.file('AppDomain-com.example.chat', 'Library/Application Support/chat.db', 44 * KB);
  b.file('AppDomain-com.example.chat', 'Documents/avatar.png', 14 * KB);

  const group = 'AppDomainGroup-group.com.example.shared';
  b.file(group, 'Library/Preferences/group.com.example.shared.plist', 640);
  b.file(group, 'Shared/settings.json', 2 * KB);

  b.file('KeychainDomain', 'keychain-backup.plist', 24 * KB, { protectionClass: 1 });

  const sys = 'SystemPreferencesDomain';
  b.file(sys, 'SystemConfiguration/preferences.plist', 5 * KB);
  b.file(sys, 'SystemConfiguration/com.apple.wifi.plist', 7 * KB);
  b.file(sys, 'SystemConfiguration/com.apple.AutoWake.plist', 300);

  const root = 'RootDomain';
  b.file(root, 'Library/Preferences/com.apple.MobileBackup.plist', 500);
  b.file(root, 'Library/Caches/locationd/clients.plist', 6 * KB);
  b.file(root, 'Library/Caches/locationd/consolidated.db', 52 * KB);

  const wireless = 'WirelessDomain';
  b.file(wireless, 'Library/Preferences/com.apple.commcenter.plist', 4 * KB);
  b.file(wireless, 'Library/Databases/CellularUsage.db', 20 * KB);

  b.file('ManagedPreferencesDomain', 'mobile/com.apple.webcontentfilter.plist', 800);
}
