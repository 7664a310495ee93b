/** The simulated iPhone (imports protocols/ only, never src/). */
export * from './types.js';
export { startSimulator, defaultUdid, type Simulator, type StartSimulatorOptions } from './simulator.js';
export { SimulatedDevice, type ServiceGrant } from './device/sim-device.js';
export type { SimDeviceOptions, SimTrustMode } from './device/options.js';
export type { SimLogger } from './logger.js';
export { SERVICES } from './services/registry.js';
export { openSimFileSystem, type OpenSimFileSystemOptions } from './fs/index.js';
export { mutate, DATASET_NAMES, isDatasetName, type DatasetName, type MutationOptions, type MutationResult } from './datasets/index.js';
export { enterPasscode, isPasscodePromptShown, mobilebackup2Stats, type Mobilebackup2Stats } from './services/mobilebackup2/index.js';
