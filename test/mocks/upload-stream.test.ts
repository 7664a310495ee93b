// The simulator's upload stream (device → host after DLMessageUploadFiles) over a real unix socket: small files
// coalesced into shared writes, large ones as views in big blocks, stream sources, failures — decoded by the
// protocols/ decoder, every file must arrive byte for byte.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { UploadStreamDecoder } from '../../protocols/index.js';
import { generatedChunks, openGenerated } from '../../mocks/fs/generated-content.js';
import { DEVICE_BLOCK_BYTES, DeviceLinkConnection, type UploadItem } from '../../mocks/services/mobilebackup2/devicelink-connection.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

interface Received {
  name: string;
  sha1: string;
  size: number;
  error?: string;
}

/** A device end and a host end of one unix socket; the host decodes one upload stream. */
async function pair(): Promise<{ device: net.Socket; received: Promise<Received[]>; close: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'ibackup-upload-'));
  dirs.push(dir);
  const path = join(dir, 's.sock');
  let resolveHost!: (s: net.Socket) => void;
  const hostSocket = new Promise<net.Socket>((r) => (resolveHost = r));
  const server = net.createServer((s) => resolveHost(s));
  await new Promise<void>((r) => server.listen(path, r));
  const device = net.connect(path);
  await new Promise<void>((r) => device.once('connect', () => r()));
  const host = await hostSocket;
  const received = (async () => {
    const dec = new UploadStreamDecoder({ maxBlockBytes: 16 * 1024 * 1024 });
    const out: Received[] = [];
    let cur: { name: string; hash: ReturnType<typeof createHash>; size: number } | undefined;
    for await (const chunk of host) {
      for (const ev of dec.push(chunk as Buffer)) {
        if (ev.type === 'file') cur = { name: ev.deviceName, hash: createHash('sha1'), size: 0 };
        else if (ev.type === 'data' && cur) {
          cur.hash.update(ev.data);
          cur.size += ev.data.length;
        } else if ((ev.type === 'file-end' || ev.type === 'file-error') && cur) {
          const r: Received = { name: cur.name, sha1: cur.hash.digest('hex'), size: cur.size };
          if (ev.type === 'file-error') r.error = ev.message;
          out.push(r);
          cur = undefined;
        }
      }
      if (dec.done) return out;
    }
    throw new Error('stream ended before its terminator');
  })();
  return { device, received, close: () => (device.destroy(), host.destroy(), server.close()) };
}

async function sha1Of(chunks: Iterable<Buffer>): Promise<string> {
  const h = createHash('sha1');
  for (const c of chunks) h.update(c);
  return h.digest('hex');
}

describe('DeviceLinkConnection.writeUploadStream', () => {
  it('delivers small, boundary-sized, large and streamed files intact, in order, and reports a failing file', async () => {
    const { device, received, close } = await pair();
    try {
      const sizes = [0, 1, 31, 32, 33, 4096, 16 * 1024 - 1, 16 * 1024, 16 * 1024 + 1, 300_000, DEVICE_BLOCK_BYTES + 7, 3 * DEVICE_BLOCK_BYTES];
      const items: UploadItem[] = sizes.map((size, i) => ({
        deviceName: `HomeDomain/f${i}-${size}`,
        hostPath: `UDID/Snapshot/${i}`,
        size,
        open: () => generatedChunks({ seed: 3, key: `k${i}` }, size, DEVICE_BLOCK_BYTES),
      }));
      items.push({ deviceName: 'HomeDomain/streamed', hostPath: 'UDID/Snapshot/s', size: 200_000, open: () => openGenerated({ seed: 3, key: 's' }, 200_000) });
      items.push({
        deviceName: 'HomeDomain/broken',
        hostPath: 'UDID/Snapshot/b',
        size: 10,
        open: () => {
          throw new Error('unreadable on the device');
        },
      });
      items.push({ deviceName: 'HomeDomain/in-memory', hostPath: 'UDID/Snapshot/m', size: 5, open: () => [Buffer.from('hello')] });
      // Many small files: several ~1 MiB writes.
      for (let i = 0; i < 600; i++) {
        items.push({ deviceName: `HomeDomain/many/${i}`, hostPath: `UDID/Snapshot/m${i}`, size: 4096, open: () => generatedChunks({ seed: 3, key: `m${i}` }, 4096) });
      }
      let counted = 0;
      await new DeviceLinkConnection(device).writeUploadStream(items, (n) => (counted += n));
      const got = await received;
      expect(got.map((r) => r.name)).toEqual(items.map((i) => i.deviceName));
      for (const [i, item] of items.entries()) {
        const r = got[i]!;
        if (item.deviceName === 'HomeDomain/broken') {
          expect(r.error).toContain('unreadable on the device');
          continue;
        }
        expect(r.error, item.deviceName).toBeUndefined();
        expect(r.size, item.deviceName).toBe(item.size);
        const expected = item.deviceName === 'HomeDomain/streamed' ? generatedChunks({ seed: 3, key: 's' }, 200_000) : (item.open() as Iterable<Buffer>);
        expect(r.sha1, item.deviceName).toBe(await sha1Of(expected));
      }
      expect(counted).toBe(items.filter((i) => i.deviceName !== 'HomeDomain/broken').reduce((s, i) => s + i.size, 0));
    } finally {
      close();
    }
  });

  it('gives the same bytes in any chunk size (generated content is independent of how it is cut)', async () => {
    for (const size of [0, 20, 32, 5000, 70_000, 2 * DEVICE_BLOCK_BYTES + 3]) {
      const c = { seed: 9, key: `x${size}` };
      const a = await sha1Of(generatedChunks(c, size, 1000));
      expect(await sha1Of(generatedChunks(c, size, DEVICE_BLOCK_BYTES)), `size ${size}`).toBe(a);
      const streamed = createHash('sha1');
      for await (const chunk of Readable.from(openGenerated(c, size))) streamed.update(chunk as Buffer);
      expect(streamed.digest('hex')).toBe(a);
    }
  });
});
