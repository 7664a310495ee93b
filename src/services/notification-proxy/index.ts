// notification_proxy client (protocol-reference.md §5.7).
import { isPlistDict } from '../../../protocols/index.js';
import type { ServiceConnection } from '../../lockdown/device.js';
import { layerLogger } from '../../log.js';
import { PlistConnection, TransportError, withDeadline } from '../../transport/index.js';

export const NOTIFICATION_PROXY_SERVICE = 'com.apple.mobile.notification_proxy';

const log = layerLogger('services', { service: 'notification_proxy' });

/** How long close() waits for ProxyDeath after Shutdown (libimobiledevice waits up to 30 s). */
const PROXY_DEATH_WAIT_MS = 10_000;

/**
 * Observes and posts notifications. Relayed notifications arrive while the connection is open; the reader runs
 * until close() (or the device closes the connection).
 */
export class NotificationProxyClient {
  private readonly conn: PlistConnection;
  private readonly listeners = new Set<(name: string) => void>();
  private readonly stop = new AbortController();
  private readonly reading: Promise<void>;
  private proxyDeath = false;
  private ended = false;
  private readonly endWaiters = new Set<() => void>();
  private closing: Promise<void> | undefined;
  /** Set when the connection ended because of an error (not ProxyDeath or close()). */
  error: Error | undefined;

  constructor(private readonly service: ServiceConnection) {
    this.conn = new PlistConnection(service.stream, { what: 'notification_proxy' });
    this.reading = this.readLoop();
  }

  private async readLoop(): Promise<void> {
    try {
      for (;;) {
        const msg = await this.conn.receive({ signal: this.stop.signal });
        if (!isPlistDict(msg)) continue;
        if (msg.Command === 'RelayNotification' && typeof msg.Name === 'string') {
          const name = msg.Name;
          log.debug({ name }, 'notification relayed');
          for (const l of [...this.listeners]) {
            try {
              l(name);
            } catch (err) {
              log.warn({ err: (err as Error).message }, 'a notification listener threw');
            }
          }
        } else if (msg.Command === 'ProxyDeath') {
          this.proxyDeath = true;
          break;
        }
      }
    } catch (err) {
      if (!this.closing && !(err instanceof TransportError && err.code === 'ABORTED')) this.error = err as Error;
    } finally {
      this.ended = true;
      for (const w of this.endWaiters) w();
      this.endWaiters.clear();
    }
  }

  private async command(dict: { Command: string; Name?: string }): Promise<void> {
    if (this.ended || this.closing) {
      throw new TransportError('CONNECTION_CLOSED', `notification_proxy ${dict.Command}: the connection is closed`);
    }
    await this.conn.send(dict as Record<string, string>, { timeoutMs: 60_000 });
  }

  observe(name: string): Promise<void> {
    return this.command({ Command: 'ObserveNotification', Name: name });
  }

  post(name: string): Promise<void> {
    return this.command({ Command: 'PostNotification', Name: name });
  }

  /** Called for every RelayNotification; returns an unsubscribe function. */
  onNotification(listener: (name: string) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Whether the device answered Shutdown with ProxyDeath. */
  get receivedProxyDeath(): boolean {
    return this.proxyDeath;
  }

  /** Resolves when the device has closed the proxy (ProxyDeath or connection end). */
  get done(): Promise<void> {
    return this.reading;
  }

  /** Shutdown → waits for ProxyDeath (bounded) → close. Never rejects; idempotent. */
  close(waitMs = PROXY_DEATH_WAIT_MS): Promise<void> {
    this.closing ??= (async () => {
      if (!this.ended) {
        try {
          await this.conn.send({ Command: 'Shutdown' }, { timeoutMs: 5_000 });
          await withDeadline<void>('notification_proxy ProxyDeath', { timeoutMs: waitMs }, (resolve) => {
            if (this.ended) resolve();
            const w = (): void => resolve();
            this.endWaiters.add(w);
            return () => this.endWaiters.delete(w);
          });
        } catch (err) {
          log.debug({ err: (err as Error).message, proxyDeath: this.proxyDeath }, 'notification_proxy shutdown incomplete');
        }
      }
      this.stop.abort();
      await this.reading;
      await this.service.close();
    })();
    return this.closing;
  }
}
