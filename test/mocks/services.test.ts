// The simulated device's small services over real connections: AFC (sync lock contention, iTunesRestore writes,
// packet numbers, non-zero handles), notification_proxy relay and ProxyDeath, installation_proxy Browse.
import { afterEach, describe, expect, it } from 'vitest';
import { AfcError, AfcOp, decodeCStringList, encodeCString, encodeU64s, type PlistDict } from '../../protocols/index.js';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator.js';
import { AfcClient, FramedClient, openService, pemsOf } from './wire.js';

let sim: TestSimulator | undefined;
const open: { close(): void }[] = [];
afterEach(async () => {
  for (const c of open.splice(0)) c.close();
  await sim?.stop();
  sim = undefined;
});

async function service(name: string): Promise<import('node:stream').Duplex> {
  const rec = pemsOf(sim!.pairRecord(sim!.devices[0]!.udid)!);
  return openService(sim!.socketPath!, 1, rec, name);
}

async function afc(): Promise<AfcClient> {
  const c = new AfcClient(await service('com.apple.afc'));
  open.push(c);
  return c;
}

const statusOf = (p: { operation: number; headerData: Buffer }): number =>
  p.operation === AfcOp.Status ? Number(p.headerData.readBigUInt64LE(0)) : -1;

async function openFile(c: AfcClient, path: string, mode: number): Promise<Buffer> {
  const r = await c.op(AfcOp.FileOpen, Buffer.concat([encodeU64s(mode), encodeCString(path)]));
  expect(r.operation).toBe(AfcOp.FileOpenResult);
  expect(r.packetNum).toBe(r.sentNum);
  const handle = r.headerData.subarray(0, 8);
  expect(handle.readBigUInt64LE(0)).toBeGreaterThan(0n);
  return handle;
}

describe('AFC', () => {
  it('second connection gets OP_WOULD_BLOCK (19) on the sync lock until the first unlocks', async () => {
    sim = await startTestSimulator({ devices: [{ serviceSSL: { 'com.apple.afc': true } }] });
    const a = await afc();
    const b = await afc();
    const ha = await openFile(a, '/com.apple.itunes.lock_sync', 2);
    const hb = await openFile(b, '/com.apple.itunes.lock_sync', 2);
    expect(statusOf(await a.op(AfcOp.FileLock, Buffer.concat([ha, encodeU64s(6)])))).toBe(AfcError.Success);
    expect(statusOf(await b.op(AfcOp.FileLock, Buffer.concat([hb, encodeU64s(6)])))).toBe(AfcError.OpWouldBlock);
    expect(statusOf(await a.op(AfcOp.FileLock, Buffer.concat([ha, encodeU64s(12)])))).toBe(AfcError.Success);
    expect(statusOf(await b.op(AfcOp.FileLock, Buffer.concat([hb, encodeU64s(6)])))).toBe(AfcError.Success);
    // Closing the holder's connection releases its lock.
    b.close();
    await new Promise((r) => setTimeout(r, 50));
    expect(statusOf(await a.op(AfcOp.FileLock, Buffer.concat([ha, encodeU64s(6)])))).toBe(AfcError.Success);
  });

  it('reads the media tree and writes /iTunesRestore like a restore does', async () => {
    sim = await startTestSimulator({ devices: [{ sessionSSL: false }] });
    const c = await afc();
    const root = await c.op(AfcOp.ReadDir, encodeCString('/'));
    expect(root.operation).toBe(AfcOp.Data);
    expect(decodeCStringList(root.payload)).toEqual(expect.arrayContaining(['.', '..', 'com.apple.itunes.lock_sync', 'iTunes_Control', 'Books']));
    const info = await c.op(AfcOp.GetFileInfo, encodeCString('/Books/iBooksData2.plist'));
    const kv = decodeCStringList(info.payload);
    expect(kv[kv.indexOf('st_ifmt') + 1]).toBe('S_IFREG');
    expect(Number(kv[kv.indexOf('st_size') + 1])).toBeGreaterThan(0);
    expect(statusOf(await c.op(AfcOp.GetFileInfo, encodeCString('/iTunes_Control/iTunes/ApertureAlbumPrefs')))).toBe(AfcError.ObjectNotFound);

    expect(statusOf(await c.op(AfcOp.MakeDir, encodeCString('/iTunesRestore')))).toBe(0);
    const path = '/iTunesRestore/RestoreApplications.plist';
    const h = await openFile(c, path, 4);
    const body = Buffer.from('<plist>apps</plist>'.repeat(1000));
    const w = await c.op(AfcOp.FileWrite, h, body);
    expect(statusOf(w)).toBe(0);
    expect(w.packetNum).toBe(w.sentNum);
    expect(statusOf(await c.op(AfcOp.FileClose, h))).toBe(0);
    const h2 = await openFile(c, path, 1);
    const read = await c.op(AfcOp.FileRead, Buffer.concat([h2, encodeU64s(1 << 20)]));
    expect(read.payload.equals(body)).toBe(true);
    expect(statusOf(await c.op(AfcOp.FileWrite, h2, Buffer.from('x')))).toBe(AfcError.PermDenied);
    expect(statusOf(await c.op(AfcOp.RemovePath, encodeCString('/iTunesRestore')))).not.toBe(0);
    expect(statusOf(await c.op(AfcOp.RemovePath, encodeCString(path)))).toBe(0);
    expect(statusOf(await c.op(AfcOp.RemovePath, encodeCString('/iTunesRestore')))).toBe(0);
    expect(statusOf(await c.op(AfcOp.GetFileInfo, encodeCString('/iTunesRestore')))).toBe(AfcError.ObjectNotFound);
    expect(statusOf(await c.op(AfcOp.FileOpen, Buffer.concat([encodeU64s(1), encodeCString('/missing')])))).toBe(AfcError.ObjectNotFound);
  });
});

