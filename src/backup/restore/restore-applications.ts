import { encodePlist, type PlistDict } from '../../../protocols/index.js';
import type { Logger } from '../../log.js';
import type { AfcClient } from '../../services/afc/index.js';

export const ITUNES_RESTORE_DIR = '/iTunesRestore';
export const RESTORE_APPLICATIONS_PATH = `${ITUNES_RESTORE_DIR}/RestoreApplications.plist`;

/**
 * Writes Info.plist's `Applications` dict as an XML plist to /iTunesRestore/RestoreApplications.plist over AFC
 * (the apps the device reinstalls after the restore), as idevicebackup2 does before the Restore request.
 */
export async function writeRestoreApplications(afc: AfcClient, applications: PlistDict, signal?: AbortSignal): Promise<void> {
  await afc.makeDir(ITUNES_RESTORE_DIR, signal);
  await afc.writeFile(RESTORE_APPLICATIONS_PATH, encodePlist(applications, 'xml'), signal);
}

/** Removes the plist and its folder after a failed restore. Best effort: never throws. */
export async function removeRestoreApplications(afc: AfcClient, log?: Logger): Promise<boolean> {
  let ok = true;
  for (const path of [RESTORE_APPLICATIONS_PATH, ITUNES_RESTORE_DIR]) {
    try {
      await afc.removePath(path);
    } catch (err) {
      ok = false;
      log?.debug({ path, err: (err as Error).message }, 'could not remove a restore file on the device');
    }
  }
  return ok;
}
