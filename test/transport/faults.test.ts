import { afterEach, describe, expect, it } from 'vitest';
import { connect } from '../../src/lockdown/device.js';
import { UsbmuxClient } from '../../src/transport/index.js';
import { CodedError } from '../../protocols/errors.js';
import { startBadPeer, type BadPeer, type Misbehaviour } from './bad-peer.js';
import { expectNoLeaks, handleCounts } from './handles.js';

let peer: BadPeer | undefined;
afterEach(async () => {
  await peer?.close();
  peer = undefined;
});

const timeouts = { muxReplyMs: 400, lockdownReplyMs: 400, tlsHandshakeMs: 400 };

async function expectTypedFailure(mode: Misbehaviour, code: string, message: RegExp, run: (p: BadPeer) => Promise<unknown>): Promise<void> {
  peer = await startBadPeer(mode);
  const baseline = handleCounts();
  const started = Date.now();
  const err = await run(peer).then(
    () => undefined,
    (e: unknown) => e,
  );
  const elapsed = Date.now() - started;
  expect(err, mode).toBeInstanceOf(CodedError);
  expect((err as CodedError).code, `${mode}: ${(err as Error).message}`).toBe(code);
  expect((err as Error).message).toMatch(message);
  expect(elapsed, mode).toBeLessThan(1500);
  await expectNoLeaks(baseline);
  // The peer must see every connection closed (closes travel asynchronously; allow them a moment).
  const end = Date.now() + 2000;
  while (peer.openSockets > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  expect(peer.openSockets, `${mode}: the peer still sees an open connection`).toBe(0);
}

const viaConnect = (p: BadPeer): Promise<unknown> => connect(p.udid, { muxAddress: p.address, pairRecordDir: false, timeouts });
const viaList = (p: BadPeer): Promise<unknown> => new UsbmuxClient({ address: p.address, timeouts }).listDevices();

describe('a misbehaving peer gives a typed error within the timeout and leaves nothing open', () => {
  it('usbmuxd never answers', () => expectTypedFailure('mux-silent', 'TIMEOUT', /usbmuxd ListDevices: no answer within 400 ms/, viaList));
  it('usbmuxd sends an oversized packet', () => expectTypedFailure('mux-oversized', 'MALFORMED_REPLY', /FRAME_TOO_LARGE/, viaList));
  it('usbmuxd sends a malformed plist', () => expectTypedFailure('mux-garbage', 'MALFORMED_REPLY', /PLIST_MALFORMED/, viaList));
  it('lockdownd never answers', () => expectTypedFailure('lockdown-silent', 'TIMEOUT', /lockdownd .*no answer within 400 ms/, viaConnect));
  it('lockdownd sends an oversized frame', () => expectTypedFailure('lockdown-oversized', 'MALFORMED_REPLY', /FRAME_TOO_LARGE/, viaConnect));
  it('lockdownd sends a malformed frame', () => expectTypedFailure('lockdown-garbage', 'MALFORMED_REPLY', /PLIST_MALFORMED/, viaConnect));
  it('lockdownd closes in the middle of a frame', () =>
    expectTypedFailure('lockdown-half-frame', 'CONNECTION_CLOSED', /closed in the middle of a message/, viaConnect));
  it('the device drops the connection mid TLS handshake', () => expectTypedFailure('tls-drop', 'TLS_FAILED', /TLS handshake with lockdownd failed/, viaConnect));
  it('the device never answers the TLS handshake', () =>
    expectTypedFailure('tls-silent', 'TIMEOUT', /TLS handshake with lockdownd: no answer within 400 ms/, viaConnect));
});
