import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import type { Duplex } from 'node:stream';
import { IBackupError } from '../errors.js';
import { withDeadline, type WaitOptions } from '../transport/index.js';

export interface TlsCredentials {
  cert: Uint8Array;
  key: Uint8Array;
}

/**
 * TLS 1.3 suites in the order offered: AES-128-GCM first (as Go's, BoringSSL's and the browsers' clients do),
 * then OpenSSL's default order. With AES instructions AES-128-GCM costs both ends less CPU per byte than
 * AES-256-GCM (`openssl speed` here: 3.3 vs 2.0 GB/s). A device that follows the client's order, as an OpenSSL
 * server does by default (the simulator does), picks it; one that decides by its own order gets its own choice.
 * Whether an iPhone follows the client's order is not known.
 */
export const TLS13_SUITES = 'TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256';

/**
 * Upgrades an established stream to TLS as the client: presents `creds` (the host certificate), does not verify
 * the device's certificate, accepts TLS 1.0–1.3 with security level 0 so OpenSSL 3 still talks to old iOS.
 * `maxTls10` caps the version at TLS 1.0 (libimobiledevice does this for iOS < 10); `tls13Suites` replaces the TLS 1.3
 * suites offered (default TLS13_SUITES).
 */
export function upgradeToTls(
  stream: Duplex,
  creds: TlsCredentials,
  what: string,
  opts: WaitOptions & { maxTls10?: boolean; tls13Suites?: string } = {},
): Promise<TLSSocket> {
  if (creds.cert.length === 0 || creds.key.length === 0) {
    stream.destroy();
    return Promise.reject(
      new IBackupError('PAIR_RECORD_INVALID', `${what} asks for TLS but the pair record has no host certificate or key`, {
        hint: 'Pair again: `ibackup unpair` then `ibackup pair`.',
      }),
    );
  }
  let tls: TLSSocket | undefined;
  return withDeadline<TLSSocket>(
    `TLS handshake with ${what}`,
    opts,
    (resolve, reject) => {
      const s = tlsConnect({
        socket: stream,
        cert: Buffer.from(creds.cert),
        key: Buffer.from(creds.key),
        rejectUnauthorized: false,
        checkServerIdentity: () => undefined,
        minVersion: 'TLSv1',
        maxVersion: opts.maxTls10 ? 'TLSv1' : 'TLSv1.3',
        // Node reads TLS 1.3 suites (names starting TLS_) from the same list.
        ciphers: `${opts.tls13Suites ?? TLS13_SUITES}:ALL:@SECLEVEL=0`,
      });
      tls = s;
      const onSecure = (): void => resolve(s);
      const onError = (err: Error): void => {
        s.destroy();
        stream.destroy();
        reject(
          new IBackupError('TLS_FAILED', `TLS handshake with ${what} failed: ${err.message}`, {
            cause: err,
            hint: 'The pair record may not match this device: try `ibackup pair` again.',
          }),
        );
      };
      const onClose = (): void => onError(new Error('the connection was closed during the handshake'));
      s.once('secureConnect', onSecure);
      s.once('error', onError);
      s.once('close', onClose);
      return () => {
        s.off('secureConnect', onSecure);
        s.off('error', onError);
        s.off('close', onClose);
      };
    },
    () => {
      tls?.destroy();
      stream.destroy();
    },
  );
}
