import { describe, expect, it } from 'vitest';
import {
  AFC_HEADER_SIZE,
  AfcFileMode,
  AfcLockOp,
  AfcOp,
  AfcPacketDecoder,
  afcBody,
  afcDataReply,
  afcFileClose,
  afcFileLock,
  afcFileOpen,
  afcFileOpenReply,
  afcFileRead,
  afcFileWrite,
  afcGetFileInfo,
  afcMakeDir,
  afcReadDir,
  afcRemovePath,
  afcStatusReply,
  decodeCString,
  decodeCStringList,
  encodeAfcFileInfo,
  encodeAfcPacket,
  encodeCString,
  encodeU64s,
  parseAfcFileInfo,
  readAfcFileOpen,
  readAfcFileWrite,
  readAfcHandle,
  readAfcPathRequest,
  readAfcStatus,
  readAfcU64Pair,
  type AfcPacket,
} from '../../protocols/afc.js';
import { splits } from '../helpers/fuzz.js';
import { codeOf, hex } from '../helpers/codec.js';



// FileRefOpen "/com.apple.itunes.lock_sync" mode 2 (r+), packet 1 — the sync-lock open of §5.7, written by hand.
const FILE_OPEN = hex(`
  43464136 4c504141
  4c00000000000000
  4c00000000000000
  0100000000000000
  0d00000000000000
  0200000000000000
  ${Buffer.from('/com.apple.itunes.lock_sync\0', 'latin1').toString('hex')}`);

const plain = (p: AfcPacket) => ({ ...p, headerData: p.headerData.toString('hex'), payload: p.payload.toString('hex') });

describe('AFC packets', () => {
  it('encodes a FileOpen request byte for byte', () => {
    expect(FILE_OPEN.length).toBe(76);
    expect(encodeAfcPacket({ packetNum: 1, ...afcFileOpen(AfcFileMode.Rw, '/com.apple.itunes.lock_sync') })).toEqual(FILE_OPEN);
  });

  it('decodes it, and reads mode and path back', () => {
    const dec = new AfcPacketDecoder();
    const [p, ...more] = dec.push(FILE_OPEN);
    expect(more).toEqual([]);
    expect(p!.packetNum).toBe(1);
    expect(p!.operation).toBe(AfcOp.FileOpen);
    expect(p!.payload.length).toBe(0);
    expect(readAfcFileOpen(p!)).toEqual({ mode: 2, path: '/com.apple.itunes.lock_sync' });
    expect(dec.pending).toBe(0);
    dec.finish();
  });

  it('splits header data and payload by this_length / entire_length', () => {
    const write = encodeAfcPacket({ packetNum: 7, ...afcFileWrite(3, Buffer.from('payload!')) });
    expect(write.readBigUInt64LE(8)).toBe(BigInt(AFC_HEADER_SIZE + 8 + 8));
    expect(write.readBigUInt64LE(16)).toBe(BigInt(AFC_HEADER_SIZE + 8));
    const [p] = new AfcPacketDecoder().push(write);
    expect(readAfcFileWrite(p!)).toEqual({ handle: 3, data: Buffer.from('payload!') });
  });

  it('gives the same packets for every split point and for many packets in one chunk', () => {
    const packets = [
      { packetNum: 1, ...afcFileOpen(AfcFileMode.Rw, '/com.apple.itunes.lock_sync') },
      { packetNum: 2, ...afcFileWrite(1, Buffer.from('xyz')) },
      { packetNum: 3, ...afcDataReply() },
      { packetNum: 4, ...afcStatusReply(0) },
    ];
    const wire = Buffer.concat(packets.map(encodeAfcPacket));
    const expected = packets.map((p) => plain({ ...p, headerData: Buffer.from(p.headerData), payload: Buffer.from(p.payload) }));
    for (const chunks of splits(wire)) {
      const dec = new AfcPacketDecoder();
      expect(chunks.flatMap((c) => dec.push(c)).map(plain)).toEqual(expected);
      dec.finish();
    }
  });

  it('rejects a bad magic as soon as it is seen', () => {
    const dec = new AfcPacketDecoder();
    expect(codeOf(() => dec.push(Buffer.from('CFA6LPAB')))).toBe('FRAME_MALFORMED');
    expect(codeOf(() => new AfcPacketDecoder().push(Buffer.from('X')))).toBe('FRAME_MALFORMED');
    expect(new AfcPacketDecoder().push(Buffer.from('CFA6'))).toEqual([]);
  });

  it('rejects inconsistent lengths', () => {
    const bad = (entire: bigint, thisLen: bigint) => {
      const b = Buffer.from(FILE_OPEN.subarray(0, 40));
      b.writeBigUInt64LE(entire, 8);
      b.writeBigUInt64LE(thisLen, 16);
      return b;
    };
    expect(codeOf(() => new AfcPacketDecoder().push(bad(76n, 39n)))).toBe('FRAME_MALFORMED');
    expect(codeOf(() => new AfcPacketDecoder().push(bad(50n, 60n)))).toBe('FRAME_MALFORMED');
    expect(codeOf(() => new AfcPacketDecoder().push(bad(0xffffffffffffffffn, 40n)))).toBe('FRAME_TOO_LARGE');
    expect(codeOf(() => new AfcPacketDecoder({ maxPacketBytes: 1000 }).push(bad(1001n, 40n)))).toBe('FRAME_TOO_LARGE');
    expect(new AfcPacketDecoder().push(bad(40n, 40n))).toHaveLength(1);
  });

  it('finish() inside a packet is STREAM_TRUNCATED', () => {
    for (const cut of [1, 39, 40, 75]) {
      const dec = new AfcPacketDecoder();
      dec.push(FILE_OPEN.subarray(0, cut));
      expect(codeOf(() => dec.finish())).toBe('STREAM_TRUNCATED');
    }
  });
});

