// The simulated device's file system: entries in memory (rebuilt from dataset + journal on open), stored file
// content under <stateDir>/files/xx/<fileID>, generated content produced on demand.
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, createReadStream, createWriteStream, fstatSync, mkdirSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { mkdir, rename, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CodedError } from '../../protocols/errors.js';
import type { RestoreContent, SimFileEntry, SimFileSystem, SimFileWriter } from '../types.js';
import { buildDataset, type DatasetName } from '../datasets/index.js';
import { fileId, fileIdPath } from '../manifest/file-id.js';
import { generatedChunks, openGenerated } from './generated-content.js';
import { Journal, type ContentRef, type JournalRecord } from './journal.js';

interface Rec {
  entry: SimFileEntry;
  content?: ContentRef;
}

const keyOf = (domain: string, relativePath: string): string => `${domain}\0${relativePath}`;

/**
 * A stored file read synchronously, a fresh buffer per piece (the pieces are queued on a socket): the page cache
 * answers at once, where a read stream made a thread-pool round trip per 64 KiB and capped what the device sent.
 */
function* storedChunks(path: string, maxChunk = 1024 * 1024): Generator<Buffer> {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    for (let pos = 0; pos < size; ) {
      const buf = Buffer.allocUnsafe(Math.min(maxChunk, size - pos));
      const n = readSync(fd, buf, 0, buf.length, pos);
      if (n === 0) return;
      pos += n;
      yield n === buf.length ? buf : buf.subarray(0, n);
    }
  } finally {
    closeSync(fd);
  }
}

function checkEntry(e: SimFileEntry): void {
  const bad =
    e.domain === '' ||
    e.relativePath.startsWith('/') ||
    e.relativePath.split('/').some((s) => s === '..') ||
    e.relativePath.includes('\0') ||
    !['file', 'dir', 'symlink'].includes(e.type);
  if (bad) throw new CodedError('SIM_FS_BAD_ENTRY', `invalid entry ${JSON.stringify(e.domain)} ${JSON.stringify(e.relativePath)}`);
}

export class DiskSimFileSystem implements SimFileSystem {
  private readonly recs = new Map<string, Rec>();
  private sorted: SimFileEntry[] | undefined;
  private readonly journal: Journal;

  constructor(readonly stateDir: string) {
    this.journal = new Journal(stateDir);
  }

  private get filesDir(): string {
    return join(this.stateDir, 'files');
  }

  /** Load the existing state, or create it from `dataset`/`seed` when the directory is new. */
  async load(dataset: DatasetName, seed: number): Promise<void> {
    await mkdir(this.filesDir, { recursive: true });
    let state = this.journal.readState();
    if (!state) {
      state = { format: 1, dataset, seed };
      this.journal.reset(state);
    }
    for (const item of buildDataset(state.dataset, state.seed)) {
      const content: ContentRef = item.content ? { kind: 'gen', ...item.content } : { kind: 'empty' };
      this.recs.set(keyOf(item.entry.domain, item.entry.relativePath), item.entry.type === 'file' ? { entry: item.entry, content } : { entry: item.entry });
    }
    for (const r of this.journal.records()) this.apply(r);
  }

  private apply(r: JournalRecord): void {
    this.sorted = undefined;
    if (r.op === 'put') {
      this.recs.set(keyOf(r.e.domain, r.e.relativePath), r.c ? { entry: r.e, content: r.c } : { entry: r.e });
      return;
    }
    for (const k of this.keysUnder(r.d, r.p)) this.recs.delete(k);
  }

  private keysUnder(domain: string, relativePath: string): string[] {
    const exact = keyOf(domain, relativePath);
    const prefix = relativePath === '' ? `${domain}\0` : `${exact}/`;
    return [...this.recs.keys()].filter((k) => k === exact || k.startsWith(prefix));
  }

  entries(): SimFileEntry[] {
    if (!this.sorted) {
      this.sorted = [...this.recs.values()]
        .map((r) => r.entry)
        .sort((a, b) => (a.domain < b.domain ? -1 : a.domain > b.domain ? 1 : a.relativePath < b.relativePath ? -1 : a.relativePath > b.relativePath ? 1 : 0));
    }
    return this.sorted.map((e) => ({ ...e }));
  }

  get(domain: string, relativePath: string): SimFileEntry | undefined {
    const r = this.recs.get(keyOf(domain, relativePath));
    return r ? { ...r.entry } : undefined;
  }

  /** A short stable identity of a file's current content (changes whenever the content may have changed). */
  contentId(domain: string, relativePath: string): string | undefined {
    const c = this.recs.get(keyOf(domain, relativePath))?.content;
    if (!c) return undefined;
    if (c.kind === 'gen') return `gen:${c.seed}:${c.key}`;
    if (c.kind === 'disk' || c.kind === 'hashed') return `sha1:${c.sha1}`;
    return c.kind === 'sized' ? `received:${c.id}` : 'empty';
  }

