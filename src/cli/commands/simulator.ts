import { startSimulator, type SimDeviceOptions } from '../../../mocks/index.js';
import type { DatasetName } from '../../../mocks/fs/index.js';
import { layerLogger } from '../../log.js';
import type { Command } from '../command.js';

const DATASETS: DatasetName[] = ['empty', 'tiny', 'small', 'photos', 'large', 'many'];

function parseTcp(v: string): { host: string; port: number } | undefined {
  const m = /^(.+):(\d{1,5})$/.exec(v);
  const port = m ? Number(m[2]) : NaN;
  if (!m || !m[1] || port < 0 || port > 65535) return undefined;
  return { host: m[1], port };
}

export const simulatorCommand: Command = {
  name: 'simulator',
  usage:
    'ibackup simulator --socket PATH [--tcp 127.0.0.1:PORT] [--state DIR] [--dataset NAME] [--seed N] [--udid UDID] [--unpaired]',
  options: {
    socket: { type: 'string' },
    tcp: { type: 'string' },
    state: { type: 'string' },
    dataset: { type: 'string' },
    seed: { type: 'string' },
    udid: { type: 'string' },
    unpaired: { type: 'boolean' },
  },
  async run({ values, stdout, stderr, signal }) {
    const socketPath = typeof values.socket === 'string' ? values.socket : undefined;
    const tcp = typeof values.tcp === 'string' ? parseTcp(values.tcp) : undefined;
    if (typeof values.tcp === 'string' && !tcp) {
      stderr.write(`ibackup simulator: --tcp must be HOST:PORT (e.g. 127.0.0.1:27015), got '${values.tcp}'\n`);
      return 2;
    }
    if (!socketPath && !tcp) {
      stderr.write('ibackup simulator: give --socket PATH (and/or --tcp HOST:PORT)\n');
      return 2;
    }
    const dataset = typeof values.dataset === 'string' ? values.dataset : undefined;
    if (dataset !== undefined && !DATASETS.includes(dataset as DatasetName)) {
      stderr.write(`ibackup simulator: unknown dataset '${dataset}' (one of: ${DATASETS.join(', ')})\n`);
      return 2;
    }
    const seed = typeof values.seed === 'string' ? Number(values.seed) : undefined;
    if (seed !== undefined && !Number.isSafeInteger(seed)) {
      stderr.write(`ibackup simulator: --seed must be an integer, got '${String(values.seed)}'\n`);
      return 2;
    }
    const device: SimDeviceOptions = {
      udid: typeof values.udid === 'string' ? values.udid : undefined,
      dataset: dataset as DatasetName | undefined,
      seed,
      paired: values.unpaired !== true,
    };
    if (signal.aborted) return 130;
    const sim = await startSimulator({
      socketPath,
      tcp,
      stateDir: typeof values.state === 'string' ? values.state : undefined,
      devices: [device],
      logger: layerLogger('simulator'),
    });
    const shown = socketPath ? sim.address : `${tcp?.host}:${sim.tcpPort}`;
    stdout.write(`listening on ${shown}\n`);
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener('abort', () => resolve(), { once: true });
    });
    await sim.close();
    return 0;
  },
};
