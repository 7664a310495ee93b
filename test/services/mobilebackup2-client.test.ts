import { afterEach, describe, expect, it } from 'vitest';
import { dlDeviceReady, dlProcessMessage, dlVersionExchange, PlistReal, real } from '../../protocols/index.js';
import { MobileBackup2Client } from '../../src/services/mobilebackup2/index.js';
import { asDict, socketPair, type SocketPair } from './mobilebackup2-scripted-device.js';

let pair: SocketPair | undefined;
afterEach(() => pair?.close());

describe('mobilebackup2 client handshake over a socket', () => {
  it('answers the version exchange with 400, sends Hello with reals 2.0/2.1 and returns the negotiated version', async () => {
    pair = await socketPair();
    const { host, device } = pair;
    const client = new MobileBackup2Client(host);
    const done = client.handshake();
    device.send(dlVersionExchange(400, 0));
    expect(await device.receive()).toEqual(['DLMessageVersionExchange', 'DLVersionsOk', 400]);
    device.send(dlDeviceReady());
    const hello = await device.receive();
    expect(hello[0]).toBe('DLMessageProcessMessage');
    const dict = asDict(hello[1]);
    expect(dict.MessageName).toBe('Hello');
    const versions = dict.SupportedProtocolVersions as PlistReal[];
    expect(versions.every((v) => v instanceof PlistReal)).toBe(true);
    expect(versions.map((v) => v.value)).toEqual([2.0, 2.1]);
    device.send(dlProcessMessage({ MessageName: 'Response', ErrorCode: 0, ProtocolVersion: real(2.1) }));
    expect(await done).toBe(2.1);

    await client.sendRequest('Backup', { targetIdentifier: 'UDID-T', sourceIdentifier: 'UDID-S', options: { ForceFullBackup: true } });
    const req = asDict((await device.receive())[1]);
    expect(req).toMatchObject({ MessageName: 'Backup', TargetIdentifier: 'UDID-T', SourceIdentifier: 'UDID-S' });
    expect(asDict(req.Options).ForceFullBackup).toBe(true);

    await client.sendRequest('Backup', { targetIdentifier: 'UDID-T' });
    const plain = asDict((await device.receive())[1]);
    expect(plain.SourceIdentifier).toBe('UDID-T');
    expect(plain.Options).toBeUndefined();

    await client.close('bye');
    expect(await device.receive()).toEqual(['DLMessageDisconnect', 'bye']);
    expect(await device.closed()).toBe(true);
  });

  it('accepts an older DeviceLink major (300) and the device bytes arriving one at a time', async () => {
    pair = await socketPair();
    const { host, device } = pair;
    const client = new MobileBackup2Client(host);
    const done = client.dl.versionExchange();
    const { encodeLockdownFrame } = await import('../../protocols/index.js');
    const bytes = encodeLockdownFrame(dlVersionExchange(300, 5), 'binary');
    for (const b of bytes) {
      device.sendRaw(Buffer.from([b]));
      await new Promise((r) => setImmediate(r));
    }
    expect(await device.receive()).toEqual(['DLMessageVersionExchange', 'DLVersionsOk', 400]);
    device.send(dlDeviceReady());
    expect(await done).toEqual({ major: 300, minor: 5 });
  });

  it('refuses a DeviceLink version newer than 400 with a typed error', async () => {
    pair = await socketPair();
    const client = new MobileBackup2Client(pair.host);
    const done = client.handshake();
    pair.device.send(dlVersionExchange(401, 0));
    await expect(done).rejects.toMatchObject({ code: 'DL_VERSION_EXCHANGE' });
  });

  it('reports "no common protocol version" when Hello is answered with ErrorCode 1', async () => {
    pair = await socketPair();
    const { host, device } = pair;
    const client = new MobileBackup2Client(host);
    const done = client.handshake();
    device.send(dlVersionExchange(400, 0));
    await device.receive();
    device.send(dlDeviceReady());
    await device.receive();
    device.send(dlProcessMessage({ MessageName: 'Response', ErrorCode: 1 }));
    await expect(done).rejects.toMatchObject({ code: 'MB2_HELLO_FAILED', message: expect.stringContaining('no mobilebackup2 protocol version in common') });
  });

  it('fails with DEVICE_DISCONNECTED when the device hangs up during the handshake', async () => {
    pair = await socketPair();
    const client = new MobileBackup2Client(pair.host);
    const done = client.handshake();
    pair.device.socket.end();
    await expect(done).rejects.toMatchObject({ code: 'DEVICE_DISCONNECTED' });
  });

  it('stops waiting when the abort signal fires', async () => {
    pair = await socketPair();
    const client = new MobileBackup2Client(pair.host);
    const ac = new AbortController();
    const done = client.handshake(ac.signal);
    setTimeout(() => ac.abort(new Error('user pressed Ctrl-C')), 50);
    await expect(done).rejects.toThrow('user pressed Ctrl-C');
  });
});
