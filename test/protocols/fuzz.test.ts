// Seeded random and mutated input for every decoder, fed in random chunk sizes: only ProtocolErrors may come out,
// and the result must not depend on how the input was chunked.
import { describe, expect, it } from 'vitest';
import { AfcPacketDecoder, afcDataReply, afcFileOpen, afcFileWrite, afcStatusReply, afcBody, encodeAfcPacket, parseAfcFileInfo, readAfcFileOpen, readAfcStatus } from '../../protocols/afc.js';
import { DLMessageDecoder, dlProcessMessage, dlStatusResponse, dlUploadFiles, dlVersionExchange, encodeDLMessage, readStatusResponse } from '../../protocols/devicelink.js';
import { ProtocolError } from '../../protocols/errors.js';
import { LockdownFrameDecoder, encodeLockdownFrame } from '../../protocols/lockdown-frame.js';
import {
  DownloadStreamDecoder,
  UploadStreamDecoder,
  encodeDataBlockHeader,
  encodeErrorBlock,
  encodeStreamName,
  encodeStreamTerminator,
  encodeSuccessBlock,
} from '../../protocols/mb2-filestream.js';
import { PlistReal } from '../../protocols/plist/index.js';
import { UsbmuxDecoder, decodeUsbmuxPlistPayload, encodeUsbmuxPacket, encodeUsbmuxPlist, swapPort16 } from '../../protocols/usbmux.js';
import { mutate, prng, randomBytes, randomInt } from '../helpers/fuzz.js';

const ITERATIONS = 10_000;

interface Decoder {
  push(chunk: Uint8Array): unknown[];
  finish(): void;
}

/** Outputs as comparable text (data views merged), plus the error code if one was thrown. */
function run(make: () => Decoder, input: Buffer, chunks: number[], after: (d: Decoder, out: unknown[]) => void): { out: string; code?: string } {
  const dec = make();
  const out: unknown[] = [];
  try {
    let pos = 0;
    for (const size of chunks) {
      out.push(...dec.push(input.subarray(pos, pos + size)));
      pos += size;
    }
    dec.finish();
    after(dec, out);
    return { out: stringify(out) };
  } catch (e) {
    if (!(e instanceof ProtocolError)) throw e;
    return { out: '', code: e.code };
  }
}

function stringify(values: unknown[]): string {
  const merged: unknown[] = [];
  for (const v of values) {
    const last = merged[merged.length - 1] as { type?: string; data?: string } | undefined;
    if (typeof v === 'object' && v !== null && (v as { type?: string }).type === 'data') {
      const text = (v as { data: Buffer }).data.toString('hex');
      if (last?.type === 'data') last.data += text;
      else merged.push({ type: 'data', data: text });
    } else merged.push(v);
  }
  return JSON.stringify(merged, (_k, v: unknown) => {
    if (typeof v === 'bigint') return `big:${v}`;
    if (v instanceof PlistReal) return `real:${v.value}`;
    if (v instanceof Uint8Array || (typeof v === 'object' && v !== null && (v as { type?: string }).type === 'Buffer')) {
      return `bytes:${Buffer.from(v instanceof Uint8Array ? v : ((v as { data: number[] }).data)).toString('hex')}`;
    }
    return v;
  });
}

function randomChunks(rand: () => number, length: number): number[] {
  const sizes: number[] = [];
  let left = length;
  const max = rand() < 0.5 ? 4 : 64;
  while (left > 0) {
    const n = Math.min(left, 1 + randomInt(rand, max));
    sizes.push(n);
    left -= n;
  }
  if (rand() < 0.2) sizes.splice(randomInt(rand, sizes.length + 1), 0, 0); // an empty chunk somewhere
  return sizes;
}

function fuzz(name: string, seed: number, seeds: Buffer[], make: () => Decoder, after: (d: Decoder, out: unknown[]) => void = () => {}): void {
  it(`${name}: ${ITERATIONS} random and mutated inputs throw only ProtocolErrors, independent of chunking`, () => {
    const rand = prng(seed);
    const codes = new Map<string, number>();
    for (let i = 0; i < ITERATIONS; i++) {
      const base = seeds[randomInt(rand, seeds.length)]!;
      const input = i % 4 === 0 ? randomBytes(rand, randomInt(rand, 200)) : i % 4 === 1 ? Buffer.from(base) : mutate(rand, base);
      let whole, chunked;
      try {
        whole = run(make, input, [input.length], after);
        chunked = run(make, input, randomChunks(rand, input.length), after);
      } catch (e) {
        throw new Error(`${name} iteration ${i} (seed ${seed}) threw a non-ProtocolError for ${input.toString('hex')}: ${String(e)}`, { cause: e });
      }
      expect(chunked, `${name} iteration ${i}: ${input.toString('hex')}`).toEqual(whole);
      const key = whole.code ?? 'ok';
      codes.set(key, (codes.get(key) ?? 0) + 1);
    }
    // The corpus must exercise both success and failure paths.
    expect(codes.get('ok') ?? 0).toBeGreaterThan(ITERATIONS / 10);
    expect(ITERATIONS - (codes.get('ok') ?? 0)).toBeGreaterThan(ITERATIONS / 10);
  });
}

