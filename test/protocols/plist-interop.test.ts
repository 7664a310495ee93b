// Cross-checks against independent implementations: the bplist-parser and plist npm packages, and Debian's
// plistutil (libplist 2.2), which is always installed where these tests run.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as bplistParser from 'bplist-parser';
import * as plist from 'plist';
import {
  decodePlist,
  encodePlist,
  isPlistDict,
  PlistReal,
  PlistUid,
  real,
  uid,
  type PlistDict,
  type PlistValue,
} from '../../protocols/plist/index.js';

const dir = mkdtempSync(join(tmpdir(), 'plist-interop-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let fileNo = 0;
function plistutil(input: Buffer, format: 'xml' | 'bin'): Buffer {
  const n = fileNo++;
  const inPath = join(dir, `in-${n}`);
  const outPath = join(dir, `out-${n}.${format}`);
  writeFileSync(inPath, input);
  execFileSync('plistutil', ['-i', inPath, '-o', outPath, '-f', format], { stdio: ['ignore', 'ignore', 'pipe'] });
  return readFileSync(outPath);
}

/** Everything libplist and the npm packages can carry (no NUL in strings: libplist strings are C strings). */
function sample(): PlistDict {
  return {
    MessageName: 'Hello',
    SupportedProtocolVersions: [real(2.0), real(2.1)],
    ascii: 'plain text',
    unicode: 'Grüße 漢字 🍎 👨‍👩‍👧',
    markup: '<key>&amp;</key> "quoted" \'single\' ]]>',
    whitespace: ' tab\t newline\n ',
    empty: '',
    t: true,
    f: false,
    ints: [0, 1, 255, 256, 65535, 65536, 4294967295, 4294967296, -1, -13, -4294967296, Number.MAX_SAFE_INTEGER],
    bigints: [2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 1n, -(2n ** 63n), 2n ** 53n + 1n],
    reals: [real(0), real(0.5), real(-1.25), real(1e-300), real(1.7976931348623157e308), real(123456789.12345679), real(0.1), real(1e-5), real(5e-324), real(1e17), real(123456789012345680), real(Infinity), real(-Infinity), real(NaN)],
    data: [Buffer.alloc(0), Buffer.from('00ff7f80', 'hex'), Buffer.alloc(500, 0x5a)],
    dates: [new Date(Date.UTC(2001, 0, 1)), new Date(Date.UTC(2024, 1, 29, 23, 59, 59)), new Date(Date.UTC(1990, 6, 4, 12, 0, 0))],
    uids: [uid(0), uid(200), uid(70000)],
    emptyArray: [],
    emptyDict: {},
    long: Array.from({ length: 300 }, (_, i) => ({ index: i, name: `item ${i}`, odd: i % 2 === 1 })),
    nested: { a: { b: { c: { d: [[['deep']]] } } } },
  };
}

/** Our value as bplist-parser represents it: plain numbers for reals, its own UID class, plain objects. */
function asBplistParser(v: PlistValue): unknown {
  if (v instanceof PlistReal) return v.value;
  if (v instanceof PlistUid) return new bplistParser.UID(v.value);
  if (v instanceof Uint8Array || v instanceof Date || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(asBplistParser);
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = asBplistParser(x);
  return out;
}

/** Our value as the plist npm package represents it (no UIDs, no bigints, reals as numbers, data as Uint8Array). */
function asPlistNpm(v: PlistValue): unknown {
  if (v instanceof PlistReal) return v.value;
  if (v instanceof Uint8Array) return new Uint8Array(v);
  if (v instanceof Date || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(asPlistNpm);
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, asPlistNpm(x as PlistValue)]));
}

function withoutPlistNpmGaps(d: PlistDict): PlistDict {
  // The plist npm package has no UID or 64-bit integer type; all-integral reals become <integer>.
  const { uids: _u, bigints: _b, reals: _r, SupportedProtocolVersions: _s, ...rest } = d;
  return rest;
}

describe('binary output read by other implementations', () => {
  it('bplist-parser reads our binary plists to the same values', () => {
    const v = sample();
    const [parsed] = bplistParser.parseBuffer(encodePlist(v, 'binary'));
    expect(parsed).toEqual(asBplistParser(v));
  });

  it('plistutil reads our binary plists; its XML decodes with ours to the same values', () => {
    const v = sample();
    const xml = plistutil(encodePlist(v, 'binary'), 'xml');
    expect(xml.subarray(0, 5).toString()).toBe('<?xml');
    expect(decodePlist(xml)).toEqual(v);
  });

  it('plistutil reads a DeviceLink status response with a negative 8-byte integer', () => {
    const xml = plistutil(encodePlist(['DLMessageStatusResponse', -13, 'Multi status', {}], 'binary'), 'xml').toString();
    expect(xml).toContain('<integer>-13</integer>');
  });
});

describe('XML output read by other implementations', () => {
  it('plistutil reads our XML; its binary plist decodes with ours to the same values', () => {
    const v = sample();
    const bin = plistutil(encodePlist(v, 'xml'), 'bin');
    expect(bin.subarray(0, 8).toString()).toBe('bplist00');
    // libplist 2.2 keeps an XML CF$UID dict as a dict when it writes binary; everything else is identical.
    const expected = { ...v, uids: (v['uids'] as PlistUid[]).map((u) => ({ CF$UID: u.value })) };
    expect(decodePlist(bin)).toEqual(expected);
  });

  it('plistutil re-emits our XML byte for byte (same layout as libplist)', () => {
    const v = sample();
    const ours = encodePlist(v, 'xml');
    const theirs = plistutil(plistutil(ours, 'bin'), 'xml');
    expect(theirs.toString()).toBe(ours.toString());
  });

  it('the plist npm package parses our XML to the same values', () => {
    const v = withoutPlistNpmGaps(sample());
    expect(plist.parse(encodePlist(v, 'xml').toString())).toEqual(asPlistNpm(v));
  });
});

describe('XML from other implementations decoded by ours', () => {
  it('decodes XML built by the plist npm package', () => {
    const input = {
      s: 'x & y <z>',
      n: 42,
      neg: -7,
      r: 3.25,
      b: true,
      d: new Date(Date.UTC(2022, 11, 31, 23, 0, 0)),
      data: Buffer.from('hello world, this is some data that wraps over more than one base64 line of output'),
      arr: [1, 'two', [false]],
      obj: { inner: 'v', empty: {} },
    };
    const xml = plist.build(input);
    const back = decodePlist(Buffer.from(xml));
    expect(back).toEqual({ ...input, r: real(3.25) });
  });

  it('decodes XML written by plistutil from a binary plist built by libplist', () => {
    const source =
      '<?xml version="1.0" encoding="UTF-8"?><plist version="1.0"><dict><key>k</key><array>' +
      '<real>2</real><integer>-13</integer><integer>18446744073709551615</integer><data>AAEC</data>' +
      '<date>2020-01-02T03:04:05Z</date><string>é😀</string><dict><key>CF$UID</key><integer>5</integer></dict>' +
      '</array></dict></plist>';
    const bin = plistutil(Buffer.from(source), 'bin');
    const expected = { k: [real(2), -13, 2n ** 64n - 1n, Buffer.from([0, 1, 2]), new Date(Date.UTC(2020, 0, 2, 3, 4, 5)), 'é😀', { CF$UID: 5 }] };
    // libplist keeps the CF$UID dict as a dict in binary form (and narrows 2.0 to a float32 real).
    const fromBin = decodePlist(bin) as PlistDict;
    expect(fromBin).toEqual(expected);
    const xml = plistutil(bin, 'xml');
    const fromXml = decodePlist(xml) as PlistDict;
    expect((fromXml['k'] as PlistValue[]).slice(0, 6)).toEqual(expected.k.slice(0, 6));
    expect((fromXml['k'] as PlistValue[])[6]).toEqual(uid(5));
    expect(isPlistDict(fromBin)).toBe(true);
  });
});
