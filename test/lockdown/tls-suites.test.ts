// Which TLS suite the host's lockdown/service TLS ends up with: it offers AES-128-GCM first, and still agrees on
// whatever else a device allows.
import type { TlsOptions } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { hostTlsPair } from '../helpers/host-tls-pair.js';

/** Connects the host's upgradeToTls to a TLS server with `opts`; returns what each side agreed on. */
async function negotiate(opts: TlsOptions): Promise<{ host: string | undefined; device: string | undefined; protocol: string | null }> {
  const { host, device } = await hostTlsPair(opts);
  return { host: host.getCipher().standardName, device: device.getCipher().standardName, protocol: host.getProtocol() };
}

describe('TLS suites offered by the host', () => {
  it('a device that follows the client order (an OpenSSL server by default, like the simulator) agrees on AES-128-GCM', async () => {
    expect(await negotiate({ honorCipherOrder: false })).toEqual({ host: 'TLS_AES_128_GCM_SHA256', device: 'TLS_AES_128_GCM_SHA256', protocol: 'TLSv1.3' });
  });

  it('a device that decides itself, or allows only AES-256-GCM or ChaCha20, still gets its choice', async () => {
    expect((await negotiate({})).host).toBe('TLS_AES_256_GCM_SHA384'); // Node's tls.Server: its own order unless told
    const ownOrder = 'TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256';
    expect((await negotiate({ ciphers: `${ownOrder}:DEFAULT`, honorCipherOrder: true })).host).toBe('TLS_CHACHA20_POLY1305_SHA256');
    expect((await negotiate({ ciphers: 'TLS_AES_256_GCM_SHA384:DEFAULT' })).host).toBe('TLS_AES_256_GCM_SHA384');
    expect((await negotiate({ ciphers: 'TLS_CHACHA20_POLY1305_SHA256:DEFAULT' })).host).toBe('TLS_CHACHA20_POLY1305_SHA256');
  });

  it('a device limited to TLS 1.2 still connects', async () => {
    const r = await negotiate({ maxVersion: 'TLSv1.2' });
    expect(r.protocol).toBe('TLSv1.2');
    expect(r.host).toBe(r.device);
  });
});
