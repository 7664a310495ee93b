import { getEventListeners } from 'node:events';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ChunkReader } from '../../src/services/mobilebackup2/chunk-reader.js';

/** Lets the stream deliver what was written ('data' events run on later ticks). */
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('ChunkReader waiting with an abort signal', () => {
  it('delivers chunk after chunk with one abort listener, and an abort still ends the wait', async () => {
    const stream = new PassThrough();
    const reader = new ChunkReader(stream);
    const ac = new AbortController();
    for (let i = 0; i < 50; i++) {
      const next = reader.next(ac.signal);
      stream.write(Buffer.from([i]));
      expect([...(await next)!]).toEqual([i]);
      // The listener stays between waits instead of being added and removed per chunk — but only one.
      expect(getEventListeners(ac.signal, 'abort')).toHaveLength(1);
    }
    const waiting = reader.next(ac.signal);
    ac.abort(new Error('Ctrl-C'));
    await expect(waiting).rejects.toThrow('Ctrl-C');
    await expect(reader.next(ac.signal)).rejects.toThrow('Ctrl-C');
  });

  it('moves its listener to a new signal and lets go of it when the stream ends', async () => {
    const stream = new PassThrough();
    const reader = new ChunkReader(stream);
    const first = new AbortController();
    const second = new AbortController();
    const a = reader.next(first.signal);
    stream.write(Buffer.from('a'));
    await a;
    const b = reader.next(second.signal);
    expect(getEventListeners(first.signal, 'abort')).toHaveLength(0);
    expect(getEventListeners(second.signal, 'abort')).toHaveLength(1);
    // Aborting the signal no longer waited on changes nothing.
    first.abort(new Error('old signal'));
    stream.write(Buffer.from('b'));
    expect((await b)!.toString()).toBe('b');
    const end = reader.next(second.signal);
    stream.end();
    expect(await end).toBeNull();
    await tick();
    expect(getEventListeners(second.signal, 'abort')).toHaveLength(0);
  });
});
