// The passcode prompt some iOS versions show when a backup starts (fault `passcodeTimeoutMs`).
// Tests "type" the passcode with enterPasscode(device) while the prompt is shown.
import type { SimDevice } from '../../types.js';

export const PASSCODE_PRESENTED = 'com.apple.LocalAuthentication.ui.presented';
export const PASSCODE_DISMISSED = 'com.apple.LocalAuthentication.ui.dismissed';

const waiting = new WeakMap<SimDevice, Set<() => void>>();

/** Enter the passcode on the device's screen. Returns false if no prompt was shown. */
export function enterPasscode(device: SimDevice): boolean {
  const set = waiting.get(device);
  if (!set || set.size === 0) return false;
  for (const resolve of [...set]) resolve();
  return true;
}

/** True while the device shows the passcode prompt. */
export function isPasscodePromptShown(device: SimDevice): boolean {
  return (waiting.get(device)?.size ?? 0) > 0;
}

/**
 * Show the prompt and wait up to `ms` for enterPasscode(). Resolves true if entered, false on time-out; rejects
 * if `signal` aborts (the host went away). No timer survives the call.
 */
export function askForPasscode(device: SimDevice, ms: number, signal: AbortSignal): Promise<boolean> {
  device.postNotification(PASSCODE_PRESENTED);
  let set = waiting.get(device);
  if (!set) waiting.set(device, (set = new Set()));
  const registry = set;
  return new Promise<boolean>((resolve, reject) => {
    const finish = (entered: boolean | Error) => {
      clearTimeout(timer);
      registry.delete(onEntered);
      signal.removeEventListener('abort', onAbort);
      if (entered instanceof Error) return reject(entered);
      device.postNotification(PASSCODE_DISMISSED);
      resolve(entered);
    };
    const onEntered = () => finish(true);
    const onAbort = () => finish(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    const timer = setTimeout(() => finish(false), ms);
    registry.add(onEntered);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
