import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../protocols/errors.js';
import {
  decodePlist,
  detectPlistFormat,
  encodePlist,
  PlistReal,
  PlistUid,
  real,
  uid,
  type PlistDict,
  type PlistFormat,
  type PlistValue,
} from '../../protocols/plist/index.js';

const FORMATS: PlistFormat[] = ['xml', 'binary'];
const roundTrip = (v: PlistValue, f: PlistFormat): PlistValue => decodePlist(encodePlist(v, f));

function sample(): PlistDict {
  return {
    str: 'hello',
    empty: '',
    emoji: 'I ❤ 🍎 — ü ß 漢字 👨‍👩‍👧',
    control: 'tab\tnl\ncr\r nul\u0000 us\u001f del\u007f',
    markup: '<a href="x">&amp;</a> ]]> &#38;',
    spaces: '  leading and trailing  ',
    t: true,
    f: false,
    ints: [0, 1, -1, 255, 256, 65535, 65536, 2 ** 31, 2 ** 32, -(2 ** 31), Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER],
    bigints: [2n ** 53n, -(2n ** 53n), 2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 1n, -(2n ** 63n)],
    reals: [real(0), real(2), real(0.1), real(-1.5e-300), real(1e300), real(Number.MIN_VALUE), real(Number.MAX_VALUE), real(123456.789), real(1e17), real(1e-5)],
    specials: [real(Infinity), real(-Infinity), real(NaN)],
    uids: [uid(0), uid(255), uid(256), uid(65536), uid(0xffffffff)],
    data: [Buffer.alloc(0), Buffer.from([0, 1, 2, 255]), Buffer.alloc(300, 0xab)],
    dates: [new Date(Date.UTC(2001, 0, 1)), new Date(Date.UTC(1970, 0, 1)), new Date(Date.UTC(1900, 5, 15, 12, 0, 1)), new Date(Date.UTC(2038, 0, 19, 3, 14, 8))],
    emptyArray: [],
    emptyDict: {},
    nested: { a: [{ b: [[], [{}]] }], 'key with spaces & <markup>': 'v', '': 'empty key', 'ключ': 'значение' },
  };
}