const catchProtocol = (fn: () => unknown): void => {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof ProtocolError)) throw e;
  }
};

describe('decoder fuzzing', () => {
  fuzz(
    'usbmux',
    1,
    [
      Buffer.concat([
        encodeUsbmuxPlist({ MessageType: 'ListDevices', ClientVersionString: 'libusbmuxd 2.0.2', ProgName: 'x', kLibUSBMuxVersion: 3 }, 1),
        encodeUsbmuxPacket({ version: 0, message: 1, tag: 2, payload: Buffer.from([6, 0, 0, 0]) }),
      ]),
      encodeUsbmuxPlist({ MessageType: 'Connect', DeviceID: 1, PortNumber: swapPort16(62078) }, 3),
      Buffer.concat([encodeUsbmuxPacket({ version: 1, message: 8, tag: 1, payload: Buffer.from('bplist00') })]),
    ],
    () => new UsbmuxDecoder({ maxPacketBytes: 4096 }),
    (_d, out) => {
      for (const p of out) catchProtocol(() => decodeUsbmuxPlistPayload(p as Parameters<typeof decodeUsbmuxPlistPayload>[0]));
    },
  );

  fuzz(
    'lockdown',
    2,
    [
      encodeLockdownFrame({ Request: 'QueryType', Label: 'idevicebackup2' }),
      Buffer.concat([encodeLockdownFrame({ Request: 'GetValue', Value: { a: [1, true, 2.5] } }, 'binary'), encodeLockdownFrame({ Request: 'StartSession', HostID: 'X' })]),
      encodeLockdownFrame(['x', Buffer.from([1, 2, 3]), new Date(0), -5, 2n ** 63n], 'binary'),
    ],
    () => new LockdownFrameDecoder({ maxFrameBytes: 1 << 16 }),
  );

  fuzz(
    'devicelink',
    3,
    [
      Buffer.concat([encodeDLMessage(dlVersionExchange(400, 0)), encodeDLMessage(dlStatusResponse(-13, 'Multi status', { p: { DLFileErrorCode: -6 } }))]),
      encodeDLMessage(dlProcessMessage({ MessageName: 'Hello', SupportedProtocolVersions: [new PlistReal(2), new PlistReal(2.1)] }), 'xml'),
      encodeDLMessage(dlUploadFiles(100, 50)),
    ],
    () => new DLMessageDecoder({ maxFrameBytes: 1 << 16 }),
    (_d, out) => {
      for (const m of out) catchProtocol(() => readStatusResponse(m as unknown[] as Parameters<typeof readStatusResponse>[0]));
    },
  );

  const uploadSeeds = [
    Buffer.concat([
      encodeStreamName('HomeDomain/a'),
      encodeStreamName('U/Snapshot/ab/ab'),
      encodeDataBlockHeader(3),
      Buffer.from('abc'),
      encodeDataBlockHeader(0),
      encodeSuccessBlock(),
      encodeStreamName('HomeDomain/b'),
      encodeStreamName('U/Snapshot/cd/cd'),
      encodeErrorBlock(0x0b, 'failed'),
      encodeStreamTerminator(),
      Buffer.from([0, 0, 0, 9]),
    ]),
    encodeStreamTerminator(),
  ];
  fuzz('mb2 upload', 4, uploadSeeds, () => new UploadStreamDecoder({ maxBlockBytes: 1 << 16 }), (d) => {
    (d as UploadStreamDecoder).rest();
  });

  const downloadSeeds = [
    Buffer.concat([
      encodeStreamName('U/Status.plist'),
      encodeDataBlockHeader(4),
      Buffer.from('data'),
      encodeSuccessBlock(),
      encodeStreamName('U/Manifest.db'),
      encodeErrorBlock(0x06, 'No such file or directory'),
      encodeStreamTerminator(),
    ]),
    Buffer.concat([encodeStreamName('U/x'), encodeSuccessBlock(), encodeStreamTerminator()]),
  ];
  fuzz('mb2 download', 5, downloadSeeds, () => new DownloadStreamDecoder({ maxBlockBytes: 1 << 16 }), (d) => {
    (d as DownloadStreamDecoder).rest();
  });

  fuzz(
    'afc',
    6,
    [
      Buffer.concat([
        encodeAfcPacket({ packetNum: 1, ...afcFileOpen(2, '/com.apple.itunes.lock_sync') }),
        encodeAfcPacket({ packetNum: 2, ...afcStatusReply(19) }),
      ]),
      encodeAfcPacket({ packetNum: 3, ...afcDataReply(Buffer.from('st_size\0' + '12\0st_ifmt\0S_IFREG\0')) }),
      encodeAfcPacket({ packetNum: 4, ...afcFileWrite(1, Buffer.from('hello')) }),
    ],
    () => new AfcPacketDecoder({ maxPacketBytes: 4096 }),
    (_d, out) => {
      for (const p of out as Parameters<typeof afcBody>[0][]) {
        catchProtocol(() => readAfcStatus(p));
        catchProtocol(() => readAfcFileOpen(p));
        catchProtocol(() => parseAfcFileInfo(afcBody(p)));
      }
    },
  );
});
