import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../protocols/errors.js';
import { decodePlist, encodePlist, real, uid, type PlistDecodeLimits, type PlistValue } from '../../protocols/plist/index.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

interface Layout {
  offsetSize?: number;
  refSize?: number;
  count?: bigint;
  top?: bigint;
  tableOffset?: bigint;
}

/** Assemble a bplist00 from raw object bytes (refs inside them must match refSize), optionally lying in the trailer. */
function assemble(objects: Buffer[], layout: Layout = {}): Buffer {
  const offsetSize = layout.offsetSize ?? 1;
  const parts: Buffer[] = [Buffer.from('bplist00')];
  const offsets: number[] = [];
  let pos = 8;
  for (const o of objects) {
    offsets.push(pos);
    parts.push(o);
    pos += o.length;
  }
  const table = Buffer.alloc(objects.length * offsetSize);
  offsets.forEach((off, i) => table.writeUIntBE(off, i * offsetSize, offsetSize));
  parts.push(table);
  const trailer = Buffer.alloc(32);
  trailer[6] = offsetSize;
  trailer[7] = layout.refSize ?? 1;
  trailer.writeBigUInt64BE(layout.count ?? BigInt(objects.length), 8);
  trailer.writeBigUInt64BE(layout.top ?? 0n, 16);
  trailer.writeBigUInt64BE(layout.tableOffset ?? BigInt(pos), 24);
  parts.push(trailer);
  return Buffer.concat(parts);
}

function expectError(fn: () => unknown, code: string, message?: RegExp): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, 'expected a ProtocolError').toBeInstanceOf(ProtocolError);
  expect((err as ProtocolError).code).toBe(code);
  if (message) expect((err as ProtocolError).message).toMatch(message);
}

const malformed = (data: Buffer, message?: RegExp, limits?: PlistDecodeLimits): void =>
  expectError(() => decodePlist(data, limits), 'PLIST_MALFORMED', message);

describe('binary decoder reads what other writers produce', () => {
  it('integers of every width, signed 8-byte and 16-byte unsigned', () => {
    const v = assemble([
      hex('a8 01 02 03 04 05 06 07 08'),
      hex('10 ff'),
      hex('11 ffff'),
      hex('12 ffffffff'),
      hex('13 fffffffffffffff3'),
      hex('13 7fffffffffffffff'),
      hex('14 0000000000000000 8000000000000000'),
      hex('14 0000000000000000 0000000000000005'),
      hex('13 8000000000000000'),
    ]);
    expect(decodePlist(v)).toEqual([255, 65535, 4294967295, -13, 2n ** 63n - 1n, 2n ** 63n, 5, -(2n ** 63n)]);
  });

  it('float32 and float64 reals, dates, data, ASCII and UTF-16 strings, UIDs of 1–4 bytes', () => {
    const v = assemble([
      hex('aa 01 02 03 04 05 06 07 08 09 0a'),
      hex('22 40000000'),
      hex('23 400c000000000000'),
      hex('33 0000000000000000'),
      hex('42 beef'),
      hex('53 616263'),
      hex('62 00e9 00df'),
      hex('80 07'),
      hex('81 0102'),
      hex('82 010203'),
      hex('83 ffffffff'),
    ]);
    expect(decodePlist(v)).toEqual([
      real(2),
      real(3.5),
      new Date(Date.UTC(2001, 0, 1)),
      Buffer.from([0xbe, 0xef]),
      'abc',
      'éß',
      uid(7),
      uid(0x102),
      uid(0x10203),
      uid(0xffffffff),
    ]);
  });

  it('lengths of 15 or more in a following integer object, 2-byte refs and offsets', () => {
    const strings = Array.from({ length: 300 }, (_, i) => `s${i}`);
    const back = decodePlist(encodePlist([strings.join(''), strings, Buffer.alloc(70000, 1)], 'binary')) as PlistValue[];
    expect(back[0]).toBe(strings.join(''));
    expect(back[1]).toEqual(strings);
    expect((back[2] as Buffer).length).toBe(70000);
  });

  it('objects shared by several references (as Apple and libplist write them) decode at every place', () => {
    const v = assemble([hex('d2 01 02 03 03'), hex('51 61'), hex('51 62'), hex('a1 04'), hex('51 78')]);
    expect(decodePlist(v)).toEqual({ a: ['x'], b: ['x'] });
  });
});

