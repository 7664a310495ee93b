// Direct reads on a TLS socket made over an existing stream (enableDirectReadsOnTls): decrypted records land in one
// reused buffer, and a sink that asks to stop is not handed another view before it resumes — though TLS goes on
// handing over the records it already decrypted from the last socket read.
import { describe, expect, it } from 'vitest';
import { directReadsOf, enableDirectReadsOnTls } from '../../src/transport/index.js';
import { hostTlsPair as tlsPair } from '../helpers/host-tls-pair.js';

function pattern(n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 197 + (i >> 14) * 11) & 0xff;
  return b;
}

describe('direct reads on a TLS socket', () => {
  it('reads as usual until attached, then hands decrypted bytes in order, one view at a time, through one buffer', async () => {
    const { host, device } = await tlsPair();
    expect(enableDirectReadsOnTls(host)).toBe(true);
    expect(enableDirectReadsOnTls(host)).toBe(false); // already set: nothing changes
    const direct = directReadsOf(host)!;
    expect(direct).toBeDefined();

    device.write('hello ');
    await new Promise<void>((r) => host.once('readable', r));
    expect((host.read(6) as Buffer).toString()).toBe('hello '); // an ordinary read before attaching

    const data = pattern(3 * 1024 * 1024 + 777);
    const got: Buffer[] = [];
    const memory = new Set<ArrayBufferLike>();
    let busy = false;
    let overlapped = 0;
    let total = 0;
    const done = new Promise<void>((resolve) => {
      const pending = direct.attach((view) => {
        // Like the backup's raw stream: use the view later, asynchronously, and read nothing meanwhile — the
        // records TLS decrypts in the meantime must not land in the memory the view points into.
        if (busy) overlapped++;
        busy = true;
        memory.add(view.buffer);
        setImmediate(() => {
          got.push(Buffer.from(view));
          total += view.length;
          busy = false;
          if (total >= data.length) resolve();
          else direct.resume();
        });
        return false;
      });
      for (const b of pending) {
        got.push(b);
        total += b.length;
      }
    });
    device.write(data); // one write: every socket read holds several 16 KiB records
    await done;
    expect(overlapped).toBe(0);
    expect(Buffer.concat(got).equals(data)).toBe(true);
    expect(got.length).toBeGreaterThan(100);
    expect(memory.size).toBeLessThan(got.length); // views of the reused buffers, not a new one per record
  });

  it('changes nothing on a socket without a handle (destroyed)', async () => {
    const { host } = await tlsPair();
    host.destroy();
    await new Promise((r) => setImmediate(r));
    expect(enableDirectReadsOnTls(host)).toBe(false);
    expect(directReadsOf(host)).toBeUndefined();
  });
});
