import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../protocols/errors.js';
import { decodePlist, detectPlistFormat, real, uid, type PlistDecodeLimits, type PlistDict, type PlistValue } from '../../protocols/plist/index.js';

const HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n';
const doc = (body: string): Buffer => Buffer.from(`${HEAD}<plist version="1.0">\n${body}\n</plist>\n`);
const decode = (body: string, limits?: PlistDecodeLimits): PlistValue => decodePlist(doc(body), limits);

function expectError(fn: () => unknown, code: string, message?: RegExp): ProtocolError {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, 'expected a ProtocolError').toBeInstanceOf(ProtocolError);
  const pe = err as ProtocolError;
  expect(pe.code).toBe(code);
  if (message) expect(pe.message).toMatch(message);
  return pe;
}

describe('XML decoder accepts the plist subset', () => {
  it('reads every element type', () => {
    const v = decode(`<dict>
      <key>s</key><string>a &amp; b &lt;c&gt; &quot;d&quot; &apos;e&apos; &#65;&#x42;&#x1F34E;</string>
      <key>empty1</key><string/>
      <key>empty2</key><string></string>
      <key>i</key><integer>-42</integer>
      <key>hex</key><integer>0x1F</integer>
      <key>u64</key><integer>18446744073709551615</integer>
      <key>i64</key><integer>-9223372036854775808</integer>
      <key>r</key><real>-1.5e3</real>
      <key>r2</key><real>.5</real>
      <key>nan</key><real>nan</real>
      <key>inf</key><real>inf</real>
      <key>ninf</key><real>-inf</real>
      <key>pinf</key><real>+infinity</real>
      <key>t</key><true/>
      <key>f</key><false></false>
      <key>d</key><date>2021-03-04T05:06:07Z</date>
      <key>data</key><data>
        AAEC
        AwQF
      </data>
      <key>nopad</key><data>AAE</data>
      <key>a</key><array/>
      <key>o</key><dict/>
      <key>uid</key><dict><key>CF$UID</key><integer>12</integer></dict>
    </dict>`) as PlistDict;
    expect(v).toEqual({
      s: 'a & b <c> "d" \'e\' AB🍎',
      empty1: '',
      empty2: '',
      i: -42,
      hex: 31,
      u64: 2n ** 64n - 1n,
      i64: -(2n ** 63n),
      r: real(-1500),
      r2: real(0.5),
      nan: real(NaN),
      inf: real(Infinity),
      ninf: real(-Infinity),
      pinf: real(Infinity),
      t: true,
      f: false,
      d: new Date(Date.UTC(2021, 2, 4, 5, 6, 7)),
      data: Buffer.from([0, 1, 2, 3, 4, 5]),
      nopad: Buffer.from([0, 1]),
      a: [],
      o: {},
      uid: uid(12),
    });
    expect(Object.getPrototypeOf(v)).toBeNull();
  });

  it('skips comments, processing instructions and a DOCTYPE with an internal subset; reads CDATA', () => {
    const xml =
      '<?xml version="1.0"?><!-- c1 --><!DOCTYPE plist [ <!ENTITY x "y"> ]><?pi data?>' +
      '<plist version="1.0"><!-- c2 --><array><!-- c3 --><string>a<!-- inside -->b<![CDATA[<&>]]></string></array><!-- c4 --></plist><!-- end -->';
    expect(decodePlist(Buffer.from(xml))).toEqual(['ab<&>']);
  });

  it('tolerates a UTF-8 BOM and leading whitespace, and UTF-16 with a BOM', () => {
    const body = '<plist version="1.0"><string>é😀</string></plist>';
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`\n\t  <?xml version="1.0" encoding="UTF-8"?>${body}`)]);
    expect(detectPlistFormat(bom)).toBe('xml');
    expect(decodePlist(bom)).toBe('é😀');
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`<?xml version="1.0" encoding="UTF-16"?>${body}`, 'utf16le')]);
    expect(detectPlistFormat(le)).toBe('xml');
    expect(decodePlist(le)).toBe('é😀');
    const be = Buffer.from(le);
    be.swap16();
    expect(decodePlist(be)).toBe('é😀');
  });

  it('accepts a bare root value without <plist>', () => {
    expect(decodePlist(Buffer.from('<array><integer>1</integer></array>'))).toEqual([1]);
  });

  it('keeps whitespace inside <string> and trims it around numbers', () => {
    expect(decode('<array><string>  x\n </string><integer>\n 5 \n</integer><real> 1.5 </real></array>')).toEqual(['  x\n ', 5, real(1.5)]);
  });

  it('a dict whose only key is CF$UID but with a non-integer value stays a dict', () => {
    expect(decode('<dict><key>CF$UID</key><string>x</string></dict>')).toEqual({ CF$UID: 'x' });
    expect(decode('<dict><key>CF$UID</key><integer>1</integer><key>other</key><true/></dict>')).toEqual({ CF$UID: 1, other: true });
  });

  it('detectPlistFormat tells XML, binary and neither apart', () => {
    expect(detectPlistFormat(Buffer.from('bplist00xyz'))).toBe('binary');
    expect(detectPlistFormat(Buffer.from('  <plist/>'))).toBe('xml');
    expect(detectPlistFormat(Buffer.from('{"json": true}'))).toBeUndefined();
    expect(detectPlistFormat(Buffer.alloc(0))).toBeUndefined();
  });
});

