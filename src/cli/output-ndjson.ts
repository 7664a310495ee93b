const bigintAsJson = (_k: string, v: unknown): unknown =>
  typeof v === 'bigint' ? (v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString()) : v;

/** One JSON object per line (NDJSON) for machine consumers; bigints become numbers or strings. */
export function ndjsonLine(value: unknown): string {
  try {
    // Fast path: no replacer call per key. JSON.stringify throws a TypeError on a bigint.
    return `${JSON.stringify(value)}\n`;
  } catch (err) {
    if (!(err instanceof TypeError)) throw err;
    return `${JSON.stringify(value, bigintAsJson)}\n`;
  }
}

/** Lines are sent at the latest when this many characters are waiting. */
const FLUSH_CHARS = 64 * 1024;

/**
 * Writes NDJSON lines. Per-file lines written in one burst (a `file` event per file of a batch) are joined into
 * one write, sent before the event loop goes on to anything else (setImmediate) or with the next other line, so
 * consumers see every line promptly and in order, with one system call per burst instead of one per line.
 */
export class NdjsonWriter {
  private pending = '';
  private scheduled = false;

  constructor(private readonly out: NodeJS.WritableStream) {}

  write(value: unknown): void {
    this.pending += ndjsonLine(value);
    // Only the per-file events come in bursts; anything else (phase, error, done, …) goes out at once, so a
    // caller that returns right after its last line never leaves it behind.
    const type = (value as { type?: unknown } | null)?.type;
    if (this.pending.length >= FLUSH_CHARS || type !== 'file') this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Send what is waiting now. */
  flush(): void {
    this.scheduled = false;
    if (this.pending.length === 0) return;
    const text = this.pending;
    this.pending = '';
    this.out.write(text);
  }
}
