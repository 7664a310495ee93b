// Connection-level fault injection (SimFaults): delay the first reply of a connection, or cut a service
// connection after it has sent a given number of bytes device→host.
import { Duplex } from 'node:stream';
import type { SimFaults } from './types.js';

export const LOCKDOWN_SERVICE = 'lockdown';
const DEFAULT_DROP_SERVICE = 'com.apple.mobilebackup2';

interface FaultPlan {
  delayMs: number;
  dropAfterBytes?: number;
}

/** What `faults` asks of a new connection to `service` ('lockdown' for lockdownd itself), or undefined if nothing. */
export function faultPlanFor(faults: SimFaults, service: string): FaultPlan | undefined {
  const delayMs = Math.max(0, faults.firstResponseDelayMs ?? 0);
  const dropHere = service === (faults.dropService ?? DEFAULT_DROP_SERVICE) && faults.dropAfterBytes !== undefined;
  if (delayMs === 0 && !dropHere) return undefined;
  return { delayMs, dropAfterBytes: dropHere ? Math.max(0, faults.dropAfterBytes ?? 0) : undefined };
}

/** Wraps `inner` when `faults` applies to `service`; otherwise returns `inner` untouched. */
export function withFaults(inner: Duplex, faults: SimFaults, service: string): Duplex {
  const plan = faultPlanFor(faults, service);
  return plan ? new FaultyConnection(inner, plan) : inner;
}

/** A pass-through duplex that delays its first write and/or destroys the connection after N bytes written. */
export class FaultyConnection extends Duplex {
  private written = 0;
  private firstWrite = true;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly inner: Duplex,
    private readonly plan: FaultPlan,
  ) {
    super({ allowHalfOpen: false });
    inner.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) inner.pause();
    });
    inner.on('end', () => this.push(null));
    inner.on('error', (err) => this.destroy(err));
    inner.on('close', () => this.destroy());
  }

  /** Bytes passed on to the host so far. */
  get bytesPassed(): number {
    return this.written;
  }

  override _read(): void {
    this.inner.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    const go = (): void => {
      this.timer = undefined;
      this.forward(chunk, cb);
    };
    if (this.firstWrite && this.plan.delayMs > 0) {
      this.firstWrite = false;
      this.timer = setTimeout(go, this.plan.delayMs);
      return;
    }
    this.firstWrite = false;
    go();
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.inner.end();
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (this.timer) clearTimeout(this.timer);
    this.inner.destroy();
    cb(err);
  }

  private forward(chunk: Buffer, cb: (err?: Error | null) => void): void {
    if (this.inner.destroyed) {
      cb();
      return;
    }
    const limit = this.plan.dropAfterBytes;
    if (limit !== undefined && this.written + chunk.length >= limit) {
      const part = chunk.subarray(0, limit - this.written);
      this.written += part.length;
      const cut = (): void => {
        this.inner.destroy();
        this.destroy();
      };
      if (part.length > 0) this.inner.write(part, cut);
      else cut();
      cb();
      return;
    }
    this.written += chunk.length;
    if (this.inner.write(chunk)) cb();
    else this.inner.once('drain', () => cb());
  }
}
