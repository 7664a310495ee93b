// Debian's ideviceinfo / idevice_id (libimobiledevice 1.3.0) against the simulated iPhone: usbmuxd, lockdown
// with and without session TLS, and the values a backup tool reads.
import { afterEach, describe, expect, it } from 'vitest';
import { parseIdeviceinfo, runTool, startTestSimulator, type TestSimulator } from '../helpers/simulator.js';

let sim: TestSimulator | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

describe('ideviceinfo against the simulator', () => {
  for (const sessionSSL of [true, false]) {
    it(`prints the simulated values (session TLS ${sessionSSL ? 'on' : 'off'})`, async () => {
      sim = await startTestSimulator({ devices: [{ sessionSSL, productVersion: '17.5.1', deviceName: 'Test Phone' }] });
      const r = await runTool('ideviceinfo', [], sim.env);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const info = parseIdeviceinfo(r.stdout);
      const d = sim.devices[0]!;
      expect(info.get('UniqueDeviceID')).toBe(d.udid);
      expect(info.get('DeviceName')).toBe('Test Phone');
      expect(info.get('ProductVersion')).toBe('17.5.1');
      expect(info.get('BuildVersion')).toBe('21F90');
      expect(info.get('ProductType')).toBe('iPhone15,2');
      expect(info.get('SerialNumber')).toBe(d.getValue('', 'SerialNumber'));
      expect(info.get('DeviceClass')).toBe('iPhone');
      expect(info.get('WiFiAddress')).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
      const pem = Buffer.from(info.get('DevicePublicKey') ?? '', 'base64').toString();
      expect(pem).toBe(d.keys.publicKeyPkcs1Pem);
      expect(pem).toContain('BEGIN RSA PUBLIC KEY');
    });
  }

  it('reads a domain key and sees a changed value', async () => {
    sim = await startTestSimulator();
    const q = ['-q', 'com.apple.mobile.backup', '-k', 'WillEncrypt'];
    const before = await runTool('ideviceinfo', q, sim.env);
    expect(before.code).toBe(0);
    expect(before.stdout.trim()).toBe('false');
    sim.devices[0]!.setValue('com.apple.mobile.backup', 'WillEncrypt', true);
    const after = await runTool('ideviceinfo', q, sim.env);
    expect(after.stdout.trim()).toBe('true');
    const itunes = await runTool('ideviceinfo', ['-q', 'com.apple.mobile.iTunes', '-k', 'MinITunesVersion'], sim.env);
    expect(itunes.stdout.trim()).toBe('12.5.5');
  });

  it('idevice_id -l lists two simulated devices, and ideviceinfo -u picks each', async () => {
    sim = await startTestSimulator({ devices: [{}, { sessionSSL: false, deviceName: 'Second' }] });
    const r = await runTool('idevice_id', ['-l'], sim.env);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n').sort()).toEqual(sim.devices.map((d) => d.udid).sort());
    const second = await runTool('ideviceinfo', ['-u', sim.devices[1]!.udid, '-k', 'DeviceName'], sim.env);
    expect(second.stdout.trim()).toBe('Second');
  });

  it('reports no device while the device reboots', async () => {
    sim = await startTestSimulator();
    sim.devices[0]!.reboot(60_000);
    const r = await runTool('idevice_id', ['-l'], sim.env);
    expect(r.stdout.trim()).toBe('');
    const info = await runTool('ideviceinfo', [], sim.env);
    expect(info.code).not.toBe(0);
    expect(info.stdout + info.stderr).toMatch(/No device found/);
  });
});
