import { describe, expect, it } from 'vitest';
import { ByteQueue } from '../../protocols/byte-queue.js';
import { prng, randomBytes, randomInt } from '../helpers/fuzz.js';

describe('ByteQueue', () => {
  it('reads integers and ranges across chunk boundaries', () => {
    const q = new ByteQueue();
    q.push(Buffer.from([0x01]));
    q.push(new Uint8Array([0x02, 0x03]));
    q.push(Buffer.alloc(0));
    q.push(Buffer.from([0x04, 0x05]));
    expect(q.length).toBe(5);
    expect(q.readUInt32BE(0)).toBe(0x01020304);
    expect(q.readUInt32LE(1)).toBe(0x05040302);
    expect(q.peek(3)).toEqual(Buffer.from([1, 2, 3]));
    expect(q.length).toBe(5);
    expect(q.take(2)).toEqual(Buffer.from([1, 2]));
    expect(q.byteAt(0)).toBe(3);
    expect(q.takeView(10)).toEqual(Buffer.from([3])); // only the rest of the first chunk
    expect(q.takeAll()).toEqual(Buffer.from([4, 5]));
    expect(q.length).toBe(0);
    expect(() => q.take(1)).toThrow(RangeError);
  });

  it('hands out views of a single chunk and copies only when a range spans chunks', () => {
    const q = new ByteQueue();
    const a = Buffer.alloc(11); // not from the shared pool, so buffer identity means "a view of a"
    a.write('hello world');
    q.push(a);
    const v = q.take(5);
    expect(v.buffer).toBe(a.buffer);
    q.push(Buffer.from('!!'));
    const spanning = q.take(8);
    expect(spanning.toString()).toBe(' world!!');
    expect(spanning.buffer).not.toBe(a.buffer);
  });

  it('matches a plain concatenation under random pushes and takes (also with thousands of tiny chunks)', () => {
    const rand = prng(99);
    const q = new ByteQueue();
    let model = Buffer.alloc(0);
    for (let i = 0; i < 20_000; i++) {
      if (rand() < 0.6) {
        const c = randomBytes(rand, randomInt(rand, 4));
        q.push(c);
        model = Buffer.concat([model, c]);
      } else {
        const n = randomInt(rand, model.length + 1);
        const op = randomInt(rand, 3);
        if (op === 0) expect(q.take(n)).toEqual(model.subarray(0, n));
        else if (op === 1) {
          const v = q.takeView(n);
          expect(v).toEqual(model.subarray(0, v.length));
          model = model.subarray(v.length);
          continue;
        } else q.skip(n);
        model = model.subarray(n);
      }
      expect(q.length).toBe(model.length);
    }
  });
});