  openRead(entry: SimFileEntry): Readable {
    const r = this.recs.get(keyOf(entry.domain, entry.relativePath));
    if (!r || r.entry.type !== 'file') {
      throw new CodedError('SIM_FS_NOT_FOUND', `no file ${entry.domain}/${entry.relativePath} on the simulated device`);
    }
    const c = r.content ?? { kind: 'empty' };
    if (c.kind === 'gen') return openGenerated(c, r.entry.size);
    if (c.kind === 'disk') return createReadStream(this.storedPath(r.entry), { highWaterMark: 64 * 1024 });
    if (c.kind === 'hashed' || c.kind === 'sized') {
      const err = new CodedError(
        'SIM_CONTENT_NOT_KEPT',
        c.kind === 'hashed'
          ? `${entry.domain}/${entry.relativePath} was restored with restoreContent 'hash': only its SHA-1 (${c.sha1}) was kept`
          : `${entry.domain}/${entry.relativePath} was restored with restoreContent 'size': only its size (${r.entry.size} bytes) was kept`,
      );
      return new Readable({
        read() {
          this.destroy(err);
        },
      });
    }
    return Readable.from([]);
  }

  contentChunks(entry: SimFileEntry, maxChunk?: number): Iterable<Buffer> | undefined {
    const r = this.recs.get(keyOf(entry.domain, entry.relativePath));
    if (!r || r.entry.type !== 'file') {
      throw new CodedError('SIM_FS_NOT_FOUND', `no file ${entry.domain}/${entry.relativePath} on the simulated device`);
    }
    const c = r.content ?? { kind: 'empty' };
    if (c.kind === 'gen') return generatedChunks(c, r.entry.size, maxChunk);
    if (c.kind === 'empty') return [];
    if (c.kind === 'disk') return storedChunks(this.storedPath(r.entry), maxChunk);
    return undefined;
  }

  private storedPath(e: SimFileEntry): string {
    return join(this.filesDir, fileIdPath(fileId(e.domain, e.relativePath)));
  }

  putWriter(entry: SimFileEntry, opts: { content?: RestoreContent } = {}): SimFileWriter {
    checkEntry(entry);
    if (entry.type !== 'file') throw new CodedError('SIM_FS_WRITE', `putWriter takes files only (${entry.domain}/${entry.relativePath})`);
    if (opts.content === 'hash' || opts.content === 'size') return this.recordOnlyWriter(entry, opts.content);
    const final = this.storedPath(entry);
    const tmp = join(this.filesDir, `.tmp-${randomBytes(6).toString('hex')}`);
    const failed = (err: unknown): CodedError =>
      new CodedError('SIM_FS_WRITE', `could not store ${entry.domain}/${entry.relativePath}: ${(err as Error).message}`, { cause: err });
    let fd: number | undefined;
    try {
      mkdirSync(join(final, '..'), { recursive: true });
      fd = openSync(tmp, 'w', 0o600);
    } catch (err) {
      throw failed(err);
    }
    const hash = createHash('sha1');
    let size = 0;
    // Pieces are copied into one buffer and written synchronously a MiB at a time: far cheaper than a stream
    // pipeline and an asynchronous write per 32 KiB block. Copied, because a piece may be a view into a reused
    // socket read buffer.
    const staging = Buffer.allocUnsafe(1024 * 1024);
    let used = 0;
    const flush = (): void => {
      for (let at = 0; at < used; ) at += writeSync(fd!, staging, at, used - at);
      used = 0;
    };
    const close = (): void => {
      if (fd === undefined) return;
      const f = fd;
      fd = undefined;
      closeSync(f);
    };
    const abort = (): void => {
      try {
        close();
      } catch {
        // already closed
      }
      try {
        unlinkSync(tmp);
      } catch {
        // already gone
      }
    };
    return {
      write: (data) => {
        if (fd === undefined) throw failed(new Error('the writer is closed'));
        hash.update(data);
        size += data.length;
        try {
          for (let at = 0; at < data.length; ) {
            const n = data.copy(staging, used, at);
            used += n;
            at += n;
            if (used === staging.length) flush();
          }
        } catch (err) {
          abort();
          throw failed(err);
        }
      },
      end: async () => {
        if (fd === undefined) throw failed(new Error('the writer is closed'));
        try {
          flush();
          close();
          if (size === 0) unlinkSync(tmp);
          else await rename(tmp, final);
        } catch (err) {
          abort();
          throw failed(err);
        }
        const e: SimFileEntry = { ...entry, size };
        delete e.target;
        this.record(e, size === 0 ? { kind: 'empty' } : { kind: 'disk', sha1: hash.digest('hex') });
        if (size === 0) await unlink(final).catch(() => undefined);
      },
      abort,
    };
  }

