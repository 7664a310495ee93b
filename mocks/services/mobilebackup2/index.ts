// The device side of com.apple.mobilebackup2 (a BackupAgent2 look-alike): see session.ts and one file per command.
import type { SimServiceHandler } from '../../types.js';
import { runSession } from './session.js';

export { enterPasscode, isPasscodePromptShown, PASSCODE_PRESENTED, PASSCODE_DISMISSED } from './passcode.js';
export { mobilebackup2Stats, type BackupReport, type RestoreReport, type Mobilebackup2Stats } from './stats.js';
export { isSystemDomain } from './restore-policy.js';
export { LIST_CSV_HEADER } from './list.js';
export { DL_VERSION_MAJOR } from './session.js';

export const mobilebackup2Service: SimServiceHandler = (conn, device) => {
  void runSession(conn, device);
};
