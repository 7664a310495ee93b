import { describe, expect, it } from 'vitest';
import {
  LengthPrefixedDecoder,
  LockdownFrameDecoder,
  encodeLengthPrefixed,
  encodeLockdownFrame,
} from '../../protocols/lockdown-frame.js';
import { splits } from '../helpers/fuzz.js';
import { codeOf, hex } from '../helpers/codec.js';



// {Request: "QueryType"} as 1.3.0 sends it: u32be length + XML (libplist layout), written by hand.
const QUERY_TYPE_XML = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
\t<key>Label</key>
\t<string>idevicebackup2</string>
\t<key>Request</key>
\t<string>QueryType</string>
</dict>
</plist>
`;
const QUERY_TYPE_FRAME = Buffer.concat([hex('0000011f'), Buffer.from(QUERY_TYPE_XML)]);

describe('length-prefixed framing (raw payloads)', () => {
  it('u32be length + payload', () => {
    expect(encodeLengthPrefixed(Buffer.from('abc'))).toEqual(hex('00000003 616263'));
    expect(encodeLengthPrefixed(Buffer.alloc(0))).toEqual(hex('00000000'));
  });

  it('every split point gives the same frames, including empty ones', () => {
    const wire = Buffer.concat([encodeLengthPrefixed(Buffer.from('hello')), encodeLengthPrefixed(Buffer.alloc(0)), encodeLengthPrefixed(Buffer.from('world!'))]);
    for (const chunks of splits(wire)) {
      const dec = new LengthPrefixedDecoder();
      expect(chunks.flatMap((c) => dec.push(c)).map((b) => b.toString())).toEqual(['hello', '', 'world!']);
      dec.finish();
    }
  });

  it('a frame that arrived in one chunk is a view, not a copy', () => {
    const wire = encodeLengthPrefixed(Buffer.from('hello'));
    const [f] = new LengthPrefixedDecoder().push(wire);
    expect(f!.buffer).toBe(wire.buffer);
    expect(f!.byteOffset).toBe(wire.byteOffset + 4); // inside the chunk (small buffers share Node's pool)
  });

  it('0xFFFFFFFF is FRAME_TOO_LARGE at once, without waiting for (or allocating) the body', () => {
    const before = process.memoryUsage().arrayBuffers;
    expect(codeOf(() => new LengthPrefixedDecoder().push(hex('ffffffff')))).toBe('FRAME_TOO_LARGE');
    expect(codeOf(() => new LockdownFrameDecoder().push(hex('ffffffff 3c3f')))).toBe('FRAME_TOO_LARGE');
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 1024 * 1024);
    expect(codeOf(() => new LengthPrefixedDecoder({ maxFrameBytes: 10 }).push(hex('0000000b')))).toBe('FRAME_TOO_LARGE');
    expect(new LengthPrefixedDecoder({ maxFrameBytes: 10 }).push(hex('0000000a'))).toEqual([]);
  });

  it('finish() inside a frame (or inside the prefix) is STREAM_TRUNCATED', () => {
    for (const partial of [hex('00'), hex('00000005 6162')]) {
      const dec = new LengthPrefixedDecoder();
      dec.push(partial);
      expect(dec.pending).toBe(partial.length);
      expect(codeOf(() => dec.finish())).toBe('STREAM_TRUNCATED');
    }
  });
});

describe('lockdown frames (plist payloads)', () => {
  it('encodes {Label, Request} as 1.3.0 does, byte for byte', () => {
    expect(QUERY_TYPE_FRAME.readUInt32BE(0)).toBe(Buffer.byteLength(QUERY_TYPE_XML));
    expect(encodeLockdownFrame({ Label: 'idevicebackup2', Request: 'QueryType' })).toEqual(QUERY_TYPE_FRAME);
  });

  it('decodes XML and binary frames', () => {
    const dec = new LockdownFrameDecoder();
    const reply = { Request: 'QueryType', Type: 'com.apple.mobile.lockdown' };
    const msgs = dec.push(Buffer.concat([QUERY_TYPE_FRAME, encodeLockdownFrame(reply, 'binary')]));
    expect(msgs.map((m) => ({ ...(m as object) }))).toEqual([{ Label: 'idevicebackup2', Request: 'QueryType' }, reply]);
  });

  it('every split point of two frames gives the same messages', () => {
    const wire = Buffer.concat([QUERY_TYPE_FRAME, encodeLockdownFrame({ Request: 'GetValue', Key: 'ProductVersion' }, 'binary')]);
    const expected = [
      { Label: 'idevicebackup2', Request: 'QueryType' },
      { Request: 'GetValue', Key: 'ProductVersion' },
    ];
    for (const chunks of splits(wire)) {
      const dec = new LockdownFrameDecoder();
      expect(chunks.flatMap((c) => dec.push(c)).map((m) => ({ ...(m as object) }))).toEqual(expected);
      dec.finish();
    }
  });

  it('push(chunk, 1) stops after one message and rest() hands over the raw bytes that follow', () => {
    const raw = hex('00000010 6162 00000000');
    const dec = new LockdownFrameDecoder();
    const wire = Buffer.concat([encodeLockdownFrame(['DLMessageUploadFiles', {}], 'binary'), QUERY_TYPE_FRAME, raw]);
    const first = dec.push(wire, 1);
    expect(first).toHaveLength(1);
    expect(dec.pending).toBe(QUERY_TYPE_FRAME.length + raw.length);
    const second = dec.push(Buffer.alloc(0), 1);
    expect(second).toHaveLength(1);
    expect(dec.rest()).toEqual(raw);
    expect(dec.pending).toBe(0);
    // after rest() the decoder starts at a fresh frame boundary
    expect(dec.push(QUERY_TYPE_FRAME)).toHaveLength(1);
  });

  it('a frame that is not a plist is PLIST_MALFORMED', () => {
    expect(codeOf(() => new LockdownFrameDecoder().push(encodeLengthPrefixed(Buffer.from('hello'))))).toBe('PLIST_MALFORMED');
    expect(codeOf(() => new LockdownFrameDecoder().push(encodeLengthPrefixed(Buffer.alloc(0))))).toBe('PLIST_MALFORMED');
  });
});
