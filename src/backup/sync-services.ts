import type { Logger } from '../log.js';
import type { DeviceHandle } from '../lockdown/device.js';
import { AFC_SERVICE, AfcClient } from '../services/afc/index.js';
import { MOBILEBACKUP2_SERVICE, MobileBackup2Client } from '../services/mobilebackup2/index.js';
import { NOTIFICATION_PROXY_SERVICE, NotificationProxyClient } from '../services/notification-proxy/index.js';
import { bounded } from './bounded.js';
import { sideBySide } from './side-by-side.js';
import { watchSyncNotifications, type PasscodeEvent } from './sync-notifications.js';

/** The services a backup or a restore talks to. */
export interface SyncServices {
  /** Watching the device's sync notifications (a cancel request aborts `cancel`). */
  np: NotificationProxyClient;
  afc: AfcClient;
  /** Not yet past its version exchange (handshake). */
  mb2: MobileBackup2Client;
}

/**
 * Start notification_proxy (and watch it), AFC and mobilebackup2 side by side: each is a lockdown request (sent
 * one at a time) and a connection of its own. On success the caller owns all three; when one cannot be started,
 * those that were are closed here before the error is thrown.
 */
export async function startSyncServices(
  device: DeviceHandle,
  what: 'backup' | 'restore',
  opts: { signal: AbortSignal; cancel: AbortController; emit: (e: PasscodeEvent) => void; log: Logger },
): Promise<SyncServices> {
  let np: NotificationProxyClient | undefined;
  let afc: AfcClient | undefined;
  let mb2: MobileBackup2Client | undefined;
  try {
    await sideBySide(opts.signal, [
      async (s) => {
        np = new NotificationProxyClient(await device.startService(NOTIFICATION_PROXY_SERVICE, { signal: s }));
        await watchSyncNotifications(np, what, { cancel: opts.cancel, emit: opts.emit, log: opts.log });
      },
      async (s) => {
        afc = new AfcClient(await device.startService(AFC_SERVICE, { signal: s }));
      },
      async (s) => {
        mb2 = new MobileBackup2Client((await device.startService(MOBILEBACKUP2_SERVICE, { escrow: true, signal: s })).stream);
      },
    ]);
  } catch (err) {
    await closeSyncServices({ np, afc, mb2 }, 'cancelled');
    throw err;
  }
  return { np: np!, afc: afc!, mb2: mb2! };
}

/**
 * Close the services (those given), each step bounded and none throwing: mobilebackup2 first, told `reason`
 * ('cancelled' when the operation did not finish), then `between` (a step of the caller's that still needs AFC,
 * such as releasing the sync lock), then AFC and notification_proxy.
 */
export async function closeSyncServices(
  services: Partial<SyncServices>,
  reason: 'cancelled' | undefined,
  between?: () => Promise<unknown>,
): Promise<void> {
  const { np, afc, mb2 } = services;
  if (mb2) await bounded(() => mb2.close(reason), 3000);
  if (between) await between();
  if (afc) await bounded(() => afc.disconnect(), 2000);
  if (np) await bounded(() => np.close(), 3000);
}
