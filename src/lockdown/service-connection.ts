import type { Duplex } from 'node:stream';
import { layerLogger } from '../log.js';
import { closeStream, enableDirectReadsOnTls, resolveTimeouts, type MuxDevice, type Timeouts, type UsbmuxClient } from '../transport/index.js';
import type { PairRecord } from './pair-record.js';
import type { StartedService } from './lockdown-client.js';
import { upgradeToTls } from './tls.js';

const log = layerLogger('lockdown');

/** A connection to one lockdown service (already TLS-wrapped when the device asked for EnableServiceSSL). */
export interface ServiceConnection {
  readonly name: string;
  readonly stream: Duplex;
  close(): Promise<void>;
}

/** Connects to the port StartService returned, upgrading to TLS (host certificate) when the device asks for it. */
export async function openServiceConnection(
  mux: UsbmuxClient,
  device: MuxDevice,
  started: StartedService,
  record: PairRecord | undefined,
  opts: { signal?: AbortSignal; timeouts?: Partial<Timeouts>; maxTls10?: boolean; tls13Suites?: string } = {},
): Promise<ServiceConnection> {
  const timeouts = resolveTimeouts(opts.timeouts);
  // A plain connection reads into one reused buffer (no allocation per read); a TLS one gets its own below.
  const raw = await mux.connect(device.deviceId, started.port, opts.signal, { directReads: !started.enableServiceSSL });
  raw.on('error', (err) => log.debug({ service: started.service, err: err.message }, 'service socket error'));
  let stream: Duplex = raw;
  let directReads = !started.enableServiceSSL;
  if (started.enableServiceSSL) {
    if (!record) {
      raw.destroy();
      throw new Error('unreachable: service TLS without a pair record');
    }
    const secure = await upgradeToTls(raw, { cert: record.HostCertificate, key: record.HostPrivateKey }, started.service, {
      timeoutMs: timeouts.tlsHandshakeMs,
      signal: opts.signal,
      maxTls10: opts.maxTls10,
      tls13Suites: opts.tls13Suites,
    });
    secure.on('error', (err) => log.debug({ service: started.service, err: err.message }, 'service TLS error'));
    // Decrypted records into one reused buffer too, where this Node allows it (see enableDirectReadsOnTls).
    directReads = enableDirectReadsOnTls(secure);
    stream = secure;
  }
  log.debug({ service: started.service, port: started.port, tls: started.enableServiceSSL, directReads }, 'service connected');
  let closing: Promise<void> | undefined;
  return {
    name: started.service,
    stream,
    close(): Promise<void> {
      closing ??= closeStream(stream).then(() => {
        raw.destroy();
      });
      return closing;
    },
  };
}
