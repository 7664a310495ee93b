import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DL_EMPTY,
  DLMessageDecoder,
  asDLMessage,
  dlContentsOfDirectory,
  dlCopyItem,
  dlCreateDirectory,
  dlDeviceReady,
  dlDisconnect,
  dlDownloadFiles,
  dlGetFreeDiskSpace,
  dlMessageName,
  dlMoveItems,
  dlPing,
  dlProcessMessage,
  dlRemoveItems,
  dlStatusResponse,
  dlUploadFiles,
  dlVersionExchange,
  dlVersionsOk,
  encodeDLMessage,
  readProcessMessage,
  readStatusResponse,
  readVersionExchange,
  readVersionsOk,
  signedInt64,
} from '../../protocols/devicelink.js';
import { encodeLengthPrefixed, encodeLockdownFrame } from '../../protocols/lockdown-frame.js';
import { PlistReal, decodePlist } from '../../protocols/plist/index.js';
import { splits } from '../helpers/fuzz.js';
import { codeOf, hex } from '../helpers/codec.js';



/** Convert with Debian's plistutil (libplist 2.2.0), the library idevicebackup2 uses. */
function plistutil(input: Buffer, format: 'xml' | 'bin'): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'dl-test-'));
  try {
    writeFileSync(join(dir, 'in'), input);
    const r = spawnSync('plistutil', ['-i', join(dir, 'in'), '-o', join(dir, 'out'), '-f', format], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    return readFileSync(join(dir, 'out'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('DeviceLink messages', () => {
  it('validates the DL array shape', () => {
    expect(asDLMessage(['DLMessageDeviceReady'])).toEqual(['DLMessageDeviceReady']);
    expect(asDLMessage(['DLMessage'])).toEqual(['DLMessage']); // 9 characters is enough
    for (const bad of [{ a: 1 }, [], ['DLMessag'], ['XLMessageDeviceReady'], [42], 'DLMessageDeviceReady']) {
      expect(codeOf(() => asDLMessage(bad))).toBe('MESSAGE_INVALID');
    }
    expect(dlMessageName(['DLContentsOfDirectory', 'x'])).toBe('DLContentsOfDirectory');
  });

  it('builders', () => {
    expect(dlVersionExchange(400, 0)).toEqual(['DLMessageVersionExchange', 400, 0]);
    expect(dlVersionsOk(400)).toEqual(['DLMessageVersionExchange', 'DLVersionsOk', 400]);
    expect(dlDeviceReady()).toEqual(['DLMessageDeviceReady']);
    expect(dlProcessMessage({ MessageName: 'Hello' })).toEqual(['DLMessageProcessMessage', { MessageName: 'Hello' }]);
    expect(dlDisconnect()).toEqual(['DLMessageDisconnect', DL_EMPTY]);
    expect(dlDisconnect('bye')).toEqual(['DLMessageDisconnect', 'bye']);
    expect(dlPing('x')).toEqual(['DLMessagePing', 'x']);
    expect(dlStatusResponse(0)).toEqual(['DLMessageStatusResponse', 0, DL_EMPTY, DL_EMPTY]);
    expect(dlStatusResponse(-13, 'Multi status', {})).toEqual(['DLMessageStatusResponse', -13, 'Multi status', {}]);
    expect(dlDownloadFiles(['U/Status.plist'], 1.5)).toEqual(['DLMessageDownloadFiles', ['U/Status.plist'], {}, new PlistReal(1.5), 0]);
    expect(dlUploadFiles(1234, 50)).toEqual(['DLMessageUploadFiles', {}, new PlistReal(50), 1234]);
    expect(dlGetFreeDiskSpace()).toEqual(['DLMessageGetFreeDiskSpace']);
    expect(dlContentsOfDirectory('U')).toEqual(['DLContentsOfDirectory', 'U']);
    expect(dlCreateDirectory('U/Snapshot')).toEqual(['DLMessageCreateDirectory', 'U/Snapshot']);
    expect(dlMoveItems({ 'U/Snapshot/ab': 'U/ab' }, 95)).toEqual(['DLMessageMoveItems', { 'U/Snapshot/ab': 'U/ab' }, {}, new PlistReal(95)]);
    expect(dlRemoveItems(['U/Snapshot'])).toEqual(['DLMessageRemoveItems', ['U/Snapshot'], {}, new PlistReal(0)]);
    expect(dlCopyItem('a', 'b')).toEqual(['DLMessageCopyItem', 'a', 'b']);
    expect(codeOf(() => dlVersionsOk(-1))).toBe('MESSAGE_INVALID');
    expect(codeOf(() => dlStatusResponse(1.5))).toBe('MESSAGE_INVALID');
  });

  it('a status response with −13 goes out as an 8-byte signed integer, as libplist writes it', () => {
    const frame = encodeDLMessage(dlStatusResponse(-13, 'Multi status', {}));
    const body = frame.subarray(4);
    expect(frame.readUInt32BE(0)).toBe(body.length);
    expect(body.subarray(0, 8).toString()).toBe('bplist00');
    expect(body.includes(hex('13 ffffffffffffff f3'))).toBe(true);
    // libplist reads it back as −13
    const xml = plistutil(body, 'xml').toString();
    expect(xml).toContain('<integer>-13</integer>');
    expect(xml).toContain('<string>Multi status</string>');
  });

  it('reads a status response written by libplist, and u64-masked codes, as signed', () => {
    const xml = Buffer.from(
      '<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0">\n<array><string>DLMessageStatusResponse</string>' +
        '<integer>-13</integer><string>Multi status</string><dict><key>U/Manifest.plist</key><dict>' +
        '<key>DLFileErrorString</key><string>No such file or directory</string><key>DLFileErrorCode</key><integer>-6</integer>' +
        '</dict></dict></array>\n</plist>\n',
    );
    const bin = plistutil(xml, 'bin');
    expect(bin.includes(hex('13 ffffffffffffff f3'))).toBe(true);
    const [msg] = new DLMessageDecoder().push(encodeLengthPrefixed(bin));
    const st = readStatusResponse(msg!);
    expect(st.code).toBe(-13);
    expect(st.status1).toBe('Multi status');
    expect(JSON.parse(JSON.stringify(st.status2))).toEqual({ 'U/Manifest.plist': { DLFileErrorString: 'No such file or directory', DLFileErrorCode: -6 } });

    expect(readStatusResponse(['DLMessageStatusResponse', 0xfffffffffffffff3n, DL_EMPTY, DL_EMPTY])).toEqual({ code: -13, status1: undefined, status2: undefined });
    expect(readStatusResponse(['DLMessageStatusResponse', 0, DL_EMPTY, 123])).toEqual({ code: 0, status1: undefined, status2: 123 });
    expect(signedInt64(0xfffffffffffffffan)).toBe(-6);
    expect(signedInt64(5n)).toBe(5);
    expect(codeOf(() => readStatusResponse(['DLMessageStatusResponse', 'x']))).toBe('MESSAGE_INVALID');
    expect(codeOf(() => readStatusResponse(dlDeviceReady()))).toBe('MESSAGE_INVALID');
  });

  it('round trips every builder through the framed decoder, binary and XML', () => {
    const msgs = [
      dlVersionExchange(400, 0),
      dlVersionsOk(400),
      dlDeviceReady(),
      dlProcessMessage({ MessageName: 'Hello', SupportedProtocolVersions: [new PlistReal(2.0), new PlistReal(2.1)] }),
      dlStatusResponse(-6, 'No such file or directory'),
      dlDownloadFiles(['U/Status.plist'], 0.5),
      dlUploadFiles(10, 50),
      dlDisconnect(),
    ];
    for (const format of ['binary', 'xml'] as const) {
      const wire = Buffer.concat(msgs.map((m) => encodeDLMessage(m, format)));
      const decoded = new DLMessageDecoder().push(wire);
      expect(JSON.parse(JSON.stringify(decoded, (_k, v) => (v instanceof PlistReal ? `real:${v.value}` : v)))).toEqual(
        JSON.parse(JSON.stringify(msgs, (_k, v) => (v instanceof PlistReal ? `real:${v.value}` : v))),
      );
    }
    expect(readVersionExchange(dlVersionExchange(400, 0))).toEqual({ major: 400, minor: 0 });
    expect(readVersionsOk(dlVersionsOk(300))).toBe(300);
    expect(codeOf(() => readVersionsOk(dlVersionExchange(400, 0)))).toBe('MESSAGE_INVALID');
    expect(readProcessMessage(dlProcessMessage({ MessageName: 'Response', ErrorCode: 0 }))).toEqual({ MessageName: 'Response', ErrorCode: 0 });
    expect(codeOf(() => readProcessMessage(['DLMessageProcessMessage', 'x']))).toBe('MESSAGE_INVALID');
  });

  it('host messages are binary by default; XML on request', () => {
    expect(encodeDLMessage(dlDeviceReady()).subarray(4, 12).toString()).toBe('bplist00');
    expect(encodeDLMessage(dlDeviceReady(), 'xml').subarray(4, 9).toString()).toBe('<?xml');
    expect(codeOf(() => encodeDLMessage(['nope']))).toBe('MESSAGE_INVALID');
  });

  it('every split point gives the same messages; non-DL frames are MESSAGE_INVALID', () => {
    const wire = Buffer.concat([encodeDLMessage(dlVersionExchange(400, 0)), encodeDLMessage(dlStatusResponse(-13, 'Multi status', {}))]);
    for (const chunks of splits(wire)) {
      const dec = new DLMessageDecoder();
      const got = chunks.flatMap((c) => dec.push(c));
      expect(got.map((m) => m[0])).toEqual(['DLMessageVersionExchange', 'DLMessageStatusResponse']);
      expect(readStatusResponse(got[1]!).code).toBe(-13);
      dec.finish();
    }
    expect(codeOf(() => new DLMessageDecoder().push(encodeLockdownFrame({ Request: 'QueryType' })))).toBe('MESSAGE_INVALID');
    expect(codeOf(() => new DLMessageDecoder().push(hex('ffffffff')))).toBe('FRAME_TOO_LARGE');
    const dec = new DLMessageDecoder();
    dec.push(wire.subarray(0, 10));
    expect(codeOf(() => dec.finish())).toBe('STREAM_TRUNCATED');
  });

  it('push(chunk, 1) leaves the raw upload stream for rest()', () => {
    const raw = hex('00000000');
    const dec = new DLMessageDecoder();
    const [m, ...more] = dec.push(Buffer.concat([encodeDLMessage(dlUploadFiles(0)), raw]), 1);
    expect(more).toEqual([]);
    expect(dlMessageName(m!)).toBe('DLMessageUploadFiles');
    expect(dec.rest()).toEqual(raw);
    expect(decodePlist(encodeDLMessage(dlDeviceReady()).subarray(4))).toEqual(['DLMessageDeviceReady']);
  });
});
