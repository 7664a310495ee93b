// startSimulator with a kept state directory: the device keys, pairings and backup settings survive a restart;
// close() ends open connections and removes the socket.
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator } from '../../mocks/index.js';
import { FramedClient, MuxClient } from './wire.js';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('simulator state and shutdown', () => {
  it('keeps keys, pair record and WillEncrypt across restarts with the same state dir', async () => {
    dir = mkdtempSync(join(tmpdir(), 'ibk-state-'));
    const opts = { socketPath: join(dir, 'mux.sock'), stateDir: join(dir, 'state'), devices: [{ udid: 'STATE-TEST-1' }] };
    const a = await startSimulator(opts);
    const recA = a.pairRecord('STATE-TEST-1');
    const keyA = a.devices[0]!.keys.publicKeyPkcs1Pem;
    a.devices[0]!.setValue('com.apple.mobile.backup', 'WillEncrypt', true);
    await a.close();
    expect(statSync(join(dir, 'state', 'STATE-TEST-1', 'device.json')).mode & 0o777).toBe(0o600);
    const b = await startSimulator(opts);
    try {
      expect(b.pairRecord('STATE-TEST-1')?.HostID).toBe(recA?.HostID);
      expect(b.devices[0]!.keys.publicKeyPkcs1Pem).toBe(keyA);
      expect(b.devices[0]!.getValue('com.apple.mobile.backup', 'WillEncrypt')).toBe(true);
      expect(b.devices[0]!.pairedHost(recA?.HostID)).toBeDefined();
    } finally {
      await b.close();
    }
  });

  it('close() drops open connections and removes its socket and temp state', async () => {
    const sim = await startSimulator();
    expect(sim.address).toBe(`UNIX:${sim.socketPath}`);
    const mux = await MuxClient.open(sim.socketPath!);
    const ld = new FramedClient(await mux.connect(1, 62078));
    expect((await ld.request({ Request: 'QueryType' })).Type).toBe('com.apple.mobile.lockdown');
    const closed = new Promise((r) => ld.stream.once('close', r));
    await sim.close();
    await closed;
    expect(existsSync(sim.socketPath!)).toBe(false);
    expect(existsSync(sim.stateDir)).toBe(false);
  });
});
