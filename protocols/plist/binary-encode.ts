/**
 * Binary plist (`bplist00`) writer. Objects are numbered depth-first in document order (a dict's keys and
 * values interleaved), like libplist; equal strings (and booleans) share one object. Integers
 * use the smallest size (1/2/4 bytes unsigned, 8 bytes for negatives and up to 2^63−1, 16 bytes above);
 * reals are always float64; strings are ASCII (0x5n) or UTF-16BE (0x6n).
 */
import { CF_EPOCH_SECONDS, classify, CycleGuard, ValuePath } from './encode-value.js';
import type { PlistValue } from './types.js';

const Tag = {
  False: 0x08,
  True: 0x09,
  Int: 0x10,
  Real64: 0x23,
  Date: 0x33,
  Data: 0x40,
  Ascii: 0x50,
  Utf16: 0x60,
  Uid: 0x80,
  Array: 0xa0,
  Dict: 0xd0,
} as const;

type Obj =
  | { t: 'bool' | 'int' | 'real' | 'string' | 'uid'; v: unknown }
  | { t: 'date'; v: Date }
  | { t: 'data'; v: Uint8Array }
  | { t: 'array'; refs: number[] }
  | { t: 'dict'; keys: number[]; values: number[] };

// eslint-disable-next-line no-control-regex
const ASCII_ONLY = /^[\x00-\x7f]*$/;

/** Growable output buffer. */
class ByteWriter {
  buf = Buffer.allocUnsafe(1024);
  len = 0;
  ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }
  u8(v: number): void {
    this.ensure(1);
    this.buf[this.len++] = v;
  }
  uint(v: number, size: number): void {
    this.ensure(size);
    const b = this.buf;
    for (let i = size - 1; i >= 0; i--) {
      b[this.len + i] = v % 256;
      v = Math.floor(v / 256);
    }
    this.len += size;
  }
  bytes(src: Uint8Array): void {
    this.ensure(src.length);
    this.buf.set(src, this.len);
    this.len += src.length;
  }
}

class ObjectTable {
  readonly objects: Obj[] = [];
  private readonly strings = new Map<string, number>();
  private readonly bools = new Map<boolean, number>();
  private readonly path = new ValuePath();
  private readonly guard = new CycleGuard();

  private shared<K>(map: Map<K, number>, key: K, obj: Obj): number {
    const known = map.get(key);
    if (known !== undefined) return known;
    const ref = this.objects.push(obj) - 1;
    map.set(key, ref);
    return ref;
  }

  add(v: unknown): number {
    const c = classify(v, this.path);
    switch (c.kind) {
      case 'string':
        return this.shared(this.strings, c.value, { t: 'string', v: c.value });
      case 'bool':
        return this.shared(this.bools, c.value, { t: 'bool', v: c.value });
      case 'int':
        return this.objects.push({ t: 'int', v: c.value }) - 1;
      case 'real':
        return this.objects.push({ t: 'real', v: c.value }) - 1;
      case 'uid':
        return this.objects.push({ t: 'uid', v: c.value }) - 1;
      case 'date':
        return this.objects.push({ t: 'date', v: c.value }) - 1;
      case 'data':
        return this.objects.push({ t: 'data', v: c.value }) - 1;
      case 'array': {
        const refs: number[] = [];
        const ref = this.objects.push({ t: 'array', refs }) - 1;
        this.guard.enter(c.value, this.path);
        const arr = c.value;
        for (let i = 0; i < arr.length; i++) {
          this.path.push(i);
          refs.push(this.add(arr[i]));
          this.path.pop();
        }
        this.guard.leave(c.value);
        return ref;
      }
      case 'dict': {
        const keys: number[] = [];
        const values: number[] = [];
        const ref = this.objects.push({ t: 'dict', keys, values }) - 1;
        const dict = c.value;
        this.guard.enter(dict, this.path);
        for (const key of Object.keys(dict)) {
          const value = dict[key];
          if (value === undefined) continue;
          this.path.push(key);
          keys.push(this.add(key));
          values.push(this.add(value));
          this.path.pop();
        }
        this.guard.leave(dict);
        return ref;
      }
    }
  }
}

function sizeFor(max: number): 1 | 2 | 4 | 8 {
  if (max < 0x100) return 1;
  if (max < 0x10000) return 2;
  if (max < 0x100000000) return 4;
  return 8;
}

