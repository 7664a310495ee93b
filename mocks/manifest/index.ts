export { fileId, fileIdPath } from './file-id.js';
export { encodeMBFile, decodeMBFile, recordOfEntry, typeBits, typeOfMode, S_IFDIR, S_IFLNK, S_IFREG, type MBFileRecord } from './mbfile.js';
export { writeManifestDb, ManifestDbWriter, readManifestDb, ManifestFlags, type ManifestRow } from './manifest-db.js';
export { buildManifestPlist, buildStatusPlist, type ManifestPlistOptions, type StatusPlistOptions, type SnapshotState } from './backup-plists.js';
