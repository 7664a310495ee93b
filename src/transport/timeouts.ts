/**
 * Timeouts per phase. Real devices can be slow (a phone with a huge library may take minutes to answer a
 * GetValue of the whole domain), so the defaults are generous; every wait is also cancellable with an AbortSignal.
 */
export interface Timeouts {
  /** Opening the usbmuxd socket. */
  muxConnectMs: number;
  /** One usbmuxd request → reply (libusbmuxd uses 5 s; remote daemons may be slower). */
  muxReplyMs: number;
  /** One lockdown request → reply. */
  lockdownReplyMs: number;
  /** A TLS handshake (session or service). */
  tlsHandshakeMs: number;
  /** How long to keep retrying Pair while the Trust dialog is pending. */
  pairingDialogMs: number;
  /** Pause between Pair retries while the Trust dialog is pending. */
  pairingRetryMs: number;
  /** One reply of a service (notification_proxy, AFC, installation_proxy). */
  serviceReplyMs: number;
}

export const DEFAULT_TIMEOUTS: Readonly<Timeouts> = Object.freeze({
  muxConnectMs: 5_000,
  muxReplyMs: 20_000,
  lockdownReplyMs: 180_000,
  tlsHandshakeMs: 60_000,
  pairingDialogMs: 5 * 60_000,
  pairingRetryMs: 1_000,
  serviceReplyMs: 180_000,
});

export function resolveTimeouts(partial?: Partial<Timeouts>): Timeouts {
  const t: Timeouts = { ...DEFAULT_TIMEOUTS };
  if (partial) {
    for (const [k, v] of Object.entries(partial) as [keyof Timeouts, number | undefined][]) {
      if (typeof v === 'number' && Number.isFinite(v) && v > 0) t[k] = v;
    }
  }
  return t;
}
