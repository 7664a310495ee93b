import type { DeviceLinkConnection } from '../devicelink.js';

/**
 * Memory a handler reuses on every request of one connection, made on its first request. The DL loop handles one
 * request at a time, so a handler has it to itself while it runs; allocating it per request instead left large
 * buffers for the garbage collector (freed only every few dozen MB, so they showed in the peak RSS).
 */
export function perConnection<T extends object>(make: () => T): (dl: DeviceLinkConnection) => T {
  const made = new WeakMap<DeviceLinkConnection, T>();
  return (dl) => {
    let value = made.get(dl);
    if (value === undefined) {
      value = make();
      made.set(dl, value);
    }
    return value;
  };
}