describe.each(FORMATS)('%s round trip', (format) => {
  it('keeps every type and value', () => {
    const v = sample();
    expect(roundTrip(v, format)).toEqual(v);
    expect(detectPlistFormat(encodePlist(v, format))).toBe(format);
  });

  it('re-encodes a decoded document to the same bytes', () => {
    const once = encodePlist(sample(), format);
    expect(encodePlist(decodePlist(once), format).equals(once)).toBe(true);
  });

  it('keeps reals as PlistReal (2.0 stays a real) and integers as numbers', () => {
    const back = roundTrip([real(2), 2, 2.5], format) as PlistValue[];
    expect(back[0]).toBeInstanceOf(PlistReal);
    expect(back[1]).toBe(2);
    expect(back[2]).toEqual(real(2.5));
  });

  it('keeps bigints beyond 2^53 as bigints with their exact value', () => {
    const values = [2n ** 63n, 2n ** 64n - 1n, -(2n ** 63n), 2n ** 53n + 1n];
    expect(roundTrip(values, format)).toEqual(values);
  });

  it('keeps -0 as a real', () => {
    const back = roundTrip(real(-0), format) as PlistReal;
    expect(Object.is(back.value, -0)).toBe(true);
  });

  it('keeps top-level scalars', () => {
    for (const v of ['x', '', 7, -7, true, false, real(1.25), uid(3), Buffer.from('hi'), new Date(Date.UTC(2024, 1, 29))]) {
      expect(roundTrip(v, format)).toEqual(v);
    }
  });

  it('encodes a Uint8Array (not only Buffer) as data', () => {
    const bytes = new Uint8Array([9, 8, 7, 6]).subarray(1);
    expect(Buffer.from(roundTrip(bytes, format) as Uint8Array)).toEqual(Buffer.from([8, 7, 6]));
  });

  it('handles deep nesting below the depth limit', () => {
    let v: PlistValue = 'leaf';
    for (let i = 0; i < 500; i++) v = i % 2 ? [v] : { k: v };
    expect(roundTrip(v, format)).toEqual(v);
  });

  it('handles large arrays and many dicts', () => {
    const big = Array.from({ length: 70_000 }, (_, i) => i * 7919);
    expect(roundTrip(big, format)).toEqual(big);
    const records = Array.from({ length: 3000 }, (_, i) => ({ fileID: `f${i.toString(16)}`, domain: 'HomeDomain', flags: 1, size: i * 10 }));
    expect(roundTrip(records, format)).toEqual(records);
  });

  it('strings of every length around the 15-element inline limit and long strings', () => {
    const v = [14, 15, 16, 255, 256, 65536].flatMap((n) => ['a'.repeat(n), 'é'.repeat(n)]);
    expect(roundTrip(v, format)).toEqual(v);
  });

  it('treats __proto__ as an ordinary key and returns null-prototype dicts', () => {
    const input = JSON.parse('{"__proto__": {"polluted": true}, "constructor": "c", "toString": 1}') as PlistDict;
    const back = roundTrip(input, format) as PlistDict;
    expect(Object.getPrototypeOf(back)).toBeNull();
    expect(Object.keys(back)).toEqual(['__proto__', 'constructor', 'toString']);
    expect({ ...(back['__proto__'] as object) }).toEqual({ polluted: true });
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('skips undefined dict values', () => {
    expect(roundTrip({ a: 1, b: undefined, c: 'x' }, format)).toEqual({ a: 1, c: 'x' });
  });

  it('decodes UIDs to PlistUid', () => {
    const back = roundTrip({ $objects: ['$null', { 'NS.keys': [uid(2)], $class: uid(3) }], $top: { root: uid(1) } }, format) as PlistDict;
    expect((back['$top'] as PlistDict)['root']).toBeInstanceOf(PlistUid);
  });

  describe('rejects values a plist cannot hold with PLIST_UNSUPPORTED', () => {
    const cyclicArray: PlistValue[] = [];
    cyclicArray.push(cyclicArray);
    const cyclicDict: PlistDict = {};
    cyclicDict['self'] = { inner: cyclicDict };
    const cases: [string, unknown][] = [
      ['null', null],
      ['undefined', undefined],
      ['null inside an array', [1, null]],
      ['a function', { f: () => 1 }],
      ['a symbol', [Symbol('s')]],
      ['NaN as a plain number', NaN],
      ['Infinity as a plain number', { x: Infinity }],
      ['an integer number beyond u64', 1e20],
      ['a bigint beyond u64', 2n ** 64n],
      ['a bigint below i64', -(2n ** 63n) - 1n],
      ['a Map', new Map([['a', 1]])],
      ['an invalid Date', new Date(NaN)],
      ['a self-containing array', cyclicArray],
      ['a self-containing dict', cyclicDict],
    ];
    for (const [name, value] of cases) {
      it(name, () => {
        let err: unknown;
        try {
          encodePlist(value as PlistValue, format);
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(ProtocolError);
        expect((err as ProtocolError).code).toBe('PLIST_UNSUPPORTED');
      });
    }
  });

  it('refuses absurd nesting with PLIST_UNSUPPORTED instead of overflowing the stack', () => {
    let v: PlistValue = 1;
    for (let i = 0; i < 100_000; i++) v = i % 2 ? [v] : { k: v };
    expect(() => encodePlist(v, format)).toThrow(/nested more than 1024 containers deep/);
  });

  it('allows the same (non-cyclic) object twice', () => {
    const shared = { a: [1, 2] };
    expect(roundTrip([shared, shared, { x: shared }], format)).toEqual([shared, shared, { x: shared }]);
  });
});

describe('format-specific round trips', () => {
  it('binary keeps millisecond dates; XML keeps whole seconds (rounded down)', () => {
    const d = new Date(Date.UTC(2023, 4, 6, 7, 8, 9, 987));
    expect(roundTrip(d, 'binary')).toEqual(d);
    expect(roundTrip(d, 'xml')).toEqual(new Date(Date.UTC(2023, 4, 6, 7, 8, 9)));
  });

  it('binary keeps strings with unpaired surrogates; XML refuses them', () => {
    expect(roundTrip('a\ud800b', 'binary')).toBe('a\ud800b');
    expect(() => encodePlist('a\ud800b', 'xml')).toThrow(ProtocolError);
  });

  it('XML refuses dates outside 0000–9999, binary keeps them', () => {
    const d = new Date(Date.UTC(12000, 0, 1));
    expect(roundTrip(d, 'binary')).toEqual(d);
    expect(() => encodePlist(d, 'xml')).toThrow(/year outside/);
  });

  it('rejects an unknown format name', () => {
    expect(() => encodePlist('x', 'json' as PlistFormat)).toThrow(ProtocolError);
  });

  it('decodes a 10k-object binary document quickly', () => {
    const records = Array.from({ length: 2500 }, (_, i) => ({ path: `Library/file-${i}`, size: i, mode: 0o100644 }));
    const bin = encodePlist(records, 'binary');
    const start = performance.now();
    for (let i = 0; i < 5; i++) decodePlist(bin);
    const perDecode = (performance.now() - start) / 5;
    expect(perDecode).toBeLessThan(200);
  });
});
