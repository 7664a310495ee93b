import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../mocks/simulator.js';
import { connect } from '../../src/lockdown/device.js';
import { TransportError } from '../../src/transport/errors.js';
import { AFC_SERVICE, AfcClient } from '../../src/services/afc/index.js';
import { expectNoLeaks, handleCounts } from '../transport/handles.js';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

describe('lockdown sessions', () => {
  it('runs several sessions in a row, each StartSession/StopSession over TLS, without leaking handles', async () => {
    sim = await startSimulator({ devices: [{ sessionSSL: true }] });
    const udid = sim.devices[0]!.udid;
    const baseline = handleCounts();
    const ids = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const dev = await connect(udid, { muxAddress: sim.address, pairRecordDir: false });
      expect(dev.lockdown.tls).toBe(true);
      ids.add(dev.lockdown.sessionId!);
      expect(await dev.lockdown.getValue(undefined, 'UniqueDeviceID')).toBe(udid);
      await dev.close();
      await dev.close(); // idempotent
      expect(dev.lockdown.closed).toBe(true);
    }
    expect(ids.size).toBe(4);
    await expectNoLeaks(baseline);
  });

  it('sends StopSession with the session ID on close, then closes the TLS stream cleanly', async () => {
    const seen: { request?: unknown; error?: unknown; err?: unknown }[] = [];
    const logger = { debug: (o: object) => seen.push(o as never), info: () => undefined, warn: () => undefined };
    sim = await startSimulator({ devices: [{ sessionSSL: true }], logger });
    const dev = await connect(undefined, { muxAddress: sim.address, pairRecordDir: false });
    await dev.lockdown.getValue(undefined, 'DeviceName');
    await dev.close();
    await new Promise((r) => setTimeout(r, 100));
    const requests = seen.filter((o) => 'request' in o);
    expect(requests.map((o) => o.request)).toEqual(['QueryType', 'GetValue', 'StartSession', 'GetValue', 'StopSession']);
    expect(requests.every((o) => o.error === undefined)).toBe(true);
    expect(seen.filter((o) => 'err' in o)).toEqual([]);
  });

  it('runs sessions in parallel on two simulated devices, each with services', async () => {
    sim = await startSimulator({ devices: [{ sessionSSL: true, serviceSSL: { [AFC_SERVICE]: true } }, { sessionSSL: false }] });
    const baseline = handleCounts();
    const run = async (udid: string): Promise<string[]> => {
      const dev = await connect(udid, { muxAddress: sim!.address, pairRecordDir: false });
      try {
        const [name, id, version] = await Promise.all([
          dev.lockdown.getValue(undefined, 'DeviceName'),
          dev.lockdown.getValue(undefined, 'UniqueDeviceID'),
          dev.lockdown.getValue(undefined, 'ProductVersion'),
        ]);
        expect(id).toBe(udid);
        expect(typeof name).toBe('string');
        expect(typeof version).toBe('string');
        const afc = new AfcClient(await dev.startService(AFC_SERVICE));
        const entries = await afc.readDir('/');
        await afc.disconnect();
        // A second, independent session on the same device at the same time.
        const other = await dev.openSession();
        expect(await other.getValue(undefined, 'UniqueDeviceID')).toBe(udid);
        await other.close();
        return entries;
      } finally {
        await dev.close();
      }
    };
    const results = await Promise.all([run(sim.devices[0]!.udid), run(sim.devices[1]!.udid), run(sim.devices[0]!.udid)]);
    for (const r of results) expect(Array.isArray(r)).toBe(true);
    await expectNoLeaks(baseline);
  });

  it('starts a service through a fresh session after the main session was closed', async () => {
    sim = await startSimulator();
    const dev = await connect(undefined, { muxAddress: sim.address, pairRecordDir: false });
    await dev.lockdown.close();
    const afc = new AfcClient(await dev.startService(AFC_SERVICE));
    expect(Array.isArray(await afc.readDir('/'))).toBe(true);
    await afc.disconnect();
    await dev.close();
  });

  it('is cancellable: an aborted connect rejects with ABORTED and leaves nothing open', async () => {
    sim = await startSimulator({ devices: [{ faults: { firstResponseDelayMs: 3000 } }] });
    const baseline = handleCounts();
    const ac = new AbortController();
    const started = Date.now();
    setTimeout(() => ac.abort(new Error('user pressed Ctrl-C')), 200);
    const err = await connect(undefined, { muxAddress: sim.address, pairRecordDir: false, signal: ac.signal }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).code).toBe('ABORTED');
    expect(Date.now() - started).toBeLessThan(2000);
    await expectNoLeaks(baseline, 4000);
  });

  it('times out per phase with a typed error', async () => {
    sim = await startSimulator({ devices: [{ faults: { firstResponseDelayMs: 3000 } }] });
    const baseline = handleCounts();
    const started = Date.now();
    const err = await connect(undefined, { muxAddress: sim.address, pairRecordDir: false, timeouts: { lockdownReplyMs: 300 } }).catch(
      (e: unknown) => e,
    );
    expect((err as TransportError).code).toBe('TIMEOUT');
    expect((err as TransportError).message).toContain('lockdownd');
    expect(Date.now() - started).toBeLessThan(2000);
    await expectNoLeaks(baseline, 4000);
  });
});
