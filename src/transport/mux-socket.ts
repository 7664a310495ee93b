import { createConnection, type NetConnectOpts, type Socket } from 'node:net';
import { connectWithDirectReads } from './direct-reads.js';
import { TransportError } from './errors.js';
import { withDeadline, type WaitOptions } from './deadline.js';
import { formatMuxAddress, type MuxAddress } from './mux-address.js';

const NOT_RUNNING_CODES = new Set(['ENOENT', 'ECONNREFUSED', 'ENOTSOCK', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * Opens a fresh connection to usbmuxd. Rejects with MUX_NOT_RUNNING, TIMEOUT or ABORTED. `directReads`: the
 * socket reuses one receive buffer (direct-reads.ts), for a connection that will carry bulk data.
 */
export function openMuxSocket(address: MuxAddress, opts: WaitOptions & { directReads?: boolean } = {}): Promise<Socket> {
  const where = formatMuxAddress(address);
  let socket: Socket | undefined;
  return withDeadline<Socket>(
    `connecting to usbmuxd at ${where}`,
    opts,
    (resolve, reject) => {
      const target: NetConnectOpts = address.kind === 'unix' ? { path: address.path } : { host: address.host, port: address.port };
      const s = opts.directReads === true ? connectWithDirectReads(target) : createConnection(target);
      socket = s;
      const onConnect = (): void => resolve(s);
      const onError = (err: NodeJS.ErrnoException): void => {
        s.destroy();
        reject(muxConnectError(where, err));
      };
      s.once('connect', onConnect);
      s.once('error', onError);
      return () => {
        s.off('connect', onConnect);
        s.off('error', onError);
      };
    },
    () => socket?.destroy(),
  );
}

function muxConnectError(where: string, err: NodeJS.ErrnoException): TransportError {
  if (err.code === 'EACCES' || err.code === 'EPERM') {
    return new TransportError('MUX_NOT_RUNNING', `cannot open the usbmuxd socket at ${where}: permission denied`, {
      cause: err,
      hint: 'Run as a user allowed to use usbmuxd (e.g. in the plugdev group), or set USBMUXD_SOCKET_ADDRESS.',
    });
  }
  const known = err.code !== undefined && NOT_RUNNING_CODES.has(err.code);
  return new TransportError(
    'MUX_NOT_RUNNING',
    `no usbmuxd running at ${where} — is it installed/started?${known ? '' : ` (${err.message})`}`,
    {
      cause: err,
      hint: 'Install and start usbmuxd (Linux: `sudo systemctl start usbmuxd`; macOS/Windows: install iTunes/Apple Devices), plug the device in, or point USBMUXD_SOCKET_ADDRESS at a running usbmuxd.',
    },
  );
}
