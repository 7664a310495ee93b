import type { Logger } from '../log.js';
import { IBackupError } from '../errors.js';
import type { NotificationProxyClient } from '../services/notification-proxy/index.js';

/** Notifications the long-lived notification_proxy connection watches during a backup or restore. */
export const BackupNotification = {
  CancelRequest: 'com.apple.itunes-client.syncCancelRequest',
  SuspendRequest: 'com.apple.itunes-client.syncSuspendRequest',
  ResumeRequest: 'com.apple.itunes-client.syncResumeRequest',
  DomainChanged: 'com.apple.mobile.backup.domain_changed',
  PasscodePresented: 'com.apple.LocalAuthentication.ui.presented',
  PasscodeDismissed: 'com.apple.LocalAuthentication.ui.dismissed',
} as const;

export type PasscodeEvent = { type: 'passcode-required'; message: string } | { type: 'passcode-entered' };

/**
 * Observe the sync notifications on `np`: a syncCancelRequest from the device aborts `cancel` with
 * CANCELLED_BY_DEVICE, the passcode prompt becomes passcode events. `what` is 'backup' or 'restore' for messages.
 */
export async function watchSyncNotifications(
  np: NotificationProxyClient,
  what: 'backup' | 'restore',
  handlers: { cancel: AbortController; emit: (e: PasscodeEvent) => void; log: Logger },
): Promise<void> {
  np.onNotification((name) => {
    handlers.log.debug({ name }, 'device notification');
    if (name === BackupNotification.CancelRequest) {
      handlers.cancel.abort(
        new IBackupError('CANCELLED_BY_DEVICE', `The ${what} was cancelled on the device.`, {
          hint: `Start the ${what} again and let it finish on the device.`,
        }),
      );
    } else if (name === BackupNotification.PasscodePresented) {
      handlers.emit({ type: 'passcode-required', message: `Enter the passcode on the device to start the ${what}.` });
    } else if (name === BackupNotification.PasscodeDismissed) {
      handlers.emit({ type: 'passcode-entered' });
    }
  });
  for (const name of Object.values(BackupNotification)) await np.observe(name);
}
