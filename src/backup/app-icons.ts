import { isPlistDict, type PlistDict } from '../../protocols/index.js';
import type { Logger } from '../log.js';
import type { DeviceHandle } from '../lockdown/device.js';
import { PlistConnection, resolveTimeouts } from '../transport/index.js';

export const SPRINGBOARD_SERVICE = 'com.apple.springboardservices';

/**
 * Home-screen icons (springboardservices getIconPNGData) for Info.plist `Applications/<id>/PlaceholderIcon`, as
 * Finder and idevicebackup2 add them. Optional: a device that refuses the service just gets no icons.
 */
export async function fetchAppIcons(
  device: DeviceHandle,
  bundleIds: string[],
  opts: { signal?: AbortSignal; log?: Logger } = {},
): Promise<Record<string, Uint8Array>> {
  const icons: Record<string, Uint8Array> = {};
  if (bundleIds.length === 0) return icons;
  let conn;
  try {
    conn = await device.startService(SPRINGBOARD_SERVICE, { signal: opts.signal });
  } catch (err) {
    opts.signal?.throwIfAborted();
    opts.log?.info({ err: (err as Error).message }, 'no app icons: springboardservices unavailable');
    return icons;
  }
  try {
    const pc = new PlistConnection(conn.stream, { what: 'springboardservices', format: 'binary' });
    const wait = { timeoutMs: Math.min(10_000, resolveTimeouts().serviceReplyMs), signal: opts.signal };
    for (const bundleId of bundleIds) {
      await pc.send({ command: 'getIconPNGData', bundleId } satisfies PlistDict, wait);
      const reply = await pc.receive(wait);
      if (isPlistDict(reply) && reply.pngData instanceof Uint8Array && reply.pngData.length > 0) icons[bundleId] = reply.pngData;
    }
  } catch (err) {
    opts.signal?.throwIfAborted();
    opts.log?.info({ err: (err as Error).message }, 'app icons incomplete');
  } finally {
    await conn.close().catch(() => undefined);
  }
  return icons;
}
