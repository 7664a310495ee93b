import { describe, expect, it } from 'vitest';
import {
  DownloadStreamDecoder,
  UploadStreamDecoder,
  encodeDataBlockHeader,
  encodeErrorBlock,
  encodeStreamName,
  encodeStreamTerminator,
  encodeSuccessBlock,
  type DownloadStreamEvent,
  type UploadStreamEvent,
} from '../../protocols/mb2-filestream.js';
import { splits } from '../helpers/fuzz.js';
import { codeOf, hex } from '../helpers/codec.js';

const ascii = (s: string): string => Buffer.from(s, 'latin1').toString('hex');

/** Consecutive data events merged, so results compare equal however the input was split. */
function normalise<E extends { type: string }>(events: E[]): unknown[] {
  const out: unknown[] = [];
  for (const e of events) {
    const last = out[out.length - 1] as { type: string; data?: string } | undefined;
    if (e.type === 'data') {
      const text = (e as unknown as { data: Buffer }).data.toString('latin1');
      if (last?.type === 'data') last.data += text;
      else out.push({ type: 'data', data: text });
    } else out.push({ ...e });
  }
  return out;
}

function feed<E>(dec: { push(c: Uint8Array): E[] }, chunks: Uint8Array[]): E[] {
  return chunks.flatMap((c) => dec.push(c));
}


// Device → host: two files, the second ends with a device error block, then the terminator, then the first
// bytes of the next DL message. Written out by hand from §5.5.
const UPLOAD = hex(`
  00000010 ${ascii('HomeDomain/a.txt')}
  00000015 ${ascii('UDID/Snapshot/ab/ab12')}
  00000006 0c ${ascii('hello')}
  00000001 0c
  00000007 0c ${ascii('world!')}
  00000001 00
  0000000c ${ascii('HomeDomain/b')}
  00000015 ${ascii('UDID/Snapshot/cd/cd34')}
  0000000d 0b ${ascii('No such file')}
  00000000
  0000002a 62706c`);

const UPLOAD_EVENTS = [
  { type: 'file', deviceName: 'HomeDomain/a.txt', hostPath: 'UDID/Snapshot/ab/ab12' },
  { type: 'data', data: 'helloworld!' },
  { type: 'file-end' },
  { type: 'file', deviceName: 'HomeDomain/b', hostPath: 'UDID/Snapshot/cd/cd34' },
  { type: 'file-error', message: 'No such file', afterData: false },
  { type: 'end' },
];

