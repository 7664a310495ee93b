// Sink host: measures how fast the simulated iPhone can SERVE a backup. It does the lockdown session (with the
// engine's lockdown layer), the DeviceLink version exchange, Hello and a Backup request with the protocols/ codecs,
// answers every device request with success without touching the disk, and discards the upload stream. Run as its
// own process (`node dist/bench/sink.js UDID`, USBMUXD_SOCKET_ADDRESS set); prints one JSON line:
// { files, bytes, seconds } where seconds runs from the Backup request to the device's final result.
import type { Duplex } from 'node:stream';
import {
  DL_EMPTY,
  DLMessageDecoder,
  DLName,
  dlDisconnect,
  dlMessageName,
  dlProcessMessage,
  dlStatusResponse,
  dlVersionsOk,
  encodeDLMessage,
  encodeErrorBlock,
  encodeStreamName,
  encodeStreamTerminator,
  FileBlockCode,
  PlistReal,
  readProcessMessage,
  readVersionExchange,
  UploadStreamDecoder,
  type DLMessage,
  type PlistDict,
} from '../protocols/index.js';
import { connect } from '../src/lockdown/device.js';

export interface SinkResult {
  files: number;
  bytes: number;
  seconds: number;
  errorCode: number;
}

/** Pulls chunks from a stream; bytes a decoder did not consume are carried over to the next reader. */
class ChunkSource {
  private readonly it: AsyncIterator<Buffer>;
  carry: Buffer | undefined;
  constructor(stream: Duplex) {
    this.it = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }
  async next(): Promise<Buffer> {
    if (this.carry && this.carry.length > 0) {
      const c = this.carry;
      this.carry = undefined;
      return c;
    }
    const r = await this.it.next();
    if (r.done) throw new Error('the device closed the mobilebackup2 connection');
    return r.value;
  }
}

async function receive(src: ChunkSource): Promise<DLMessage> {
  const dec = new DLMessageDecoder({ maxFrameBytes: 64 * 1024 * 1024 });
  for (;;) {
    const got = dec.push(await src.next(), 1);
    if (got.length > 0) {
      const rest = dec.rest();
      src.carry = rest.length > 0 ? rest : undefined;
      return got[0] as DLMessage;
    }
  }
}

function write(stream: Duplex, buf: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(buf, (err) => (err ? reject(err) : resolve()));
  });
}

/** Reads one upload stream to its terminator, counting files and data bytes and keeping none of them. */
async function discardUpload(src: ChunkSource, counts: { files: number; bytes: number }): Promise<void> {
  const dec = new UploadStreamDecoder({ maxBlockBytes: 64 * 1024 * 1024 });
  for (;;) {
    for (const ev of dec.push(await src.next())) {
      if (ev.type === 'data') counts.bytes += ev.data.length;
      else if (ev.type === 'file-end') counts.files++;
    }
    if (dec.done) {
      const rest = dec.rest();
      src.carry = rest.length > 0 ? rest : undefined;
      return;
    }
  }
}

/** Answers a DownloadFiles request as a host with an empty backup folder: every file is missing. */
async function answerDownload(stream: Duplex, paths: string[]): Promise<void> {
  const parts: Buffer[] = [];
  const failed: PlistDict = {};
  for (const p of paths) {
    parts.push(encodeStreamName(p), encodeErrorBlock(FileBlockCode.ErrorLocal, 'No such file or directory'));
    failed[p] = { DLFileErrorString: 'No such file or directory', DLFileErrorCode: -6 };
  }
  parts.push(encodeStreamTerminator());
  await write(stream, Buffer.concat(parts));
  const msg = paths.length > 0 ? dlStatusResponse(-13, 'Multi status', failed) : dlStatusResponse(0, undefined, {});
  await write(stream, encodeDLMessage(msg));
}

export async function sinkBackup(udid: string, muxAddress?: string): Promise<SinkResult> {
  const device = await connect(udid, { muxAddress, pairRecordDir: false, label: 'ibackup-bench-sink' });
  try {
    const service = await device.startService('com.apple.mobilebackup2', { escrow: true });
    const stream = service.stream;
    const src = new ChunkSource(stream);
    try {
      const ver = readVersionExchange(await receive(src));
      await write(stream, encodeDLMessage(dlVersionsOk(Math.min(ver.major, 400))));
      if (dlMessageName(await receive(src)) !== DLName.DeviceReady) throw new Error('expected DLMessageDeviceReady');
      await write(stream, encodeDLMessage(dlProcessMessage({ MessageName: 'Hello', SupportedProtocolVersions: [new PlistReal(2.0), new PlistReal(2.1)] })));
      readProcessMessage(await receive(src));
      const started = process.hrtime.bigint();
      await write(stream, encodeDLMessage(dlProcessMessage({ MessageName: 'Backup', TargetIdentifier: udid, SourceIdentifier: udid })));
      const counts = { files: 0, bytes: 0 };
      let errorCode = -1;
      for (;;) {
        const msg = await receive(src);
        const name = dlMessageName(msg);
        if (name === DLName.ProcessMessage) {
          const r = readProcessMessage(msg);
          errorCode = typeof r.ErrorCode === 'number' ? r.ErrorCode : -1;
          break;
        }
        if (name === DLName.Disconnect) break;
        if (name === DLName.UploadFiles) {
          await discardUpload(src, counts);
          await write(stream, encodeDLMessage(dlStatusResponse(0, undefined, {})));
        } else if (name === DLName.DownloadFiles) {
          await answerDownload(stream, (msg[1] as unknown[]).filter((p): p is string => typeof p === 'string'));
        } else if (name === DLName.GetFreeDiskSpace) {
          await write(stream, encodeDLMessage(dlStatusResponse(0, undefined, 1024 ** 4)));
        } else if (name === DLName.CreateDirectory) {
          await write(stream, encodeDLMessage(dlStatusResponse(0, '', DL_EMPTY)));
        } else {
          // MoveItems/RemoveItems/ContentsOfDirectory/CopyItem…: pretend success, nothing kept.
          await write(stream, encodeDLMessage(dlStatusResponse(0, undefined, {})));
        }
      }
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      await write(stream, encodeDLMessage(dlDisconnect())).catch(() => undefined);
      return { ...counts, seconds, errorCode };
    } finally {
      await service.close();
    }
  } finally {
    await device.close();
  }
}

if (process.argv[1]?.endsWith('sink.js')) {
  const udid = process.argv[2];
  if (!udid) {
    process.stderr.write('usage: node dist/bench/sink.js UDID   (USBMUXD_SOCKET_ADDRESS selects the simulator)\n');
    process.exit(2);
  }
  sinkBackup(udid).then(
    (r) => {
      process.stdout.write(`${JSON.stringify(r)}\n`);
      process.exitCode = r.errorCode === 0 ? 0 : 1;
    },
    (err: unknown) => {
      process.stderr.write(`sink: ${String((err as Error)?.stack ?? err)}\n`);
      process.exitCode = 1;
    },
  );
}
