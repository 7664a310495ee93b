// The simulated lockdownd over usbmuxd Connect 62078: reply shapes, session rules, real TLS, StartService.
import { afterEach, describe, expect, it } from 'vitest';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator.js';
import { FramedClient, MuxClient, lockdownSession, pemsOf } from './wire.js';

let sim: TestSimulator | undefined;
const open: ({ close(): void } | { destroy(): void })[] = [];
afterEach(async () => {
  for (const c of open.splice(0)) {
    if ('close' in c) c.close();
    else c.destroy();
  }
  await sim?.stop();
  sim = undefined;
});

async function lockdown(deviceId = 1): Promise<FramedClient> {
  const mux = await MuxClient.open(sim!.socketPath!);
  const ld = new FramedClient(await mux.connect(deviceId, 62078));
  open.push(ld);
  return ld;
}

describe('simulated lockdownd', () => {
  it('echoes Request in every reply, including errors', async () => {
    sim = await startTestSimulator();
    const ld = await lockdown();
    const requests = [
      { Request: 'QueryType' },
      { Request: 'GetValue', Key: 'ProductVersion' },
      { Request: 'GetValue', Key: 'NoSuchKey' },
      { Request: 'SetValue', Domain: 'com.apple.mobile.backup', Key: 'WillEncrypt', Value: true },
      { Request: 'RemoveValue', Key: 'UniqueDeviceID' },
      { Request: 'StartService', Service: 'com.apple.afc' },
      { Request: 'StopSession', SessionID: 'nope' },
      { Request: 'ValidatePair', PairRecord: { HostID: 'unknown' } },
      { Request: 'EnterRecovery' },
    ];
    for (const req of requests) expect((await ld.request(req)).Request).toBe(req.Request);
    expect(await ld.request({ Request: 'QueryType' })).toEqual({ Request: 'QueryType', Type: 'com.apple.mobile.lockdown' });
    expect(sim.devices[0]!.getValue('com.apple.mobile.backup', 'WillEncrypt')).toBe(true);
  });

  it('GetValue: all values with the keys backup tools require, domains, and MissingValue', async () => {
    sim = await startTestSimulator({ devices: [{ productVersion: '17.5' }] });
    const ld = await lockdown();
    const all = (await ld.request({ Request: 'GetValue' })).Value as Record<string, unknown>;
    for (const k of ['BuildVersion', 'DeviceName', 'ProductType', 'ProductVersion', 'SerialNumber', 'UniqueDeviceID', 'DeviceClass', 'WiFiAddress', 'HardwareModel', 'CPUArchitecture', 'PhoneNumber']) {
      expect(all[k], k).toBeDefined();
    }
    expect(all.ProductVersion).toBe('17.5');
    expect(Buffer.from(all.DevicePublicKey as Uint8Array).toString()).toMatch(/^-----BEGIN RSA PUBLIC KEY-----/);
    const itunes = await ld.request({ Request: 'GetValue', Domain: 'com.apple.iTunes' });
    expect(itunes.Domain).toBe('com.apple.iTunes');
    expect(typeof itunes.Value).toBe('object');
    const we = await ld.request({ Request: 'GetValue', Domain: 'com.apple.mobile.backup', Key: 'WillEncrypt' });
    expect(we).toMatchObject({ Request: 'GetValue', Domain: 'com.apple.mobile.backup', Key: 'WillEncrypt', Value: false });
    expect((await ld.request({ Request: 'GetValue', Key: 'Nope' })).Error).toBe('MissingValue');
  });

  it('StartService needs a session; StartSession refuses an unknown HostID', async () => {
    sim = await startTestSimulator();
    const ld = await lockdown();
    expect((await ld.request({ Request: 'StartService', Service: 'com.apple.afc' })).Error).toBe('SessionInactive');
    expect((await ld.request({ Request: 'StartSession', HostID: 'NOT-A-HOST', SystemBUID: 'x' })).Error).toBe('InvalidHostID');
    expect((await ld.request({ Request: 'StartSession' })).Error).toBe('MissingHostID');
  });

  it('runs a real TLS session (client presents the root cert) and starts services by the rules', async () => {
    sim = await startTestSimulator({ devices: [{ serviceSSL: { 'com.apple.afc': true } }] });
    const rec = pemsOf(sim.pairRecord(sim.devices[0]!.udid)!);
    const { ld, sessionId, ssl } = await lockdownSession(sim.socketPath!, 1, rec);
    open.push(ld);
    expect(ssl).toBe(true);
    const tlsSock = ld.stream as import('node:tls').TLSSocket;
    expect(tlsSock.encrypted).toBe(true);
    expect(tlsSock.getPeerCertificate().raw).toBeDefined();
    expect((await ld.request({ Request: 'GetValue', Key: 'UniqueDeviceID' })).Value).toBe(sim.devices[0]!.udid);
    const afc = await ld.request({ Request: 'StartService', Service: 'com.apple.afc' });
    expect(afc).toMatchObject({ Request: 'StartService', Service: 'com.apple.afc', EnableServiceSSL: true });
    expect(typeof afc.Port).toBe('number');
    const np = await ld.request({ Request: 'StartService', Service: 'com.apple.mobile.notification_proxy' });
    expect(np.EnableServiceSSL).toBe(false);
    expect(np.Port).not.toBe(afc.Port);
    expect((await ld.request({ Request: 'StartService', Service: 'com.example.nothing' })).Error).toBe('InvalidService');
    expect((await ld.request({ Request: 'StartService', Service: 'com.apple.mobilebackup2' })).Error).toBe('EscrowLocked');
    const mb2 = await ld.request({ Request: 'StartService', Service: 'com.apple.mobilebackup2', EscrowBag: rec.EscrowBag });
    expect(typeof mb2.Port).toBe('number');
    expect((await ld.request({ Request: 'StartSession', HostID: rec.HostID })).Error).toBe('SessionActive');
    expect(await ld.request({ Request: 'StopSession', SessionID: sessionId })).toEqual({ Request: 'StopSession' });
    // The host then sends close_notify and closes; the device must take that as a normal end.
    tlsSock.end();
    await new Promise((r) => tlsSock.once('close', r));
    const ld2 = await lockdown();
    expect((await ld2.request({ Request: 'QueryType' })).Type).toBe('com.apple.mobile.lockdown');
  });

  it('a service port serves one connection only', async () => {
    sim = await startTestSimulator({ devices: [{ sessionSSL: false }] });
    const rec = pemsOf(sim.pairRecord(sim.devices[0]!.udid)!);
    const { ld, ssl } = await lockdownSession(sim.socketPath!, 1, rec);
    open.push(ld);
    expect(ssl).toBe(false);
    const r = await ld.request({ Request: 'StartService', Service: 'com.apple.afc' });
    const first = await MuxClient.open(sim.socketPath!);
    open.push(await first.connect(1, r.Port as number));
    const second = await MuxClient.open(sim.socketPath!);
    open.push(second);
    await expect(second.connect(1, r.Port as number)).rejects.toMatchObject({ number: 3 });
  });
});