describe('mb2 upload stream (device → host)', () => {
  it('decodes two files with an error block and leaves the next message in rest()', () => {
    const dec = new UploadStreamDecoder();
    const events = dec.push(UPLOAD);
    expect(normalise(events)).toEqual(UPLOAD_EVENTS);
    expect(dec.done).toBe(true);
    expect(dec.pending).toBe(7);
    expect(dec.rest()).toEqual(hex('0000002a 62706c'));
    expect(dec.pending).toBe(0);
    dec.finish();
  });

  it('the encoders produce the same bytes as the hand-written vector', () => {
    const built = Buffer.concat([
      encodeStreamName('HomeDomain/a.txt'),
      encodeStreamName('UDID/Snapshot/ab/ab12'),
      encodeDataBlockHeader(5),
      Buffer.from('hello'),
      encodeDataBlockHeader(0),
      encodeDataBlockHeader(6),
      Buffer.from('world!'),
      encodeSuccessBlock(),
      encodeStreamName('HomeDomain/b'),
      encodeStreamName('UDID/Snapshot/cd/cd34'),
      encodeErrorBlock(0x0b, 'No such file'),
      encodeStreamTerminator(),
    ]);
    expect(built).toEqual(UPLOAD.subarray(0, UPLOAD.length - 7));
    expect(encodeSuccessBlock()).toEqual(hex('0000000100'));
    expect(encodeStreamTerminator()).toEqual(hex('00000000'));
  });

  it('gives the same events for every split point and byte-at-a-time', () => {
    for (const chunks of splits(UPLOAD)) {
      const dec = new UploadStreamDecoder();
      expect(normalise(feed(dec, chunks))).toEqual(UPLOAD_EVENTS);
      expect(dec.rest()).toEqual(hex('0000002a 62706c'));
    }
  });

  it('data events are views into the pushed chunk, not copies', () => {
    const dec = new UploadStreamDecoder();
    const chunk = Buffer.from(UPLOAD);
    const data = dec.push(chunk).filter((e): e is Extract<UploadStreamEvent, { type: 'data' }> => e.type === 'data');
    expect(data).toHaveLength(2);
    for (const d of data) {
      // same memory, inside the chunk's range (small buffers share Node's pool, so identity alone proves nothing)
      expect(d.data.buffer).toBe(chunk.buffer);
      expect(d.data.byteOffset).toBeGreaterThanOrEqual(chunk.byteOffset);
      expect(d.data.byteOffset + d.data.length).toBeLessThanOrEqual(chunk.byteOffset + chunk.length);
    }
    expect(data.map((d) => d.data.toString())).toEqual(['hello', 'world!']);
  });

  it('marks an error block that follows data (libimobiledevice does not report it)', () => {
    const dec = new UploadStreamDecoder();
    const events = dec.push(
      Buffer.concat([encodeStreamName('a'), encodeStreamName('b'), encodeDataBlockHeader(1), hex('41'), encodeErrorBlock(0x0b, 'x'), encodeStreamTerminator()]),
    );
    expect(normalise(events)).toEqual([
      { type: 'file', deviceName: 'a', hostPath: 'b' },
      { type: 'data', data: 'A' },
      { type: 'file-error', message: 'x', afterData: true },
      { type: 'end' },
    ]);
  });

  it('an immediate terminator is an empty stream', () => {
    const dec = new UploadStreamDecoder();
    expect(dec.push(hex('00000000'))).toEqual([{ type: 'end' }]);
    expect(dec.done).toBe(true);
    // Further bytes are kept for the caller, not decoded.
    expect(dec.push(hex('0102'))).toEqual([]);
    expect(dec.rest()).toEqual(hex('0102'));
  });

  it('refuses names over 4096 bytes before buffering them', () => {
    const dec = new UploadStreamDecoder();
    expect(codeOf(() => dec.push(hex('00001001')))).toBe('FRAME_TOO_LARGE');
    expect(codeOf(() => encodeStreamName('x'.repeat(4097)))).toBe('FRAME_TOO_LARGE');
    const ok = new UploadStreamDecoder();
    expect(ok.push(Buffer.concat([encodeStreamName('x'.repeat(4096)), encodeStreamName('y')]))[0]).toMatchObject({ type: 'file' });
  });

  it('refuses an empty host path, a zero-length block, a success block with data, unknown codes', () => {
    const head = Buffer.concat([encodeStreamName('a'), encodeStreamName('b')]);
    expect(codeOf(() => new UploadStreamDecoder().push(Buffer.concat([encodeStreamName('a'), hex('00000000')])))).toBe('FRAME_MALFORMED');
    expect(codeOf(() => new UploadStreamDecoder().push(Buffer.concat([head, hex('00000000')])))).toBe('FRAME_MALFORMED');
    expect(codeOf(() => new UploadStreamDecoder().push(Buffer.concat([head, hex('0000000200 41')])))).toBe('FRAME_MALFORMED');
    expect(codeOf(() => new UploadStreamDecoder().push(Buffer.concat([head, hex('0000000107')])))).toBe('FRAME_MALFORMED');
    expect(codeOf(() => new UploadStreamDecoder().push(Buffer.concat([head, hex('ffffffff')])))).toBe('FRAME_TOO_LARGE');
    expect(codeOf(() => new UploadStreamDecoder().push(hex('00000002 c328')))).toBe('FRAME_MALFORMED'); // bad UTF-8
  });

  it('finish() before the terminator is STREAM_TRUNCATED, also at a file boundary', () => {
    for (const cut of [3, 20, 60, 70, UPLOAD.length - 12, UPLOAD.length - 8]) {
      const dec = new UploadStreamDecoder();
      dec.push(UPLOAD.subarray(0, cut));
      expect(dec.done).toBe(false);
      expect(codeOf(() => dec.finish())).toBe('STREAM_TRUNCATED');
    }
  });

  it('stays failed after an error', () => {
    const dec = new UploadStreamDecoder();
    expect(codeOf(() => dec.push(hex('ffffffff')))).toBe('FRAME_TOO_LARGE');
    expect(codeOf(() => dec.push(hex('00000000')))).toBe('FRAME_TOO_LARGE');
  });

  it('passes 2 GiB through in 32 KiB–1 MiB chunks with flat memory and no copies', () => {
    const blockData = Buffer.alloc(1024 * 1024 - 5, 0x5a);
    const dec = new UploadStreamDecoder();
    const head = Buffer.concat([encodeStreamName('HomeDomain/big'), encodeStreamName('UDID/Snapshot/bi/big')]);
    expect(dec.push(head)).toHaveLength(1);
    const before = process.memoryUsage().arrayBuffers;
    let received = 0;
    let copies = 0;
    let peak = 0;
    const total = 2 * 1024 * 1024 * 1024;
    const smallPieces = [32 * 1024, 100_000, 1024 * 1024 - 5 - 32 * 1024 - 100_000];
    for (let sent = 0, i = 0; sent < total; i++) {
      const n = Math.min(blockData.length, total - sent);
      const header = encodeDataBlockHeader(n);
      // Alternate between whole 1 MiB chunks and a block split into 32 KiB / odd-sized pieces.
      const chunks = i % 2 === 0 ? [header, blockData.subarray(0, n)] : splitAt(Buffer.concat([header, blockData.subarray(0, smallPieces[0]!)]), blockData.subarray(smallPieces[0]!, n), smallPieces[1]!);
      for (const c of chunks) {
        for (const e of dec.push(c)) {
          if (e.type !== 'data') throw new Error(`unexpected ${e.type}`);
          received += e.data.length;
          if (e.data.buffer !== blockData.buffer) copies++;
        }
      }
      sent += n;
      if (i % 256 === 0) peak = Math.max(peak, process.memoryUsage().arrayBuffers - before);
    }
    expect(dec.push(Buffer.concat([encodeSuccessBlock(), encodeStreamTerminator()]))).toEqual([{ type: 'file-end' }, { type: 'end' }]);
    expect(received).toBe(total);
    expect(copies).toBe(1024); // only the first piece of odd blocks (glued to its header) is a separate buffer
    expect(peak).toBeLessThan(64 * 1024 * 1024);
  });
});

