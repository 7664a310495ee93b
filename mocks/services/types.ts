import type { Duplex } from 'node:stream';
import type { SimulatedDevice } from '../device/sim-device.js';

/** A service of the simulated device that needs the simulator's own device internals (not just SimDevice). */
export type DeviceServiceHandler = (conn: Duplex, device: SimulatedDevice) => void;
