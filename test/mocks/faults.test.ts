// Connection-level faults of the simulator: cut a service connection after N bytes device→host, and delay the
// first reply of every new lockdown/service connection.
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator.js';
import { FramedClient, MuxClient, openService, pemsOf } from './wire.js';

let sim: TestSimulator | undefined;
const open: { destroy(): void }[] = [];
afterEach(async () => {
  for (const c of open.splice(0)) c.destroy();
  await sim?.stop();
  sim = undefined;
});

/** Everything the device sends until it closes the connection. */
function drain(conn: Duplex): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    conn.on('data', (c: Buffer) => chunks.push(c));
    conn.on('error', () => undefined);
    conn.on('close', () => resolve(Buffer.concat(chunks)));
    conn.resume();
  });
}

async function service(name: string, extra = {}): Promise<Duplex> {
  const rec = pemsOf(sim!.pairRecord(sim!.devices[0]!.udid)!);
  const s = await openService(sim!.socketPath!, 1, rec, name, extra);
  open.push(s);
  return s;
}

describe('simulator faults', () => {
  it('dropAfterBytes cuts mobilebackup2 (the default) after exactly N bytes device→host', async () => {
    sim = await startTestSimulator({ devices: [{ sessionSSL: false, faults: { dropAfterBytes: 21 } }] });
    const rec = pemsOf(sim.pairRecord(sim.devices[0]!.udid)!);
    const conn = await service('com.apple.mobilebackup2', { EscrowBag: rec.EscrowBag });
    const got = await drain(conn);
    expect(got.length).toBe(21);
    // Other services are not affected.
    const np = new FramedClient(await service('com.apple.mobile.notification_proxy'));
    np.send({ Command: 'Shutdown' });
    expect(await np.next()).toEqual({ Command: 'ProxyDeath' });
  });

  it('dropService picks another service; faults can be changed on a running device', async () => {
    sim = await startTestSimulator({ devices: [{ sessionSSL: false }] });
    sim.devices[0]!.faults = { dropAfterBytes: 100, dropService: 'com.apple.mobile.installation_proxy' };
    const conn = await service('com.apple.mobile.installation_proxy');
    const done = drain(conn);
    new FramedClient(conn).send({ Command: 'Browse', ClientOptions: {} });
    expect((await done).length).toBe(100);
  });

  it('firstResponseDelayMs delays only the first reply of each new connection', async () => {
    sim = await startTestSimulator({ devices: [{ faults: { firstResponseDelayMs: 400 } }] });
    const mux = await MuxClient.open(sim.socketPath!);
    const ld = new FramedClient(await mux.connect(1, 62078));
    open.push(ld.stream);
    let t = Date.now();
    expect((await ld.request({ Request: 'QueryType' })).Type).toBe('com.apple.mobile.lockdown');
    expect(Date.now() - t).toBeGreaterThanOrEqual(380);
    t = Date.now();
    await ld.request({ Request: 'GetValue', Key: 'ProductVersion' });
    expect(Date.now() - t).toBeLessThan(300);
    // A service connection gets its own delayed first reply.
    sim.devices[0]!.faults = { firstResponseDelayMs: 300 };
    const np = new FramedClient(await service('com.apple.mobile.notification_proxy'));
    t = Date.now();
    np.send({ Command: 'Shutdown' });
    expect(await np.next()).toEqual({ Command: 'ProxyDeath' });
    expect(Date.now() - t).toBeGreaterThanOrEqual(280);
  });
});