describe('binary decoder rejects damaged input with PLIST_MALFORMED', () => {
  const good = encodePlist(['DLMessageStatusResponse', -13, 'Multi status', {}], 'binary');

  it('truncated trailer and too-short input', () => {
    malformed(good.subarray(0, good.length - 5));
    malformed(good.subarray(0, 20), /too short/);
    malformed(Buffer.from('bplist00'), /too short/);
  });

  it('bad trailer fields', () => {
    const withTrailer = (edit: (t: Buffer) => void): Buffer => {
      const b = Buffer.from(good);
      edit(b.subarray(b.length - 32));
      return b;
    };
    malformed(withTrailer((t) => (t[6] = 0)), /offset size 0/);
    malformed(withTrailer((t) => (t[7] = 9)), /reference size 9/);
    malformed(withTrailer((t) => t.writeBigUInt64BE(0n, 8)), /no objects/);
    malformed(withTrailer((t) => t.writeBigUInt64BE(2n ** 40n, 8)), /claims 1099511627776 objects/);
    malformed(withTrailer((t) => t.writeBigUInt64BE(0xffffffffffffffffn, 8)), /claims/);
    malformed(withTrailer((t) => t.writeBigUInt64BE(5n, 16)), /top object 5/);
    malformed(withTrailer((t) => t.writeBigUInt64BE(0xffffffffffffffffn, 24)), /offset table offset/);
    malformed(withTrailer((t) => t.writeBigUInt64BE(3n, 24)), /offset table offset/);
  });

  it('object offsets out of range', () => {
    const b = Buffer.from(good);
    const table = b.length - 32 - 5;
    b[table + 2] = 0xfe;
    malformed(b, /object #2 has offset 254/);
    const c = Buffer.from(good);
    c[table] = 2;
    malformed(c, /object #0 has offset 2/);
  });

  it('references out of range', () => {
    malformed(assemble([hex('a1 05'), hex('09')]), /refers to object #5/);
  });

  it('reference cycles: an array containing itself, and a longer loop', () => {
    malformed(assemble([hex('a1 00')]), /contains itself/);
    malformed(assemble([hex('a1 01'), hex('d1 02 00'), hex('51 6b')]), /contains itself/);
  });

  it('lengths that run past the end', () => {
    malformed(assemble([hex('6f 10 ff 0041')]), /UTF-16 string of 510 bytes runs past/);
    malformed(assemble([hex('6f 13 7fffffffffffffff')]), /length 9223372036854776000 is impossible/);
    malformed(assemble([hex('6f 12 7fffffff')]), /UTF-16 string of 4294967294 bytes/);
    malformed(assemble([hex('4f 12 7fffffff')]), /data of 2147483647 bytes/);
    malformed(assemble([hex('5f 10 20 41')]), /ASCII string/);
    malformed(assemble([hex('af 12 0fffffff 01')]), /array references/);
    malformed(assemble([hex('df 11 ffff 01')]), /dict references/);
    malformed(assemble([hex('13 ffff')]), /integer of 8 bytes runs past/);
    malformed(assemble([hex('23 4000')]), /real/);
    malformed(assemble([hex('5f 23 00')]), /length is not an integer object/);
  });

  it('markers outside the supported subset', () => {
    malformed(assemble([hex('00')]), /null/);
    malformed(assemble([hex('0f')]), /null\/fill/);
    malformed(assemble([hex('15 00')]), /integer of 2\^5 bytes/);
    malformed(assemble([hex('21 0000')]), /real of 2\^1 bytes/);
    malformed(assemble([hex('32 00000000')]), /date marker/);
    malformed(assemble([hex('84 0102030405')]), /UID of 5 bytes/);
    malformed(assemble([hex('c1 00')]), /unknown marker 0xc1/);
    malformed(assemble([hex('71 41')]), /unknown marker 0x71/);
    malformed(assemble([hex('d1 01 01'), hex('10 01')]), /key .* that is not a string/);
    malformed(assemble([hex('33 7ff8000000000000')]), /date is not representable/);
  });

  it('other binary plist versions', () => {
    malformed(Buffer.concat([Buffer.from('bplist15'), good.subarray(8)]), /unsupported binary plist version "bplist15"/);
  });
});

describe('binary decoder limits → PLIST_TOO_LARGE', () => {
  it('maxBytes', () => {
    expectError(() => decodePlist(encodePlist(Buffer.alloc(1000), 'binary'), { maxBytes: 999 }), 'PLIST_TOO_LARGE', /limit of 999 bytes/);
  });

  it('maxObjects against the declared object count', () => {
    const b = encodePlist(Array.from({ length: 100 }, (_, i) => i), 'binary');
    expect(() => decodePlist(b, { maxObjects: 101 })).not.toThrow();
    expectError(() => decodePlist(b, { maxObjects: 100 }), 'PLIST_TOO_LARGE', /declares 101/);
  });

  it('shared references that would expand exponentially stop early', () => {
    // object i = [i+1, i+1] for 40 levels: 2^40 values if expanded, from a 200-byte file.
    const objects: Buffer[] = Array.from({ length: 40 }, (_, i) => Buffer.from([0xa2, i + 1, i + 1]));
    objects.push(hex('09'));
    const started = performance.now();
    expectError(() => decodePlist(assemble(objects)), 'PLIST_TOO_LARGE', /expands to more than \d+ values produced through shared references/);
    expectError(() => decodePlist(assemble(objects), { maxObjects: 100 }), 'PLIST_TOO_LARGE', /limit of 100 objects/);
    expect(performance.now() - started).toBeLessThan(500);
    // a modest amount of sharing (a few levels) still decodes
    const few: Buffer[] = Array.from({ length: 3 }, (_, i) => Buffer.from([0xa2, i + 1, i + 1]));
    few.push(hex('09'));
    expect(decodePlist(assemble(few))).toEqual([[[true, true], [true, true]], [[true, true], [true, true]]]);
  });

  it('maxDepth (default 512)', () => {
    let v: PlistValue = 1;
    for (let i = 0; i < 512; i++) v = [v];
    expect(() => decodePlist(encodePlist(v, 'binary'))).not.toThrow();
    expectError(() => decodePlist(encodePlist([v], 'binary')), 'PLIST_TOO_LARGE', /deeper than the limit of 512/);
    expectError(() => decodePlist(encodePlist(v, 'binary'), { maxDepth: 10 }), 'PLIST_TOO_LARGE');
  });
});
