// Deterministic, fast file content for datasets: a seeded 1 MiB random block read at a per-file offset, behind a
// 32-byte per-file header (so two files never share their first bytes). Producing it is a memory view per chunk,
// far above 1 GB/s, and nothing is ever written to disk or held per file.
import { Readable } from 'node:stream';
import { digestBytes } from '../manifest/file-id.js';

const BASE_BYTES = 1 << 20;
/** Default chunk size of openGenerated()'s stream. */
export const GENERATED_CHUNK_BYTES = 64 * 1024;
/** Largest chunk generatedChunks() hands out; the base buffer is extended by this much so every window is contiguous. */
export const GENERATED_MAX_CHUNK_BYTES = 1 << 20;
const HEADER_BYTES = 32;

const bases = new Map<number, Buffer>();

/** The seeded base block (xorshift128), BASE_BYTES long plus a wrap-around copy of its first max chunk. */
function baseBlock(seed: number): Buffer {
  let base = bases.get(seed);
  if (base) return base;
  base = Buffer.allocUnsafe(BASE_BYTES + GENERATED_MAX_CHUNK_BYTES);
  const words = new Uint32Array(base.buffer, base.byteOffset, BASE_BYTES / 4);
  let x = (seed ^ 0x9e3779b9) >>> 0 || 1;
  let y = 362436069;
  let z = 521288629;
  let w = 88675123 ^ seed;
  for (let i = 0; i < words.length; i++) {
    const t = x ^ (x << 11);
    x = y;
    y = z;
    z = w;
    w = (w ^ (w >>> 19) ^ (t ^ (t >>> 8))) >>> 0;
    words[i] = w;
  }
  base.copy(base, BASE_BYTES, 0, GENERATED_MAX_CHUNK_BYTES);
  if (bases.size > 8) bases.clear();
  bases.set(seed, base);
  return base;
}

export interface GeneratedContent {
  seed: number;
  /** Distinguishes files (and versions of a file) sharing a seed. */
  key: string;
}

function header(c: GeneratedContent): Buffer {
  return digestBytes('sha256', `${c.seed}\0${c.key}`);
}

/**
 * The content's `size` bytes as read-only views of a shared buffer (do not modify them), produced synchronously
 * with no copy: the header (up to 32 bytes), then windows of at most `maxChunk` bytes.
 */
export function* generatedChunks(c: GeneratedContent, size: number, maxChunk = GENERATED_CHUNK_BYTES): Generator<Buffer> {
  if (size <= 0) return;
  const step = Math.max(1, Math.min(maxChunk, GENERATED_MAX_CHUNK_BYTES));
  const head = header(c);
  const base = baseBlock(c.seed);
  const offset = head.readUInt32LE(0) % BASE_BYTES;
  let pos = Math.min(HEADER_BYTES, size);
  yield head.subarray(0, pos);
  while (pos < size) {
    const at = (offset + pos) % BASE_BYTES;
    const chunk = base.subarray(at, at + Math.min(step, size - pos));
    pos += chunk.length;
    yield chunk;
  }
}

/** The content as a stream of `size` bytes (chunks are read-only views of a shared buffer; do not modify them). */
export function openGenerated(c: GeneratedContent, size: number): Readable {
  const chunks = generatedChunks(c, size);
  return new Readable({
    highWaterMark: 4 * GENERATED_CHUNK_BYTES,
    read() {
      for (;;) {
        const next = chunks.next();
        if (next.done) {
          this.push(null);
          return;
        }
        if (!this.push(next.value)) return;
      }
    },
  });
}
