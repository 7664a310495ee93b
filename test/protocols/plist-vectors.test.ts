// Byte-exact vectors. Where the layout is the same as libplist's, the expected bytes were produced by Debian's
// plistutil 2.2.0 (libplist) from the equivalent XML; the reals vector is hand-assembled (libplist narrows 2.0
// to float32, we always write float64 as the value model requires).
import { describe, expect, it } from 'vitest';
import { decodePlist, encodePlist, real, uid, type PlistValue } from '../../protocols/plist/index.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

const LIST_DEVICES_XML =
  '<?xml version="1.0" encoding="UTF-8"?>\n' +
  '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n' +
  '<plist version="1.0">\n' +
  '<dict>\n' +
  '\t<key>ClientVersionString</key>\n' +
  '\t<string>libusbmuxd 2.0.2</string>\n' +
  '\t<key>MessageType</key>\n' +
  '\t<string>ListDevices</string>\n' +
  '\t<key>ProgName</key>\n' +
  '\t<string>idevicebackup2</string>\n' +
  '\t<key>kLibUSBMuxVersion</key>\n' +
  '\t<integer>3</integer>\n' +
  '</dict>\n' +
  '</plist>\n';

const TRAILER_1_OBJECT = (offsetTable: string) => `0000000000000101 0000000000000001 0000000000000000 00000000000000${offsetTable}`;

function binaryVector(name: string, value: PlistValue, bytes: Buffer): void {
  it(`${name}: encodes to the exact bytes and decodes back`, () => {
    expect(encodePlist(value, 'binary').toString('hex')).toBe(bytes.toString('hex'));
    expect(decodePlist(bytes)).toEqual(value);
  });
}

describe('XML vectors', () => {
  it('the ListDevices request is byte-identical to what libusbmuxd 2.0.2 sends (415 bytes)', () => {
    const msg = { ClientVersionString: 'libusbmuxd 2.0.2', MessageType: 'ListDevices', ProgName: 'idevicebackup2', kLibUSBMuxVersion: 3 };
    const out = encodePlist(msg, 'xml');
    expect(out.length).toBe(415);
    expect(out.toString('utf8')).toBe(LIST_DEVICES_XML);
    expect({ ...(decodePlist(Buffer.from(LIST_DEVICES_XML)) as object) }).toEqual(msg);
  });

  it('SupportedProtocolVersions [2.0, 2.1] are <real>s written with %.17g like libplist', () => {
    const xml = encodePlist({ SupportedProtocolVersions: [real(2.0), real(2.1)] }, 'xml').toString();
    expect(xml).toContain('\t<array>\n\t\t<real>2</real>\n\t\t<real>2.1000000000000001</real>\n\t</array>\n');
    const back = decodePlist(Buffer.from(xml)) as { SupportedProtocolVersions: unknown[] };
    expect(back.SupportedProtocolVersions).toEqual([real(2), real(2.1)]);
  });

  it('formats reals exactly as libplist 2.2 does (values observed from plistutil)', () => {
    const cases: [number, string][] = [
      [0, '0.0'],
      [1, '1'],
      [100, '100'],
      [-2, '-2'],
      [0.1, '0.10000000000000001'],
      [2.1, '2.1000000000000001'],
      [1e-5, '1.0000000000000001e-05'],
      [1.2e-5, '1.2e-05'],
      [5e-324, '4.9406564584124654e-324'],
      [1e17, '1e+17'],
      [123456789012345680, '1.2345678901234568e+17'],
      [1e20, '1e+20'],
      [1e300, '1.0000000000000001e+300'],
      [Infinity, '+infinity'],
      [-Infinity, '-infinity'],
      [NaN, 'nan'],
    ];
    for (const [v, text] of cases) expect(encodePlist(real(v), 'xml').toString()).toContain(`\n<real>${text}</real>\n`);
  });

  it('a UID is written the way Apple writes it in XML and reads back as a PlistUid', () => {
    const xml = encodePlist([uid(7)], 'xml').toString();
    expect(xml).toContain('<array>\n\t<dict>\n\t\t<key>CF$UID</key>\n\t\t<integer>7</integer>\n\t</dict>\n</array>\n');
    expect(decodePlist(Buffer.from(xml))).toEqual([uid(7)]);
  });

  it('dates, data, booleans, empty containers, escapes and big integers have the libplist text form', () => {
    const value = {
      d: new Date(Date.UTC(2020, 0, 2, 3, 4, 5, 678)),
      b: Buffer.from([0, 1, 2]),
      t: true,
      f: false,
      e: '',
      a: [],
      o: {},
      s: 'a&<>"\' é\u0001\r',
      n: -13,
      u: 2n ** 64n - 1n,
    };
    expect(encodePlist(value, 'xml').toString()).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
        '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n' +
        '<plist version="1.0">\n<dict>\n' +
        '\t<key>d</key>\n\t<date>2020-01-02T03:04:05Z</date>\n' +
        '\t<key>b</key>\n\t<data>\n\tAAEC\n\t</data>\n' +
        '\t<key>t</key>\n\t<true/>\n' +
        '\t<key>f</key>\n\t<false/>\n' +
        '\t<key>e</key>\n\t<string></string>\n' +
        '\t<key>a</key>\n\t<array/>\n' +
        '\t<key>o</key>\n\t<dict/>\n' +
        '\t<key>s</key>\n\t<string>a&amp;&lt;&gt;"\' é&#x1;&#xD;</string>\n' +
        '\t<key>n</key>\n\t<integer>-13</integer>\n' +
        '\t<key>u</key>\n\t<integer>18446744073709551615</integer>\n' +
        '</dict>\n</plist>\n',
    );
  });

  it('wraps long <data> at 76 − 8·depth characters like libplist', () => {
    const xml = encodePlist([Buffer.alloc(60)], 'xml').toString();
    const lines = xml.split('\n').filter((l) => /^\tA/.test(l));
    expect(lines.map((l) => l.length)).toEqual([1 + 68, 1 + 12]);
  });
});

