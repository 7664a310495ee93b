// Debian's idevicepair (libimobiledevice 1.3.0) against an unpaired simulated iPhone: real certificates are
// made by the tool, checked by the simulator, saved through usbmuxd, and used for a TLS session afterwards.
import { X509Certificate } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runTool, startTestSimulator, type TestSimulator } from '../helpers/simulator.js';

let sim: TestSimulator | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

describe('idevicepair against the simulator', () => {
  it('pairs an unpaired device, validates, and the record works for a TLS session', async () => {
    sim = await startTestSimulator({ devices: [{ paired: false }] });
    const d = sim.devices[0]!;
    expect(sim.pairRecord(d.udid)).toBeUndefined();
    const pair = await runTool('idevicepair', ['pair'], sim.env);
    expect(pair.stdout).toContain(`SUCCESS: Paired with device ${d.udid}`);
    expect(pair.code).toBe(0);
    const record = sim.pairRecord(d.udid)!;
    expect(typeof record.HostID).toBe('string');
    expect(d.pairedHost(record.HostID)).toBeDefined();
    expect(Buffer.from(record.EscrowBag as Uint8Array)).toEqual(d.pairedHost(record.HostID)!.escrowBag);
    const deviceCert = new X509Certificate(Buffer.from(record.DeviceCertificate as Uint8Array));
    expect(deviceCert.verify(new X509Certificate(Buffer.from(record.RootCertificate as Uint8Array)).publicKey)).toBe(true);
    expect(statSync(join(sim.stateDir, 'lockdown', `${d.udid}.plist`)).mode & 0o777).toBe(0o600);

    const validate = await runTool('idevicepair', ['validate'], sim.env);
    expect(validate.stdout).toContain('SUCCESS: Validated pairing');
    const info = await runTool('ideviceinfo', ['-k', 'UniqueDeviceID'], sim.env);
    expect(info.stdout.trim()).toBe(d.udid);

    const unpair = await runTool('idevicepair', ['unpair'], sim.env);
    expect(unpair.stdout).toContain('SUCCESS: Unpaired');
    expect(d.pairedHosts.size).toBe(0);
    expect(sim.pairRecord(d.udid)).toBeUndefined();
  });

  it('needs several attempts while the trust dialog is pending', async () => {
    sim = await startTestSimulator({ devices: [{ paired: false, trust: { pendingAttempts: 2 } }] });
    for (let i = 0; i < 2; i++) {
      const r = await runTool('idevicepair', ['pair'], sim.env);
      expect(r.code).not.toBe(0);
      expect(r.stdout + r.stderr).toMatch(/accept the trust dialog/);
    }
    const ok = await runTool('idevicepair', ['pair'], sim.env);
    expect(ok.stdout).toContain('SUCCESS: Paired');
    expect(ok.code).toBe(0);
  });

  it('reports a denied trust dialog and a locked device', async () => {
    sim = await startTestSimulator({ devices: [{ paired: false, trust: 'deny' }, { paired: false, locked: true }] });
    const [denied, locked] = sim.devices;
    const r1 = await runTool('idevicepair', ['-u', denied!.udid, 'pair'], sim.env);
    expect(r1.code).not.toBe(0);
    expect(r1.stdout + r1.stderr).toMatch(/user denied the trust dialog/);
    const r2 = await runTool('idevicepair', ['-u', locked!.udid, 'pair'], sim.env);
    expect(r2.stdout + r2.stderr).toMatch(/passcode is set/);
    locked!.locked = false;
    const r3 = await runTool('idevicepair', ['-u', locked!.udid, 'pair'], sim.env);
    expect(r3.stdout).toContain('SUCCESS: Paired');
    expect(denied!.pairedHosts.size).toBe(0);
  });

  it('refuses a session for a host the device has forgotten (InvalidHostID)', async () => {
    sim = await startTestSimulator();
    const d = sim.devices[0]!;
    d.pairedHosts.clear();
    const r = await runTool('ideviceinfo', ['-k', 'DeviceName'], sim.env);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/-21/);
  });
});