describe('XML decoder rejects everything else with PLIST_MALFORMED and says where', () => {
  const cases: [string, string, RegExp][] = [
    ['unclosed array', '<array><string>x</string>', /<\/plist> does not close <array> opened at line 4, column 1/],
    ['mismatched end tag', '<array></dict>', /<\/dict> does not close <array>/],
    ['unknown element', '<array><foo/></array>', /unknown element <foo> at line 4, column 8/],
    ['null element', '<null/>', /unknown element <null>/],
    ['bad base64 character', '<data>AA@A</data>', /<data> is not valid base64/],
    ['base64 single trailing character', '<data>AAAAA</data>', /base64/],
    ['base64 padding in the middle', '<data>AA==AA==</data>', /base64/],
    ['integer overflow above u64', '<integer>18446744073709551616</integer>', /<integer> is not a whole number/],
    ['integer overflow below i64', '<integer>-9223372036854775809</integer>', /<integer>/],
    ['integer with junk', '<integer>12abc</integer>', /<integer>/],
    ['empty integer', '<integer></integer>', /<integer>/],
    ['fractional integer', '<integer>1.5</integer>', /<integer>/],
    ['bad real', '<real>1.2.3</real>', /<real> is not a number/],
    ['empty real', '<real/>', /<real>/],
    ['bad date', '<date>2020-02-30T00:00:00Z</date>', /<date>/],
    ['date without time', '<date>2020-01-01</date>', /<date>/],
    ['text in <true/>', '<true>yes</true>', /must be empty/],
    ['markup inside a string', '<string>a<b/>c</string>', /unexpected markup inside <string>/],
    ['text between array elements', '<array>hello<true/></array>', /unexpected text inside <array>/],
    ['key without a value', '<dict><key>a</key></dict>', /has no value/],
    ['value without a key', '<dict><string>a</string></dict>', /expected <key> in <dict>/],
    ['key outside a dict', '<key>a</key>', /<key> outside a <dict>/],
    ['two values in plist', '<true/><false/>', /more than one value/],
    ['unknown entity', '<string>&nbsp;</string>', /unknown entity &nbsp;/],
    ['bare ampersand', '<string>a & b</string>', /does not start an entity/],
    ['surrogate character reference', '<string>&#xD800;</string>', /invalid character reference/],
    ['out-of-range character reference', '<string>&#x110000;</string>', /invalid character reference/],
    ['unterminated comment', '<array><!-- x </array>', /unterminated comment/],
    ['unterminated CDATA', '<string><![CDATA[abc</string>', /unterminated CDATA/],
    ['unquoted attribute', '<array x=1></array>', /not quoted/],
  ];
  for (const [name, body, message] of cases) {
    it(name, () => {
      expectError(() => decode(body), 'PLIST_MALFORMED', message);
    });
  }

  it('truncated documents', () => {
    const full = doc('<dict><key>a</key><array><string>x</string></array></dict>').toString();
    expectError(() => decodePlist(Buffer.from(full.slice(0, full.indexOf('<string>') + 9))), 'PLIST_MALFORMED', /document ends inside <string> opened at line 4/);
    expectError(() => decodePlist(Buffer.from(full.slice(0, full.indexOf('</array>')))), 'PLIST_MALFORMED', /document ends inside <array>/);
    expectError(() => decodePlist(Buffer.from(full.slice(0, full.indexOf('<array>') + 4))), 'PLIST_MALFORMED', /document ends inside the tag <arr>/);
    expectError(() => decodePlist(Buffer.from(full.slice(0, full.indexOf('</plist>')))), 'PLIST_MALFORMED', /document ends inside <plist>/);
  });

  it('reports offsets in the message', () => {
    const err = expectError(() => decodePlist(Buffer.from('<plist><array><bogus/></array></plist>')), 'PLIST_MALFORMED');
    expect(err.message).toContain('offset 14');
  });

  it('empty plist, empty input, junk, invalid UTF-8, content after the end', () => {
    expectError(() => decodePlist(Buffer.from('<plist version="1.0"/>')), 'PLIST_MALFORMED', /no value/);
    expectError(() => decodePlist(Buffer.from('<plist></plist>')), 'PLIST_MALFORMED', /no value/);
    expectError(() => decodePlist(Buffer.alloc(0)), 'PLIST_MALFORMED', /empty input/);
    expectError(() => decodePlist(Buffer.from('hello')), 'PLIST_MALFORMED', /neither/);
    expectError(() => decodePlist(Buffer.from([0x3c, 0x73, 0xff, 0xfe])), 'PLIST_MALFORMED', /UTF-8/);
    expectError(() => decodePlist(Buffer.from('<plist><true/></plist><extra/>')), 'PLIST_MALFORMED', /after the end/);
    expectError(() => decodePlist(Buffer.from('<?xml version="1.0"?>')), 'PLIST_MALFORMED', /no root element/);
  });
});

