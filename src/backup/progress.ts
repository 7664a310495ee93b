import type { BackupProgress } from './events.js';

/**
 * Turns what the device reports (a percentage per request that jumps and stalls, and the byte total of each
 * UploadFiles batch) into a smooth, monotonic percentage: within a batch, the percent moves from where it was
 * toward the batch's reported value in proportion to the bytes received.
 */
export class ProgressTracker {
  private percent = 0;
  private batchStartPercent = 0;
  private batchTargetPercent = 0;
  private batchTotal = 0;
  private batchBytes = 0;
  bytesDone = 0;
  filesDone = 0;
  private readonly started: number;
  private readonly window: { t: number; bytes: number }[] = [];

  constructor(private readonly now: () => number = () => performance.now()) {
    this.started = now();
  }

  /** A percentage reported by the device with a request. */
  devicePercent(p: number): void {
    if (!Number.isFinite(p)) return;
    this.bump(Math.min(100, Math.max(0, p)));
    this.batchTotal = 0;
  }

  /** An UploadFiles batch: `percent` is what the device reported with it, `totalBytes` what it will send. */
  uploadBatch(percent: number | undefined, totalBytes: number): void {
    this.batchStartPercent = this.percent;
    this.batchTargetPercent = Math.max(this.percent, Math.min(100, percent ?? this.percent));
    this.batchTotal = totalBytes > 0 ? totalBytes : 0;
    this.batchBytes = 0;
  }

  bytes(n: number): void {
    this.bytesDone += n;
    this.batchBytes += n;
    const t = this.now();
    const lastSample = this.window[this.window.length - 1];
    if (!lastSample || t - lastSample.t >= 100) {
      this.window.push({ t, bytes: this.bytesDone });
      while (this.window.length > 2 && t - this.window[0]!.t > 5000) this.window.shift();
    } else {
      lastSample.bytes = this.bytesDone;
    }
    if (this.batchTotal > 0) {
      const frac = Math.min(1, this.batchBytes / this.batchTotal);
      this.bump(this.batchStartPercent + (this.batchTargetPercent - this.batchStartPercent) * frac);
    }
  }

  file(): void {
    this.filesDone++;
  }

  finish(): void {
    this.bump(100);
  }

  private bump(p: number): void {
    if (p > this.percent) this.percent = p;
  }

  snapshot(): BackupProgress {
    const t = this.now();
    const elapsedMs = t - this.started;
    let bytesPerSecond = 0;
    const first = this.window[0];
    const last = this.window[this.window.length - 1];
    if (first && last && last.t > first.t) bytesPerSecond = ((last.bytes - first.bytes) * 1000) / (last.t - first.t);
    else if (elapsedMs > 0) bytesPerSecond = (this.bytesDone * 1000) / elapsedMs;
    const p = this.percent;
    const etaSeconds = p > 1 && p < 100 ? Math.round(((elapsedMs / 1000) * (100 - p)) / p) : p >= 100 ? 0 : undefined;
    return {
      percent: Math.round(p * 100) / 100,
      bytesDone: this.bytesDone,
      filesDone: this.filesDone,
      bytesPerSecond: Math.round(bytesPerSecond),
      etaSeconds,
      elapsedMs: Math.round(elapsedMs),
    };
  }
}
