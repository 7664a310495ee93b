import type { MuxListener } from '../../transport/index.js';

export type RebootOutcome = 'back' | 'timeout' | 'aborted' | 'watch-lost';

/**
 * Watches usbmuxd (Listen) for one device's reboot: its detach, then an attach with the same UDID. Start it before
 * the device reboots (i.e. before the mobilebackup2 connection is closed), then `wait()`.
 */
export class RebootWatch {
  private detached = false;
  private back = false;
  private lost = false;
  private wake: (() => void) | undefined;
  private readonly ids = new Set<number>();

  constructor(
    private readonly listener: MuxListener,
    private readonly udid: string,
    private readonly onDetached?: () => void,
  ) {
    const same = (u: string | undefined): boolean => u !== undefined && u.toLowerCase() === udid.toLowerCase();
    listener.on('attached', (d) => {
      if (!same(d.udid)) return;
      this.ids.add(d.deviceId);
      if (this.detached && !this.back) {
        this.back = true;
        this.notify();
      }
    });
    listener.on('detached', (d) => {
      if (!same(d.udid) && !this.ids.has(d.deviceId)) return;
      this.ids.delete(d.deviceId);
      if (!this.detached) {
        this.detached = true;
        this.onDetached?.();
      }
      this.notify();
    });
    listener.on('error', () => undefined);
    listener.on('close', () => {
      this.lost = true;
      this.notify();
    });
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  get sawDetach(): boolean {
    return this.detached;
  }

  /** Resolves when the device is back, the time is up, `signal` aborts, or the usbmuxd connection is lost. */
  async wait(timeoutMs: number, signal?: AbortSignal): Promise<RebootOutcome> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.back) return 'back';
      if (signal?.aborted) return 'aborted';
      if (this.lost) return 'watch-lost';
      const left = deadline - Date.now();
      if (left <= 0) return 'timeout';
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left);
        const onAbort = (): void => done();
        function done(): void {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          resolve();
        }
        this.wake = done;
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    }
  }

  close(): void {
    this.listener.close();
  }
}