describe('XML decoder limits → PLIST_TOO_LARGE', () => {
  it('maxBytes', () => {
    expectError(() => decode('<string>0123456789</string>', { maxBytes: 100 }), 'PLIST_TOO_LARGE', /limit of 100 bytes/);
  });

  it('maxDepth (default 512)', () => {
    const deep = (n: number): string => '<array>'.repeat(n) + '</array>'.repeat(n);
    expect(() => decode(deep(512))).not.toThrow();
    expectError(() => decode(deep(513)), 'PLIST_TOO_LARGE', /deeper than the limit of 512/);
    expectError(() => decode(deep(5), { maxDepth: 4 }), 'PLIST_TOO_LARGE');
    // a hostile depth fails cleanly instead of overflowing the stack, even when the caller raises the limit
    expectError(() => decode(deep(200_000)), 'PLIST_TOO_LARGE');
    expectError(() => decode(deep(200_000), { maxDepth: 1e9 }), 'PLIST_TOO_LARGE', /limit of 1024 levels/);
  });

  it('maxObjects', () => {
    const body = `<array>${'<true/>'.repeat(100)}</array>`;
    expect(() => decode(body, { maxObjects: 101 })).not.toThrow();
    expectError(() => decode(body, { maxObjects: 100 }), 'PLIST_TOO_LARGE', /more than the limit of 100 objects/);
  });
});
