// DLMessageDownloadFiles from the device side: ask the host for files and route each one's bytes to a sink.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { dlDownloadFiles, isPlistDict, type DLStatusResponse } from '../../../protocols/index.js';
import type { SimFileWriter } from '../../types.js';
import type { DeviceLinkConnection } from './devicelink-connection.js';
import { HostGoneError } from './errors.js';

/** Where one downloaded file goes. */
export interface DownloadSink {
  /** `data` may be a view into a reused read buffer: valid until the returned promise settles (copy what is kept). */
  write(data: Buffer): Promise<void> | void;
  end(): Promise<void> | void;
  /** The host could not send the file (or the stream broke off). */
  fail(message: string): Promise<void> | void;
}

export interface DownloadResult {
  status: DLStatusResponse;
  /** path → error text, for files the host could not send. */
  failed: Map<string, string>;
}

/** A sink that writes into a Writable-backed stream consumer (e.g. fs.put), honouring its backpressure. */
export function streamSink(consume: (stream: PassThrough) => Promise<void>): DownloadSink {
  const pass = new PassThrough({ highWaterMark: 256 * 1024 });
  const done = consume(pass);
  done.catch(() => undefined);
  return {
    async write(data) {
      // Copied: the stream keeps it after this call returns.
      if (!pass.write(Buffer.from(data))) await Promise.race([once(pass, 'drain'), done]);
    },
    async end() {
      pass.end();
      await done;
    },
    async fail(message) {
      pass.destroy(new Error(message));
      await done.catch(() => undefined);
    },
  };
}

/** A sink onto a SimFileSystem writer (SimFileSystem.putWriter); `onDone` runs once the entry is stored. */
export function writerSink(writer: SimFileWriter, onDone: () => void): DownloadSink {
  return {
    write: (data) => writer.write(data),
    async end() {
      await writer.end();
      onDone();
    },
    fail: () => writer.abort(),
  };
}

/** Collect a small file in memory (refuses more than `maxBytes`). */
export function memorySink(maxBytes: number, onDone: (data: Buffer) => void): DownloadSink {
  const parts: Buffer[] = [];
  let size = 0;
  return {
    write(data) {
      size += data.length;
      if (size > maxBytes) throw new HostGoneError(`the host sent more than ${maxBytes} bytes for a small file`);
      parts.push(Buffer.from(data));
    },
    end() {
      onDone(Buffer.concat(parts));
    },
    fail() {},
  };
}

/** Stream into a local file. */
export function fileSink(path: string, onDone: () => void): DownloadSink {
  return streamSink(async (pass) => {
    await pipeline(pass, createWriteStream(path, { mode: 0o600 }));
    onDone();
  });
}

const ignore: DownloadSink = { write() {}, end() {}, fail() {} };

/**
 * Send DownloadFiles for `paths`, read the stream into the sinks `sinkFor` gives (undefined → discard), and
 * return the host's status (code −13 "Multi status" lists failed paths in status2).
 */
export async function downloadFiles(
  dl: DeviceLinkConnection,
  paths: string[],
  progress: number,
  sinkFor: (path: string) => DownloadSink | undefined,
): Promise<DownloadResult> {
  await dl.send(dlDownloadFiles(paths, progress));
  const failed = new Map<string, string>();
  let current: { path: string; sink: DownloadSink } | undefined;
  // A sink that fails (e.g. the device cannot store the file) marks the file failed; the stream is still read to
  // its end so the connection stays in sync.
  const guarded = async (fn: (c: { path: string; sink: DownloadSink }) => Promise<void> | void): Promise<void> => {
    const c = current;
    if (!c) return;
    try {
      await fn(c);
    } catch (err) {
      if (err instanceof HostGoneError) throw err;
      failed.set(c.path, (err as Error).message);
      current = undefined;
    }
  };
  try {
    await dl.readDownloadStream(async (ev) => {
      switch (ev.type) {
        case 'file':
          current = { path: ev.path, sink: sinkFor(ev.path) ?? ignore };
          return;
        case 'data':
          await guarded((c) => c.sink.write(ev.data));
          return;
        case 'file-end':
          await guarded((c) => c.sink.end());
          current = undefined;
          return;
        case 'file-error':
          if (current) failed.set(current.path, ev.message);
          await guarded((c) => c.sink.fail(ev.message));
          current = undefined;
          return;
        case 'end':
          return;
      }
    });
  } catch (err) {
    await current?.sink.fail((err as Error).message);
    throw err;
  }
  const status = await dl.receiveStatus();
  if (isPlistDict(status.status2)) {
    for (const [path, info] of Object.entries(status.status2)) {
      if (!failed.has(path)) failed.set(path, isPlistDict(info) && typeof info.DLFileErrorString === 'string' ? info.DLFileErrorString : 'download failed');
    }
  }
  for (const p of paths) if (status.code !== 0 && !failed.has(p) && status.code !== -13) failed.set(p, status.status1 ?? `status ${status.code}`);
  return { status, failed };
}
