// The device side of lockdown TLS: the device is the TLS server on an already-connected stream. It asks for the
// host's certificate but accepts any (Debian's OpenSSL build presents the root certificate, other clients the
// host certificate) and allows old protocol versions and ciphers (security level 0), as libimobiledevice does.
import type { Duplex } from 'node:stream';
import tls from 'node:tls';

export interface TlsIdentity {
  certPem: string;
  keyPem: string;
}

const contexts = new Map<string, tls.SecureContext>();

function contextFor(id: TlsIdentity): tls.SecureContext {
  const key = id.certPem;
  let ctx = contexts.get(key);
  if (!ctx) {
    ctx = tls.createSecureContext({
      cert: id.certPem,
      key: id.keyPem,
      minVersion: 'TLSv1',
      ciphers: 'DEFAULT:@SECLEVEL=0',
    });
    if (contexts.size > 64) contexts.clear();
    contexts.set(key, ctx);
  }
  return ctx;
}

/** Starts a TLS server handshake on `stream`; read and write the returned socket from now on. */
export function serveTls(stream: Duplex, id: TlsIdentity): tls.TLSSocket {
  const socket = new tls.TLSSocket(stream, {
    isServer: true,
    secureContext: contextFor(id),
    requestCert: true,
    rejectUnauthorized: false,
  });
  // The host may close the raw socket right after its close_notify; that is a normal end, not a failure.
  socket.on('error', () => socket.destroy());
  return socket;
}