describe('binary vectors', () => {
  binaryVector(
    'DLMessageStatusResponse with −13 as an 8-byte integer',
    ['DLMessageStatusResponse', -13, 'Multi status', {}],
    hex(`62706c6973743030 a4 01020304
      5f 10 17 444c4d657373616765537461747573526573706f6e7365
      13 fffffffffffffff3
      5c 4d756c746920737461747573
      d0
      08 0d 27 30 3d
      000000000000 01 01 0000000000000005 0000000000000000 000000000000003e`),
  );

  it('the −13 integer is stored as 13 ff ff ff ff ff ff ff f3', () => {
    expect(encodePlist(['DLMessageStatusResponse', -13, 'Multi status', {}], 'binary').includes(hex('13fffffffffffffff3'))).toBe(true);
  });

  binaryVector(
    'SupportedProtocolVersions [2.0, 2.1] as float64 reals',
    [real(2.0), real(2.1)],
    hex(`62706c6973743030 a2 0102 23 4000000000000000 23 4000cccccccccccd 08 0b 14
      000000000000 01 01 0000000000000003 0000000000000000 000000000000001d`),
  );

  binaryVector('a UID', uid(5), hex(`62706c6973743030 80 05 08 ${TRAILER_1_OBJECT('0a')}`));
  binaryVector('a 2-byte UID', uid(0x1234), hex(`62706c6973743030 81 1234 08 ${TRAILER_1_OBJECT('0b')}`));
  binaryVector('a date', new Date(Date.UTC(2020, 0, 2, 3, 4, 5)), hex(`62706c6973743030 33 41c1deca92800000 08 ${TRAILER_1_OBJECT('11')}`));
  binaryVector('data', Buffer.from([0, 1, 2]), hex(`62706c6973743030 43 000102 08 ${TRAILER_1_OBJECT('0c')}`));
  binaryVector('a UTF-16 string', 'é😀', hex(`62706c6973743030 63 00e9 d83d de00 08 ${TRAILER_1_OBJECT('0f')}`));
  binaryVector('2^64−1 as a 16-byte integer', 2n ** 64n - 1n, hex(`62706c6973743030 14 0000000000000000 ffffffffffffffff 08 ${TRAILER_1_OBJECT('19')}`));
  binaryVector(
    'an array of 15 elements (count in an int object)',
    'abcdefghijklmno'.split(''),
    hex(`62706c6973743030 af 10 0f 0102030405060708090a0b0c0d0e0f
      516151625163516451655166516751685169516a516b516c516d516e516f
      081a1c1e20222426282a2c2e30323436
      000000000000 01 01 0000000000000010 0000000000000000 0000000000000038`),
  );

  it('chooses minimal integer sizes', () => {
    const sizes = [0, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, -1, 2n ** 63n - 1n, 2n ** 63n].map((v) => {
      const b = encodePlist(v, 'binary');
      return b[8]!.toString(16);
    });
    expect(sizes).toEqual(['10', '10', '11', '11', '12', '12', '13', '13', '13', '14']);
  });

  it('writes an integer-valued number as an integer and a fractional number or PlistReal as a real', () => {
    expect(encodePlist(2, 'binary')[8]).toBe(0x10);
    expect(encodePlist(2.5, 'binary')[8]).toBe(0x23);
    expect(encodePlist(real(2), 'binary')[8]).toBe(0x23);
    expect(encodePlist(2.5, 'xml').toString()).toContain('<real>2.5</real>');
    expect(encodePlist(real(2), 'xml').toString()).toContain('<real>2</real>');
  });

  it('stores equal strings once', () => {
    const b = encodePlist([{ a: 'x' }, { a: 'x' }, 'x'], 'binary');
    expect(b.toString('latin1').split('Qx').length - 1).toBe(1);
    expect(b.toString('latin1').split('Qa').length - 1).toBe(1);
  });
});