function splitAt(first: Buffer, rest: Buffer, at: number): Buffer[] {
  return [first, rest.subarray(0, at), rest.subarray(at)];
}

// Host → device: a file in two data blocks, an empty file, a file the host could not read, then the terminator.
const DOWNLOAD = hex(`
  00000011 ${ascii('UDID/Status.plist')}
  00000004 0c 616263
  00000003 0c 6465
  00000001 00
  00000008 ${ascii('UDID/one')}
  00000001 00
  00000013 ${ascii('UDID/Manifest.plist')}
  0000001a 06 ${ascii('No such file or directory')}
  00000000`);
const DOWNLOAD_EVENTS = [
  { type: 'file', path: 'UDID/Status.plist' },
  { type: 'data', data: 'abcde' },
  { type: 'file-end' },
  { type: 'file', path: 'UDID/one' },
  { type: 'file-end' },
  { type: 'file', path: 'UDID/Manifest.plist' },
  { type: 'file-error', message: 'No such file or directory', afterData: false },
  { type: 'end' },
];

describe('mb2 download stream (host → device)', () => {
  it('decodes data, empty and failed files', () => {
    const dec = new DownloadStreamDecoder();
    expect(normalise(dec.push(DOWNLOAD))).toEqual(DOWNLOAD_EVENTS);
    expect(dec.done).toBe(true);
    expect(dec.rest()).toHaveLength(0);
    dec.finish();
  });

  it('the encoders build the vector', () => {
    const built = Buffer.concat([
      encodeStreamName('UDID/Status.plist'),
      encodeDataBlockHeader(3),
      Buffer.from('abc'),
      encodeDataBlockHeader(2),
      Buffer.from('de'),
      encodeSuccessBlock(),
      encodeStreamName('UDID/one'),
      encodeSuccessBlock(),
      encodeStreamName('UDID/Manifest.plist'),
      encodeErrorBlock(0x06, 'No such file or directory'),
      encodeStreamTerminator(),
    ]);
    expect(built).toEqual(DOWNLOAD);
  });

  it('gives the same events for every split point, and for many streams back to back', () => {
    for (const chunks of splits(DOWNLOAD)) {
      const dec = new DownloadStreamDecoder();
      expect(normalise(feed<DownloadStreamEvent>(dec, chunks))).toEqual(DOWNLOAD_EVENTS);
    }
    const dec = new DownloadStreamDecoder();
    expect(normalise(dec.push(Buffer.concat([DOWNLOAD, DOWNLOAD])))).toEqual(DOWNLOAD_EVENTS);
    expect(dec.rest()).toEqual(DOWNLOAD);
  });

  it('an empty request list is just the terminator', () => {
    expect(new DownloadStreamDecoder().push(encodeStreamTerminator())).toEqual([{ type: 'end' }]);
  });

  it('respects maxBlockBytes', () => {
    const dec = new DownloadStreamDecoder({ maxBlockBytes: 32 * 1024 });
    const ok = dec.push(Buffer.concat([encodeStreamName('p'), encodeDataBlockHeader(32 * 1024)]));
    expect(ok).toEqual([{ type: 'file', path: 'p' }]);
    const dec2 = new DownloadStreamDecoder({ maxBlockBytes: 32 * 1024 });
    expect(codeOf(() => dec2.push(Buffer.concat([encodeStreamName('p'), encodeDataBlockHeader(32 * 1024 + 1)])))).toBe('FRAME_TOO_LARGE');
  });
});
