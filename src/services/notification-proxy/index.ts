// CONTRACT STUB — implemented by the host connection stack (issue #4).
import type { ServiceConnection } from '../../lockdown/device.js';

export const NOTIFICATION_PROXY_SERVICE = 'com.apple.mobile.notification_proxy';

export declare class NotificationProxyClient {
  constructor(conn: ServiceConnection);
  observe(name: string): Promise<void>;
  post(name: string): Promise<void>;
  /** Called for every RelayNotification. */
  onNotification(listener: (name: string) => void): () => void;
  /** Shutdown → waits for ProxyDeath (bounded) → close. */
  close(): Promise<void>;
}
