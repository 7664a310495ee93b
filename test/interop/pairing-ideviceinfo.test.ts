// Pair from scratch with our code against an unpaired simulator; Debian's libimobiledevice 1.3.0 tools must then
// work with the record we saved through the simulator's usbmuxd (SavePairRecord).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pairDevice } from '../../src/lockdown/pairing.js';
import { parseIdeviceinfo, runTool, startTestSimulator, type TestSimulator } from '../helpers/simulator.js';

let sim: TestSimulator | undefined;
let dir: string | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a pair record made by ibackup, used by Debian libimobiledevice', () => {
  for (const sessionSSL of [true, false]) {
    it(`ideviceinfo and idevicepair validate work after our pairing (session TLS ${sessionSSL ? 'on' : 'off'})`, async () => {
      sim = await startTestSimulator({ devices: [{ paired: false, sessionSSL, trust: { pendingAttempts: 2 }, deviceName: 'Paired By Us' }] });
      dir = mkdtempSync(join(tmpdir(), 'ibk-pair-'));
      const udid = sim.devices[0]!.udid;
      expect(sim.pairRecord(udid)).toBeUndefined();
      const result = await pairDevice(udid, {
        muxAddress: sim.address,
        pairRecordDir: dir,
        timeouts: { pairingRetryMs: 50 },
      });
      expect(result.savedToUsbmuxd).toBe(true);
      const info = await runTool('ideviceinfo', [], sim.env);
      expect(info.stderr).toBe('');
      expect(info.code).toBe(0);
      const values = parseIdeviceinfo(info.stdout);
      expect(values.get('UniqueDeviceID')).toBe(udid);
      expect(values.get('DeviceName')).toBe('Paired By Us');
      // ideviceinfo used our record (no new pairing happened).
      expect(sim.pairRecord(udid)).toMatchObject({ HostID: result.record.HostID });
      const validate = await runTool('idevicepair', ['validate'], sim.env);
      expect(validate.stdout + validate.stderr).toContain('SUCCESS');
      expect(validate.code).toBe(0);
    });
  }
});
