import net from 'node:net';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { reusedReadsOf, withReusedReads } from '../../mocks/usbmuxd/reused-reads.js';

const open: net.Socket[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.destroy();
});

/** A connected pair: `server` is the accepted end, moved to reused reads; `client` the other end. */
async function pair(): Promise<{ server: net.Socket; client: net.Socket; closeServer: () => Promise<void> }> {
  const srv = net.createServer({ pauseOnConnect: true });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const accepted = once(srv, 'connection') as Promise<[net.Socket]>;
  const client = net.connect((srv.address() as net.AddressInfo).port, '127.0.0.1');
  const [raw] = await accepted;
  const server = withReusedReads(raw);
  open.push(server, client);
  await once(client, 'connect');
  return { server, client, closeServer: () => new Promise<void>((r) => srv.close(() => r())) };
}

function pattern(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

describe('simulator sockets with reused reads', () => {
  it('reads first as ordinary data, then as views taken one at a time, then as ordinary data again', async () => {
    const { server, client } = await pair();
    const reads = reusedReadsOf(server);
    expect(reads).toBeDefined();

    // Before any take(): plain 'data' events with owned Buffers.
    client.write('hello');
    const [first] = (await once(server, 'data')) as [Buffer];
    expect(first.toString()).toBe('hello');
    server.pause();

    // Taking: 5 MiB in 64 KiB writes arrive complete and in order. Each view is copied only after the event loop
    // went round once: it must still hold its bytes (no read may land in the buffer before the next take).
    const sent = pattern(5 * 1024 * 1024, 3);
    for (let at = 0; at < sent.length; at += 65536) client.write(sent.subarray(at, at + 65536));
    const got: Buffer[] = [];
    let bytes = 0;
    let views = 0;
    while (bytes < sent.length) {
      const view = await reads!.take();
      expect(view).not.toBeNull();
      await new Promise((r) => setTimeout(r, 1));
      got.push(Buffer.from(view!));
      bytes += view!.length;
      views++;
    }
    expect(Buffer.concat(got).equals(sent)).toBe(true);
    expect(views).toBeGreaterThan(1);

    // Released: ordinary data again.
    reads!.release();
    server.resume();
    const more = once(server, 'data') as Promise<[Buffer]>;
    client.write('after');
    expect((await more)[0].toString()).toBe('after');
  });

  it('take() gives null once the other end closed; the server closes even though its accepted socket was replaced', async () => {
    const { server, client, closeServer } = await pair();
    server.pause();
    client.end('last');
    const reads = reusedReadsOf(server)!;
    let text = '';
    for (let v = await reads.take(); v !== null; v = await reads.take()) text += v.toString();
    expect(text).toBe('last');
    server.destroy();
    await closeServer();
  });
});
