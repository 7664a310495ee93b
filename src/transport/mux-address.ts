import { isIP } from 'node:net';
import { TransportError } from './errors.js';

/** Where usbmuxd listens: a unix socket path or a TCP host:port. */
export type MuxAddress = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number };

export const DEFAULT_UNIX_SOCKET = '/var/run/usbmuxd';
export const DEFAULT_TCP_ADDRESS: MuxAddress = Object.freeze({ kind: 'tcp', host: '127.0.0.1', port: 27015 }) as MuxAddress;

/** The platform default, as libusbmuxd uses it: TCP 127.0.0.1:27015 on Windows, /var/run/usbmuxd elsewhere. */
export function defaultMuxAddress(platform: NodeJS.Platform = process.platform): MuxAddress {
  return platform === 'win32' || (platform as string) === 'cygwin'
    ? { ...DEFAULT_TCP_ADDRESS }
    : { kind: 'unix', path: DEFAULT_UNIX_SOCKET };
}

/**
 * Parses an address in the forms libusbmuxd accepts in USBMUXD_SOCKET_ADDRESS — `UNIX:/path`, `host:port`,
 * `[ipv6]:port` — and, unlike libusbmuxd (which silently ignores it), a bare path (`/path` or `./path`).
 * Throws MUX_ADDRESS_INVALID with the accepted forms otherwise.
 */
export function parseMuxAddress(value: string): MuxAddress {
  const v = value.trim();
  const invalid = (why: string): TransportError =>
    new TransportError('MUX_ADDRESS_INVALID', `invalid usbmuxd address '${value}': ${why}`, {
      hint: "Use 'UNIX:/path/to/socket', '/path/to/socket', 'host:port' or '[ipv6]:port'.",
    });
  if (v === '') throw invalid('empty');
  if (/^unix:/i.test(v)) {
    const path = v.slice(5);
    if (path === '') throw invalid('no path after UNIX:');
    return { kind: 'unix', path };
  }
  if (v.startsWith('/') || v.startsWith('./') || v.startsWith('../') || v.startsWith('~')) return { kind: 'unix', path: v };
  let host: string;
  let portText: string;
  const bracket = /^\[([^\]]+)\]:(.*)$/.exec(v);
  if (bracket) {
    host = bracket[1] as string;
    portText = bracket[2] as string;
    if (isIP(host) !== 6) throw invalid('not an IPv6 address in brackets');
  } else {
    const colon = v.lastIndexOf(':');
    if (colon <= 0) throw invalid('expected a path or host:port');
    host = v.slice(0, colon);
    portText = v.slice(colon + 1);
    if (host.includes(':')) throw invalid('write IPv6 addresses as [addr]:port');
  }
  if (!/^\d+$/.test(portText)) throw invalid('the port is not a number');
  const port = Number(portText);
  if (port < 1 || port > 65535) throw invalid('the port must be 1–65535');
  return { kind: 'tcp', host, port };
}

/** The address to use: explicit option, else USBMUXD_SOCKET_ADDRESS, else the platform default. */
export function resolveMuxAddress(explicit?: string | MuxAddress, env: NodeJS.ProcessEnv = process.env): MuxAddress {
  if (explicit !== undefined && typeof explicit !== 'string') return explicit;
  if (explicit !== undefined && explicit.trim() !== '') return parseMuxAddress(explicit);
  const fromEnv = env.USBMUXD_SOCKET_ADDRESS;
  if (fromEnv !== undefined && fromEnv.trim() !== '') return parseMuxAddress(fromEnv);
  return defaultMuxAddress();
}

export function formatMuxAddress(a: MuxAddress): string {
  if (a.kind === 'unix') return `UNIX:${a.path}`;
  return isIP(a.host) === 6 ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}