/** Marker byte with a count: inline below 15, else 0xF and an integer object. */
function writeMarker(w: ByteWriter, tag: number, count: number): void {
  if (count < 15) {
    w.u8(tag | count);
    return;
  }
  w.u8(tag | 0x0f);
  const size = sizeFor(count);
  w.u8(Tag.Int | (size === 1 ? 0 : size === 2 ? 1 : size === 4 ? 2 : 3));
  w.uint(count, size);
}

function writeInt(w: ByteWriter, v: number | bigint): void {
  if (typeof v === 'number' && v >= 0 && v < 0x100000000) {
    const size = sizeFor(v);
    w.u8(Tag.Int | (size === 1 ? 0 : size === 2 ? 1 : 2));
    w.uint(v, size);
    return;
  }
  const big = BigInt(v);
  if (big >= 2n ** 63n) {
    w.u8(Tag.Int | 4);
    w.ensure(16);
    w.buf.fill(0, w.len, w.len + 8);
    w.buf.writeBigUInt64BE(big, w.len + 8);
    w.len += 16;
    return;
  }
  w.u8(Tag.Int | 3);
  w.ensure(8);
  w.buf.writeBigInt64BE(big, w.len);
  w.len += 8;
}

function writeDouble(w: ByteWriter, tag: number, v: number): void {
  w.u8(tag);
  w.ensure(8);
  w.buf.writeDoubleBE(v, w.len);
  w.len += 8;
}

function writeString(w: ByteWriter, s: string): void {
  if (ASCII_ONLY.test(s)) {
    writeMarker(w, Tag.Ascii, s.length);
    w.ensure(s.length);
    w.len += w.buf.write(s, w.len, 'latin1');
    return;
  }
  writeMarker(w, Tag.Utf16, s.length);
  const bytes = s.length * 2;
  w.ensure(bytes);
  const b = w.buf;
  let p = w.len;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    b[p++] = c >> 8;
    b[p++] = c & 0xff;
  }
  w.len = p;
}

function writeRefs(w: ByteWriter, refs: number[], refSize: number): void {
  for (const r of refs) w.uint(r, refSize);
}

export function encodeBinaryPlist(value: PlistValue): Buffer {
  const table = new ObjectTable();
  table.add(value);
  const objects = table.objects;
  const refSize = sizeFor(objects.length - 1);
  const offsets: number[] = new Array<number>(objects.length);
  const w = new ByteWriter();
  w.bytes(Buffer.from('bplist00', 'latin1'));
  for (let i = 0; i < objects.length; i++) {
    offsets[i] = w.len;
    const o = objects[i]!;
    switch (o.t) {
      case 'bool':
        w.u8(o.v ? Tag.True : Tag.False);
        break;
      case 'int':
        writeInt(w, o.v as number | bigint);
        break;
      case 'real':
        writeDouble(w, Tag.Real64, o.v as number);
        break;
      case 'date':
        writeDouble(w, Tag.Date, o.v.getTime() / 1000 - CF_EPOCH_SECONDS);
        break;
      case 'string':
        writeString(w, o.v as string);
        break;
      case 'uid': {
        const v = o.v as number;
        const size = v < 0x100 ? 1 : v < 0x10000 ? 2 : 4;
        w.u8(Tag.Uid | (size - 1));
        w.uint(v, size);
        break;
      }
      case 'data':
        writeMarker(w, Tag.Data, o.v.length);
        w.bytes(o.v);
        break;
      case 'array':
        writeMarker(w, Tag.Array, o.refs.length);
        writeRefs(w, o.refs, refSize);
        break;
      case 'dict':
        writeMarker(w, Tag.Dict, o.keys.length);
        writeRefs(w, o.keys, refSize);
        writeRefs(w, o.values, refSize);
        break;
    }
  }
  const offsetTableOffset = w.len;
  const offsetSize = sizeFor(offsets[offsets.length - 1]!);
  for (const off of offsets) w.uint(off, offsetSize);
  w.ensure(32);
  w.buf.fill(0, w.len, w.len + 6);
  w.len += 6;
  w.u8(offsetSize);
  w.u8(refSize);
  w.uint(objects.length, 8);
  w.uint(0, 8);
  w.uint(offsetTableOffset, 8);
  return Buffer.from(w.buf.subarray(0, w.len));
}