describe('AFC builders and readers', () => {
  it('request builders put their arguments where libimobiledevice does', () => {
    expect(afcFileRead(5, 65536)).toEqual({ operation: 0x0f, headerData: encodeU64s(5, 65536), payload: Buffer.alloc(0) });
    expect(readAfcU64Pair(afcFileRead(5, 65536))).toEqual([5, 65536]);
    expect(readAfcU64Pair(afcFileLock(5, AfcLockOp.Exclusive))).toEqual([5, 6]);
    expect(afcFileLock(5, AfcLockOp.Unlock).operation).toBe(0x1b);
    expect(readAfcHandle(afcFileClose(9))).toBe(9);
    expect(afcFileClose(9).operation).toBe(0x14);
    for (const [build, op] of [
      [afcGetFileInfo, 0x0a],
      [afcReadDir, 0x03],
      [afcMakeDir, 0x09],
      [afcRemovePath, 0x08],
    ] as const) {
      const b = build('/iTunesRestore/é');
      expect(b.operation).toBe(op);
      expect(b.headerData).toEqual(Buffer.from('/iTunesRestore/é\0'));
      expect(readAfcPathRequest(b)).toBe('/iTunesRestore/é');
    }
  });

  it('reply builders and readers', () => {
    expect(afcStatusReply(19)).toEqual({ operation: 1, headerData: hex('1300000000000000'), payload: Buffer.alloc(0) });
    expect(readAfcStatus(afcStatusReply(19))).toBe(19);
    // a STATUS whose code travels in the payload part is read the same way
    expect(readAfcStatus({ operation: 1, headerData: Buffer.alloc(0), payload: encodeU64s(8) })).toBe(8);
    expect(codeOf(() => readAfcStatus(afcDataReply()))).toBe('MESSAGE_INVALID');
    expect(codeOf(() => readAfcStatus({ operation: 1, headerData: Buffer.alloc(3), payload: Buffer.alloc(0) }))).toBe('FRAME_MALFORMED');
    expect(afcDataReply(Buffer.from('abc')).payload).toEqual(Buffer.from('abc'));
    const open = afcFileOpenReply(0x1234);
    expect(open.operation).toBe(0x0e);
    expect(readAfcHandle(open)).toBe(0x1234);
    expect(afcBody({ operation: 2, headerData: Buffer.from('ab'), payload: Buffer.from('cd') })).toEqual(Buffer.from('abcd'));
  });

  it('C strings and lists', () => {
    expect(encodeCString('a/b')).toEqual(hex('612f6200'));
    expect(codeOf(() => encodeCString('a\0b'))).toBe('FRAME_MALFORMED');
    expect(decodeCString(hex('612f6200 7a7a'))).toBe('a/b');
    expect(decodeCStringList(Buffer.from('.\0..\0Books\0'))).toEqual(['.', '..', 'Books']);
    expect(decodeCStringList(Buffer.from('a\0\0b'))).toEqual(['a', '', 'b']);
    expect(decodeCStringList(Buffer.alloc(0))).toEqual([]);
    expect(encodeU64s(1n, 0xffffffffffffffffn)).toEqual(hex('0100000000000000ffffffffffffffff'));
    expect(codeOf(() => encodeU64s(-1))).toBe('FRAME_MALFORMED');
  });

  it('GET_FILE_INFO key/value lists', () => {
    const wire = Buffer.from('st_size\x00512\x00st_blocks\x008\x00st_nlink\x001\x00st_ifmt\x00S_IFREG\x00st_mtime\x001700000000000000000\x00', 'latin1');
    const info = parseAfcFileInfo(wire);
    expect({ ...info }).toEqual({ st_size: '512', st_blocks: '8', st_nlink: '1', st_ifmt: 'S_IFREG', st_mtime: '1700000000000000000' });
    expect(encodeAfcFileInfo({ st_size: 512, st_blocks: 8, st_nlink: 1, st_ifmt: 'S_IFREG', st_mtime: 1700000000000000000n })).toEqual(wire);
    expect(codeOf(() => parseAfcFileInfo(Buffer.from('st_size\0')))).toBe('MESSAGE_INVALID');
    expect(Object.getPrototypeOf(parseAfcFileInfo(Buffer.from('__proto__\0x\0')))).toBe(null);
  });
});
