import { describe, expect, it } from 'vitest';
import { defaultMuxAddress, formatMuxAddress, parseMuxAddress, resolveMuxAddress } from '../../src/transport/mux-address.js';
import { TransportError } from '../../src/transport/errors.js';

describe('usbmuxd address resolution', () => {
  it('parses the forms libusbmuxd accepts, plus a bare path', () => {
    expect(parseMuxAddress('UNIX:/tmp/mux.sock')).toEqual({ kind: 'unix', path: '/tmp/mux.sock' });
    expect(parseMuxAddress('unix:/tmp/a')).toEqual({ kind: 'unix', path: '/tmp/a' });
    expect(parseMuxAddress('/var/run/usbmuxd')).toEqual({ kind: 'unix', path: '/var/run/usbmuxd' });
    expect(parseMuxAddress('./rel.sock')).toEqual({ kind: 'unix', path: './rel.sock' });
    expect(parseMuxAddress('127.0.0.1:27015')).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 27015 });
    expect(parseMuxAddress('localhost:1')).toEqual({ kind: 'tcp', host: 'localhost', port: 1 });
    expect(parseMuxAddress('[::1]:27999')).toEqual({ kind: 'tcp', host: '::1', port: 27999 });
  });

  it('rejects malformed addresses with a typed error naming the accepted forms', () => {
    for (const bad of ['', 'UNIX:', 'host', 'host:', 'host:0', 'host:65536', 'host:12x', '::1:80', '[nothex]:80', ':80']) {
      let err: unknown;
      try {
        parseMuxAddress(bad);
      } catch (e) {
        err = e;
      }
      expect(err, bad).toBeInstanceOf(TransportError);
      expect((err as TransportError).code).toBe('MUX_ADDRESS_INVALID');
      expect((err as TransportError).hint).toContain('UNIX:/path');
    }
  });

  it('uses the explicit address, then USBMUXD_SOCKET_ADDRESS, then the platform default', () => {
    expect(resolveMuxAddress('1.2.3.4:5', { USBMUXD_SOCKET_ADDRESS: 'UNIX:/x' })).toEqual({ kind: 'tcp', host: '1.2.3.4', port: 5 });
    expect(resolveMuxAddress(undefined, { USBMUXD_SOCKET_ADDRESS: 'UNIX:/x' })).toEqual({ kind: 'unix', path: '/x' });
    expect(resolveMuxAddress(undefined, {})).toEqual(defaultMuxAddress());
    expect(defaultMuxAddress('linux')).toEqual({ kind: 'unix', path: '/var/run/usbmuxd' });
    expect(defaultMuxAddress('darwin')).toEqual({ kind: 'unix', path: '/var/run/usbmuxd' });
    expect(defaultMuxAddress('win32')).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 27015 });
    expect(formatMuxAddress({ kind: 'tcp', host: '::1', port: 9 })).toBe('[::1]:9');
    expect(formatMuxAddress({ kind: 'unix', path: '/s' })).toBe('UNIX:/s');
  });
});
