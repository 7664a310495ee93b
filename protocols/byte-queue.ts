/**
 * A FIFO of received chunks that the incremental decoders read from. Chunks are kept as views (never copied on
 * push); bytes are copied only when a caller asks for a contiguous range that spans chunks, so decoding is O(n)
 * overall. Pushed chunks must not be modified by the caller afterwards: taken ranges may alias them.
 */
export function asBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

const EMPTY = Buffer.alloc(0);

export class ByteQueue {
  private chunks: Buffer[] = [];
  /** Index of the first live chunk in `chunks`. */
  private first = 0;
  /** Bytes already consumed from `chunks[first]`. */
  private offset = 0;
  private total = 0;

  /** Bytes buffered. */
  get length(): number {
    return this.total;
  }

  push(chunk: Uint8Array): void {
    if (chunk.byteLength === 0) return;
    this.chunks.push(asBuffer(chunk));
    this.total += chunk.byteLength;
  }

  /** The byte at `index` (0 = next unread byte). The caller checks `index < length`. */
  byteAt(index: number): number {
    let i = this.first;
    let pos = index + this.offset;
    for (;;) {
      const c = this.chunks[i];
      if (c === undefined) throw new RangeError(`ByteQueue.byteAt(${index}) beyond ${this.total} bytes`);
      if (pos < c.length) return c[pos]!;
      pos -= c.length;
      i++;
    }
  }

  readUInt32BE(index = 0): number {
    return ((this.byteAt(index) << 24) | (this.byteAt(index + 1) << 16) | (this.byteAt(index + 2) << 8) | this.byteAt(index + 3)) >>> 0;
  }

  readUInt32LE(index = 0): number {
    return ((this.byteAt(index + 3) << 24) | (this.byteAt(index + 2) << 16) | (this.byteAt(index + 1) << 8) | this.byteAt(index)) >>> 0;
  }

  /** The first `n` bytes without removing them (a view when they lie in one chunk, else a copy of `n` bytes). */
  peek(n: number): Buffer {
    return this.read(n, false);
  }

  /** Remove and return the first `n` bytes (a view when they lie in one chunk, else a copy of `n` bytes). */
  take(n: number): Buffer {
    return this.read(n, true);
  }

  /** Remove and return up to `max` bytes from the first chunk only — always a view, never a copy. */
  takeView(max: number): Buffer {
    const c = this.chunks[this.first];
    if (c === undefined || max <= 0) return EMPTY;
    const n = Math.min(max, c.length - this.offset);
    const view = c.subarray(this.offset, this.offset + n);
    this.consume(n);
    return view;
  }

  skip(n: number): void {
    if (n > this.total) throw new RangeError(`ByteQueue.skip(${n}) beyond ${this.total} bytes`);
    this.consume(n);
  }

  /** Remove and return everything buffered. */
  takeAll(): Buffer {
    return this.take(this.total);
  }

  /**
   * Copy what is still buffered into memory of its own, so nothing refers to the pushed chunks any more (for a
   * caller whose chunks are views into a buffer it reuses for the next read).
   */
  own(): void {
    if (this.total === 0) return;
    const copy = Buffer.from(this.read(this.total, false));
    this.chunks = [copy];
    this.first = 0;
    this.offset = 0;
  }

  private read(n: number, remove: boolean): Buffer {
    if (n > this.total) throw new RangeError(`ByteQueue: ${n} bytes requested, ${this.total} buffered`);
    if (n === 0) return EMPTY;
    const c = this.chunks[this.first]!;
    let out: Buffer;
    if (c.length - this.offset >= n) {
      out = c.subarray(this.offset, this.offset + n);
    } else {
      out = Buffer.allocUnsafe(n);
      let written = 0;
      let i = this.first;
      let pos = this.offset;
      while (written < n) {
        const src = this.chunks[i]!;
        const count = Math.min(n - written, src.length - pos);
        src.copy(out, written, pos, pos + count);
        written += count;
        pos = 0;
        i++;
      }
    }
    if (remove) this.consume(n);
    return out;
  }

  private consume(n: number): void {
    this.total -= n;
    while (n > 0) {
      const c = this.chunks[this.first]!;
      const left = c.length - this.offset;
      if (n < left) {
        this.offset += n;
        return;
      }
      n -= left;
      this.chunks[this.first] = EMPTY; // release the reference
      this.first++;
      this.offset = 0;
    }
    if (this.first === this.chunks.length) {
      this.chunks = [];
      this.first = 0;
    } else if (this.first >= 1024 && this.first * 2 >= this.chunks.length) {
      this.chunks = this.chunks.slice(this.first);
      this.first = 0;
    }
  }
}