describe('notification_proxy', () => {
  it('relays device notifications to observers, records host posts, answers Shutdown with ProxyDeath', async () => {
    sim = await startTestSimulator({ devices: [{ sessionSSL: false }] });
    const np = new FramedClient(await service('com.apple.mobile.notification_proxy'));
    open.push(np);
    np.send({ Command: 'ObserveNotification', Name: 'com.apple.itunes-client.syncCancelRequest' });
    np.send({ Command: 'PostNotification', Name: 'com.apple.itunes-mobdev.syncWillStart' });
    const d = sim.devices[0]!;
    for (let i = 0; i < 50 && d.hostNotifications.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(d.hostNotifications).toEqual(['com.apple.itunes-mobdev.syncWillStart']);
    d.postNotification('com.apple.other.thing');
    d.postNotification('com.apple.itunes-client.syncCancelRequest');
    expect(await np.next()).toEqual({ Command: 'RelayNotification', Name: 'com.apple.itunes-client.syncCancelRequest' });
    np.send({ Command: 'Shutdown' });
    expect(await np.next()).toEqual({ Command: 'ProxyDeath' });
  });
});

describe('installation_proxy', () => {
  it('Browse sends the user apps with SINF and iTunesMetadata, then Status Complete', async () => {
    sim = await startTestSimulator({ devices: [{ sessionSSL: false }] });
    const ip = new FramedClient(await service('com.apple.mobile.installation_proxy'));
    open.push(ip);
    ip.send({ Command: 'Browse', ClientOptions: { ApplicationType: 'User' } });
    const msgs: PlistDict[] = [];
    for (;;) {
      const m = (await ip.next()) as PlistDict;
      msgs.push(m);
      if (m.Status === 'Complete') break;
    }
    const apps = msgs.flatMap((m) => (Array.isArray(m.CurrentList) ? m.CurrentList : [])) as PlistDict[];
    expect(apps.length).toBeGreaterThanOrEqual(2);
    for (const a of apps) {
      expect(a.ApplicationType).toBe('User');
      expect(typeof a.CFBundleIdentifier).toBe('string');
      expect(a.ApplicationSINF).toBeInstanceOf(Uint8Array);
      expect(a.iTunesMetadata).toBeInstanceOf(Uint8Array);
    }
    ip.send({ Command: 'Browse', ClientOptions: { ApplicationType: 'User', ReturnAttributes: ['CFBundleIdentifier'] } });
    const slim = (await ip.next()) as PlistDict;
    expect(Object.keys((slim.CurrentList as PlistDict[])[0]!)).toEqual(['CFBundleIdentifier']);
    expect(((await ip.next()) as PlistDict).Status).toBe('Complete');
  });
});

describe('springboardservices and diagnostics_relay', () => {
  it('returns a PNG icon per bundle id and MobileGestalt PasswordConfigured', async () => {
    sim = await startTestSimulator({ devices: [{ sessionSSL: false, passcodeSet: true }] });
    const sb = new FramedClient(await service('com.apple.springboardservices'));
    open.push(sb);
    const icon = await sb.request({ command: 'getIconPNGData', bundleId: 'com.example.notes' });
    const png = Buffer.from(icon.pngData as Uint8Array);
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(png.readUInt32BE(16)).toBe(8); // IHDR width
    const dr = new FramedClient(await service('com.apple.mobile.diagnostics_relay'));
    open.push(dr);
    const g = await dr.request({ Request: 'MobileGestalt', MobileGestaltKeys: ['PasswordConfigured'] });
    expect(g).toMatchObject({ Status: 'Success', Diagnostics: { MobileGestalt: { PasswordConfigured: true } } });
    expect(await dr.request({ Request: 'Goodbye' })).toEqual({ Status: 'Success' });
  });
});
