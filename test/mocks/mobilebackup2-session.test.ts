// The device side of mobilebackup2 driven by a scripted host over a real unix socket: paths idevicebackup2 cannot
// reach (no common protocol version, requests before Hello, unknown requests, a host with too little free space).
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DLMessageDecoder,
  dlProcessMessage,
  dlStatusResponse,
  dlVersionsOk,
  encodeDLMessage,
  encodeErrorBlock,
  encodeStreamName,
  encodeStreamTerminator,
  real,
  type DLMessage,
  type PlistDict,
  type PlistValue,
} from '../../protocols/index.js';
import { openSimFileSystem } from '../../mocks/fs/index.js';
import { mobilebackup2Service } from '../../mocks/services/mobilebackup2/index.js';
import type { SimDevice, SimFileSystem } from '../../mocks/types.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function makeDevice(fs: SimFileSystem): SimDevice {
  const values = new Map<string, PlistDict>([['', { DeviceName: 'Unit Phone', ProductVersion: '17.0', UniqueDeviceID: 'UNIT-UDID' }]]);
  return {
    udid: 'UNIT-UDID',
    deviceId: 1,
    getValue: (domain, key) => (key === undefined ? values.get(domain) : values.get(domain)?.[key]),
    setValue: (domain, key, value) => {
      const d = values.get(domain) ?? {};
      d[key] = value;
      values.set(domain, d);
    },
    fs,
    faults: {},
    requests: [],
    postNotification: () => undefined,
    reboot: () => undefined,
  };
}

/** A host speaking DeviceLink to the service over a unix socket. */
async function connectHost(device: SimDevice) {
  const dir = mkdtempSync(join(tmpdir(), 'mb2-unit-'));
  const path = join(dir, 'mb2.sock');
  const server = net.createServer((sock) => mobilebackup2Service(sock, device));
  await new Promise<void>((r) => server.listen(path, r));
  const sock = net.connect(path);
  await new Promise<void>((r) => sock.once('connect', r));
  cleanups.push(() => {
    sock.destroy();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const decoder = new DLMessageDecoder();
  const queue: DLMessage[] = [];
  const waiters: ((m: DLMessage) => void)[] = [];
  sock.on('data', (chunk) => {
    for (const m of decoder.push(chunk)) {
      const w = waiters.shift();
      if (w) w(m);
      else queue.push(m);
    }
  });
  const closed = new Promise<void>((r) => sock.once('close', () => r()));
  return {
    send: (m: DLMessage) => sock.write(encodeDLMessage(m)),
    raw: (b: Buffer) => sock.write(b),
    recv: () => new Promise<DLMessage>((r) => (queue.length > 0 ? r(queue.shift() as DLMessage) : waiters.push(r))),
    closed,
  };
}

const response = (m: DLMessage) => {
  expect(m[0]).toBe('DLMessageProcessMessage');
  return m[1] as PlistDict;
};

describe('mobilebackup2 device side with a scripted host', () => {
  it('version exchange, Hello negotiation, requests before Hello, unknown requests, low host disk space', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'mb2-fs-'));
    cleanups.push(() => rmSync(stateDir, { recursive: true, force: true }));
    const device = makeDevice(await openSimFileSystem({ stateDir, dataset: 'tiny' }));
    const host = await connectHost(device);

    expect(await host.recv()).toEqual(['DLMessageVersionExchange', 400, 0]);
    host.send(dlVersionsOk(400));
    expect(await host.recv()).toEqual(['DLMessageDeviceReady']);

    host.send(dlProcessMessage({ MessageName: 'Hello', SupportedProtocolVersions: [real(3.0)] }));
    expect(response(await host.recv())).toMatchObject({ MessageName: 'Response', ErrorCode: 1, ErrorDescription: 'No common supported protocol version' });

    host.send(dlProcessMessage({ MessageName: 'Info', TargetIdentifier: 'UNIT-UDID' }));
    expect(response(await host.recv())).toMatchObject({ ErrorCode: 1 });

    host.send(dlProcessMessage({ MessageName: 'Hello', SupportedProtocolVersions: [real(2.0), real(2.1)] }));
    const hello = response(await host.recv());
    expect(hello.ErrorCode).toBe(0);
    expect((hello.ProtocolVersion as { value: number }).value).toBe(2.1);

    host.send(dlProcessMessage({ MessageName: 'Frobnicate' }));
    expect(String(response(await host.recv()).ErrorDescription)).toContain('Unknown request');

    host.send(dlProcessMessage({ MessageName: 'Backup', TargetIdentifier: 'UNIT-UDID', SourceIdentifier: 'UNIT-UDID' }));
    const download = await host.recv();
    expect(download[0]).toBe('DLMessageDownloadFiles');
    expect(download[1]).toEqual(['UNIT-UDID/Status.plist']);
    host.raw(Buffer.concat([encodeStreamName('UNIT-UDID/Status.plist'), encodeErrorBlock(0x06, 'No such file or directory'), encodeStreamTerminator()]));
    const multi: PlistValue = { 'UNIT-UDID/Status.plist': { DLFileErrorString: 'No such file or directory', DLFileErrorCode: -6 } };
    host.send(dlStatusResponse(-13, 'Multi status', multi));
    expect(await host.recv()).toEqual(['DLMessageGetFreeDiskSpace']);
    host.send(dlStatusResponse(0, undefined, 1000));
    const full = response(await host.recv());
    expect(full).toMatchObject({ ErrorCode: 105, ErrorDescription: 'Insufficient free disk space on drive to back up (MBErrorDomain/105)' });

    expect(device.requests.map((r) => r.MessageName)).toEqual(['Hello', 'Info', 'Hello', 'Frobnicate', 'Backup']);
    host.send(['DLMessageDisconnect', '___EmptyParameterString___']);
    await host.closed;
  });
});