  /**
   * putWriter with content 'hash' or 'size': the entry records the size (and for 'hash' the SHA-1) of what
   * arrived; nothing touches the disk, and with 'size' the bytes are not even read.
   */
  private recordOnlyWriter(entry: SimFileEntry, content: 'hash' | 'size'): SimFileWriter {
    const hash = content === 'hash' ? createHash('sha1') : undefined;
    let size = 0;
    let open = true;
    return {
      write: (data) => {
        if (!open) throw new CodedError('SIM_FS_WRITE', `the writer of ${entry.domain}/${entry.relativePath} is closed`);
        hash?.update(data);
        size += data.length;
      },
      end: async () => {
        if (!open) throw new CodedError('SIM_FS_WRITE', `the writer of ${entry.domain}/${entry.relativePath} is closed`);
        open = false;
        const e: SimFileEntry = { ...entry, size };
        delete e.target;
        const old = this.recs.get(keyOf(entry.domain, entry.relativePath));
        if (old?.content?.kind === 'disk') await unlink(this.storedPath(e)).catch(() => undefined);
        if (size === 0) this.record(e, { kind: 'empty' });
        else this.record(e, hash ? { kind: 'hashed', sha1: hash.digest('hex') } : { kind: 'sized', id: randomBytes(8).toString('hex') });
      },
      abort: () => {
        open = false;
      },
    };
  }

  private record(e: SimFileEntry, content: ContentRef | undefined): void {
    const rec: JournalRecord = content ? { op: 'put', e, c: content } : { op: 'put', e };
    this.journal.append(rec);
    this.apply(rec);
  }

  async put(entry: SimFileEntry, data?: Readable): Promise<void> {
    checkEntry(entry);
    const key = keyOf(entry.domain, entry.relativePath);
    const old = this.recs.get(key);
    const e: SimFileEntry = { ...entry };
    if (e.type !== 'symlink') delete e.target;
    let content: ContentRef | undefined;
    if (e.type === 'file') {
      if (data) {
        const { sha1, size } = await this.store(e, data);
        e.size = size;
        content = size === 0 ? { kind: 'empty' } : { kind: 'disk', sha1 };
        if (size === 0) await unlink(this.storedPath(e)).catch(() => undefined);
      } else if (old?.entry.type === 'file' && old.content) {
        content = old.content;
        e.size = old.entry.size;
      } else {
        content = { kind: 'empty' };
        e.size = 0;
      }
    } else {
      data?.destroy();
      e.size = 0;
      if (old?.content?.kind === 'disk') await unlink(this.storedPath(e)).catch(() => undefined);
    }
    this.record(e, content);
  }

  async putGenerated(entry: SimFileEntry, content: { seed: number; key: string }): Promise<void> {
    checkEntry(entry);
    if (entry.type !== 'file') throw new CodedError('SIM_FS_WRITE', `putGenerated takes files only (${entry.domain}/${entry.relativePath})`);
    if (!Number.isSafeInteger(entry.size) || entry.size < 0) {
      throw new CodedError('SIM_FS_BAD_ENTRY', `invalid size ${entry.size} for ${entry.domain}/${entry.relativePath}`);
    }
    const e: SimFileEntry = { ...entry };
    delete e.target;
    const old = this.recs.get(keyOf(entry.domain, entry.relativePath));
    if (old?.content?.kind === 'disk') await unlink(this.storedPath(e)).catch(() => undefined);
    this.record(e, e.size === 0 ? { kind: 'empty' } : { kind: 'gen', seed: content.seed, key: content.key });
  }

  private async store(e: SimFileEntry, data: Readable): Promise<{ sha1: string; size: number }> {
    const final = this.storedPath(e);
    await mkdir(join(final, '..'), { recursive: true });
    const tmp = join(this.filesDir, `.tmp-${randomBytes(6).toString('hex')}`);
    const hash = createHash('sha1');
    let size = 0;
    const tap = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        size += chunk.length;
        cb(null, chunk);
      },
    });
    try {
      await pipeline(data, tap, createWriteStream(tmp));
      await rename(tmp, final);
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw new CodedError('SIM_FS_WRITE', `could not store ${e.domain}/${e.relativePath}: ${(err as Error).message}`, { cause: err });
    }
    return { sha1: hash.digest('hex'), size };
  }

  async remove(domain: string, relativePath: string): Promise<void> {
    const keys = this.keysUnder(domain, relativePath);
    if (keys.length === 0) return;
    for (const k of keys) {
      const r = this.recs.get(k);
      if (r?.content?.kind === 'disk') await unlink(this.storedPath(r.entry)).catch(() => undefined);
    }
    const rec: JournalRecord = { op: 'rm', d: domain, p: relativePath };
    this.journal.append(rec);
    this.apply(rec);
  }

  async wipe(): Promise<void> {
    const state = this.journal.readState();
    await rm(this.filesDir, { recursive: true, force: true });
    await mkdir(this.filesDir, { recursive: true });
    this.journal.reset({ format: 1, dataset: 'empty', seed: state?.seed ?? 1 });
    this.recs.clear();
    this.sorted = undefined;
  }
}
