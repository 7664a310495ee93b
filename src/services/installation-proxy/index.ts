// installation_proxy client: Browse (protocol-reference.md §8.2).
import { isPlistDict, type PlistDict } from '../../../protocols/index.js';
import type { ServiceConnection } from '../../lockdown/device.js';
import { IBackupError } from '../../errors.js';
import { PlistConnection, TransportError, resolveTimeouts } from '../../transport/index.js';

export const INSTALLATION_PROXY_SERVICE = 'com.apple.mobile.installation_proxy';

/** Browse installed apps ({ApplicationType:'User', ReturnAttributes:[…]}); resolves when Status is Complete. */
export async function browseApplications(
  conn: ServiceConnection,
  options: { applicationType?: string; returnAttributes?: string[]; signal?: AbortSignal; replyTimeoutMs?: number },
): Promise<PlistDict[]> {
  const pc = new PlistConnection(conn.stream, { what: 'installation_proxy' });
  const clientOptions: PlistDict = { ApplicationType: options.applicationType ?? 'User' };
  if (options.returnAttributes) clientOptions.ReturnAttributes = options.returnAttributes;
  const opts = { timeoutMs: options.replyTimeoutMs ?? resolveTimeouts().serviceReplyMs, signal: options.signal };
  await pc.send({ Command: 'Browse', ClientOptions: clientOptions }, opts);
  const apps: PlistDict[] = [];
  for (;;) {
    const msg = await pc.receive(opts);
    if (!isPlistDict(msg)) throw new TransportError('MALFORMED_REPLY', 'installation_proxy: a reply is not a dictionary');
    if (typeof msg.Error === 'string') {
      throw new IBackupError('INSTALLATION_PROXY_ERROR', `installation_proxy Browse failed: ${msg.Error}${typeof msg.ErrorDescription === 'string' ? ` — ${msg.ErrorDescription}` : ''}`);
    }
    if (Array.isArray(msg.CurrentList)) for (const app of msg.CurrentList) if (isPlistDict(app)) apps.push(app);
    if (msg.Status === 'Complete') return apps;
  }
}
