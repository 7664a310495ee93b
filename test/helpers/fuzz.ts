/** Deterministic pseudo-random numbers for fuzz-style tests (mulberry32), so every failure can be replayed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomInt(rand: () => number, maxExclusive: number): number {
  return Math.floor(rand() * maxExclusive);
}

export function randomBytes(rand: () => number, length: number): Buffer {
  const b = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) b[i] = randomInt(rand, 256);
  return b;
}

/**
 * A mutated copy of `input`: flips, overwrites with boundary values (0x00, 0xff, 0x7f, 0x80), inserts,
 * deletes and truncates — the edits that break length prefixes and offsets.
 */
export function mutate(rand: () => number, input: Uint8Array): Buffer {
  let b = Buffer.from(input);
  const edits = 1 + randomInt(rand, 4);
  for (let e = 0; e < edits; e++) {
    const kind = randomInt(rand, 6);
    const pos = b.length ? randomInt(rand, b.length) : 0;
    if (kind === 0 && b.length) b[pos] = b[pos]! ^ (1 << randomInt(rand, 8));
    else if (kind === 1 && b.length) b[pos] = [0x00, 0xff, 0x7f, 0x80][randomInt(rand, 4)]!;
    else if (kind === 2) b = Buffer.concat([b.subarray(0, pos), randomBytes(rand, 1 + randomInt(rand, 8)), b.subarray(pos)]);
    else if (kind === 3 && b.length) b = Buffer.concat([b.subarray(0, pos), b.subarray(pos + 1 + randomInt(rand, 8))]);
    else if (kind === 4) b = b.subarray(0, pos);
    else if (b.length >= 4) b.writeUInt32BE(randomInt(rand, 2) ? 0xffffffff : randomInt(rand, 1 << 20), Math.min(pos, b.length - 4));
  }
  return b;
}

/** Every way to split `data` into two chunks, plus byte-at-a-time. */
export function* splits(data: Uint8Array): Generator<Uint8Array[]> {
  for (let i = 0; i <= data.length; i++) yield [data.subarray(0, i), data.subarray(i)];
  yield Array.from(data, (_, i) => data.subarray(i, i + 1));
}
