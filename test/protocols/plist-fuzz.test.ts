// Seeded fuzzing of both decoders: every input either decodes (and then re-encodes stably) or throws a
// ProtocolError — never another error type, never a hang. Seeds are fixed so a failure can be replayed.
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../protocols/errors.js';
import { decodePlist, encodePlist, real, uid, type PlistValue } from '../../protocols/plist/index.js';
import { mutate, prng, randomBytes, randomInt } from '../helpers/fuzz.js';

const ITERATIONS = 12_000;

function corpus(): PlistValue[] {
  return [
    ['DLMessageStatusResponse', -13, 'Multi status', {}],
    ['DLMessageProcessMessage', { MessageName: 'Hello', SupportedProtocolVersions: [real(2), real(2.1)] }],
    { MessageType: 'ListDevices', ClientVersionString: 'libusbmuxd 2.0.2', ProgName: 'idevicebackup2', kLibUSBMuxVersion: 3 },
    {
      $version: 100000,
      $archiver: 'NSKeyedArchiver',
      $top: { root: uid(1) },
      $objects: ['$null', { RelativePath: uid(2), Size: 1234, LastModified: 1700000000, Flags: 0, $class: uid(3) }, 'Library/Prefs/x.plist', { $classname: 'MBFile', $classes: ['MBFile', 'NSObject'] }],
    },
    { Data: Buffer.from('0123456789abcdef0123456789'), Date: new Date(Date.UTC(2024, 0, 1)), u64: 2n ** 64n - 1n, neg: -(2n ** 63n), t: true, f: false, s: 'é😀 <&>' },
    Array.from({ length: 20 }, (_, i) => ({ k: `key${i}`, v: [i, `v${i}`, real(i / 3)] })),
    'a'.repeat(40),
    [[[[[[[]]]]]], {}],
  ];
}

const XML_TOKENS = [
  '<plist version="1.0">', '</plist>', '<dict>', '</dict>', '<dict/>', '<array>', '</array>', '<array/>', '<key>', '</key>',
  '<string>', '</string>', '<string/>', '<integer>', '</integer>', '<real>', '</real>', '<date>', '</date>', '<data>', '</data>',
  '<true/>', '<false/>', '<!--', '-->', '<![CDATA[', ']]>', '<?xml version="1.0"?>', '<!DOCTYPE plist [', ']>', '&amp;', '&#x41;',
  '&#', '&', ';', '<', '>', '/', '"', "'", '=', ' ', '\n', '\t', 'CF$UID', '0', '-1', '18446744073709551616', '1e308', 'nan',
  'AAEC', '==', '2020-01-01T00:00:00Z', 'x', '\u00e9', '\ud83d\ude00',
];

function randomXmlSoup(rand: () => number): Buffer {
  let s = rand() < 0.7 ? '<plist version="1.0">' : '';
  const n = randomInt(rand, 40);
  for (let i = 0; i < n; i++) s += XML_TOKENS[randomInt(rand, XML_TOKENS.length)]!;
  return Buffer.from(s);
}

/** Decode; on success, the value must re-encode (binary) stably. Returns the error if one was thrown. */
function check(input: Buffer): unknown {
  let value: PlistValue;
  try {
    value = decodePlist(input);
  } catch (err) {
    return err;
  }
  const once = encodePlist(value, 'binary');
  expect(encodePlist(decodePlist(once), 'binary').equals(once)).toBe(true);
  return undefined;
}

function fuzz(format: 'xml' | 'binary', seed: number, fresh: (rand: () => number) => Buffer): void {
  const rand = prng(seed);
  const seeds = corpus().map((v) => encodePlist(v, format));
  let thrown = 0;
  let slowest = 0;
  for (let i = 0; i < ITERATIONS; i++) {
    const input = i % 3 === 0 ? fresh(rand) : mutate(rand, seeds[randomInt(rand, seeds.length)]!);
    const started = performance.now();
    const err = check(input);
    slowest = Math.max(slowest, performance.now() - started);
    if (err !== undefined) {
      thrown++;
      if (!(err instanceof ProtocolError)) {
        throw new Error(`seed ${seed}, iteration ${i}: ${String(err)} for input ${input.toString('hex').slice(0, 400)}`, { cause: err });
      }
      expect(['PLIST_MALFORMED', 'PLIST_TOO_LARGE']).toContain(err.code);
    }
  }
  // Most damaged inputs must be rejected, and none may take long.
  expect(thrown).toBeGreaterThan(ITERATIONS / 4);
  expect(slowest).toBeLessThan(2000);
}

describe('plist decoder fuzzing', () => {
  it(`binary: ${ITERATIONS} random and mutated buffers`, () => {
    fuzz('binary', 0xb1157, (rand) =>
      rand() < 0.5 ? Buffer.concat([Buffer.from('bplist00'), randomBytes(rand, randomInt(rand, 120))]) : randomBytes(rand, randomInt(rand, 64)),
    );
  });

  it(`XML: ${ITERATIONS} random and mutated buffers`, () => {
    fuzz('xml', 0x3e1, (rand) => (rand() < 0.8 ? randomXmlSoup(rand) : Buffer.concat([Buffer.from('<'), randomBytes(rand, randomInt(rand, 64))])));
  });
});
