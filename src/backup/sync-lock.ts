import { AfcFileMode, AfcLockOp } from '../../protocols/index.js';
import { IBackupError } from '../errors.js';
import type { Logger } from '../log.js';
import type { DeviceHandle } from '../lockdown/device.js';
import type { AfcClient } from '../services/afc/index.js';
import { NOTIFICATION_PROXY_SERVICE, NotificationProxyClient } from '../services/notification-proxy/index.js';

export const SyncNotification = {
  WillStart: 'com.apple.itunes-mobdev.syncWillStart',
  LockRequest: 'com.apple.itunes-mobdev.syncLockRequest',
  DidStart: 'com.apple.itunes-mobdev.syncDidStart',
  DidFinish: 'com.apple.itunes-mobdev.syncDidFinish',
} as const;

export const SYNC_LOCK_PATH = '/com.apple.itunes.lock_sync';
const AFC_OP_WOULD_BLOCK = 19;

/** Post one notification the way Finder does: its own notification_proxy connection, then Shutdown. */
export async function postNotification(device: DeviceHandle, name: string, signal?: AbortSignal): Promise<void> {
  const conn = await device.startService(NOTIFICATION_PROXY_SERVICE, { signal });
  const np = new NotificationProxyClient(conn);
  try {
    await np.post(name);
  } finally {
    await np.close().catch(() => undefined);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The device's sync lock: syncWillStart, open the lock file, syncLockRequest, exclusive AFC lock (retried every
 * 200 ms while another host holds it), syncDidStart. `release()` unlocks, closes and posts syncDidFinish.
 */
export class SyncLock {
  private constructor(
    private readonly device: DeviceHandle,
    private readonly afc: AfcClient,
    private readonly handle: bigint,
    private readonly log?: Logger,
  ) {}

  static async acquire(
    device: DeviceHandle,
    afc: AfcClient,
    opts: { signal?: AbortSignal; timeoutMs?: number; onWaiting?: () => void; log?: Logger } = {},
  ): Promise<SyncLock> {
    const { signal, log } = opts;
    await postNotification(device, SyncNotification.WillStart, signal);
    const handle = await afc.open(SYNC_LOCK_PATH, AfcFileMode.Rw, signal);
    try {
      await postNotification(device, SyncNotification.LockRequest, signal);
      const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
      let waiting = false;
      for (;;) {
        try {
          await afc.lock(handle, AfcLockOp.Exclusive, signal);
          break;
        } catch (err) {
          if ((err as { afcCode?: number }).afcCode !== AFC_OP_WOULD_BLOCK) throw err;
          if (Date.now() >= deadline) {
            throw new IBackupError('SYNC_LOCK_BUSY', 'Another computer or app is syncing with the iPhone and holds its sync lock.', {
              hint: 'Wait until Finder, iTunes or the other tool has finished with the iPhone, then try again.',
            });
          }
          if (!waiting) {
            waiting = true;
            log?.info('the sync lock is held by another host; waiting');
            opts.onWaiting?.();
          }
          await sleep(200, signal);
        }
      }
      await postNotification(device, SyncNotification.DidStart, signal);
    } catch (err) {
      await afc.close(handle).catch(() => undefined);
      throw err;
    }
    return new SyncLock(device, afc, handle, log);
  }

  /** Unlock, close, post syncDidFinish. Best effort: never throws. */
  async release(): Promise<void> {
    try {
      await this.afc.lock(this.handle, AfcLockOp.Unlock);
    } catch (err) {
      this.log?.debug({ err: (err as Error).message }, 'sync unlock failed');
    }
    await this.afc.close(this.handle).catch(() => undefined);
    await postNotification(this.device, SyncNotification.DidFinish).catch((err: unknown) => {
      this.log?.debug({ err: (err as Error).message }, 'posting syncDidFinish failed');
    });
  }
}
