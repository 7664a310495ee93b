// The simulated iPhone of the benchmark, in its OWN process so its CPU is charged to neither tool. Started by
// sim-control.ts with fork(); configured by one JSON argument; answers commands (stats, mutate, wipe, close) over
// the IPC channel. Same simulator as `ibackup simulator`, plus the TLS switches and the mutation API the
// benchmark needs.
import { startSimulator, type SimDeviceOptions, type Simulator } from '../mocks/index.js';
import { mutate } from '../mocks/datasets/index.js';
import type { DatasetName } from '../mocks/fs/index.js';
import { mobilebackup2Stats } from '../mocks/services/mobilebackup2/index.js';

export interface SimServerConfig {
  socketPath: string;
  stateDir: string;
  dataset: DatasetName;
  /** Identical devices (same dataset and seed): one per tool where a tool needs its own device history. */
  devices: number;
  sessionSSL: boolean;
  serviceSSL: boolean;
  seed?: number;
  /** V8 flags for the simulator's Node process (read by sim-control.ts when it forks this script). */
  nodeFlags?: string[];
}

export type SimCommand =
  | { id: number; cmd: 'stats'; udid: string }
  | { id: number; cmd: 'mutate'; udid: string; seed: number; modify: number }
  | { id: number; cmd: 'file-count'; udid: string }
  | { id: number; cmd: 'wipe'; udid: string }
  | { id: number; cmd: 'close' };

export type SimReply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };

export type SimReady = { type: 'ready'; address: string; udids: string[]; pid: number };

async function handle(sim: Simulator, m: SimCommand): Promise<unknown> {
  switch (m.cmd) {
    case 'stats': {
      const s = mobilebackup2Stats(sim.device(m.udid));
      const tlsSuite = sim.device(m.udid).serviceTlsSuites.get('com.apple.mobilebackup2');
      return { backups: s.backups.length, restores: s.restores.length, backup: s.backups.at(-1), restore: s.restores.at(-1), tlsSuite };
    }
    case 'mutate': {
      const r = await mutate(sim.device(m.udid).fs, { seed: m.seed, modify: m.modify });
      return { modified: r.modified.length, bytes: r.modified.reduce((s, e) => s + e.size, 0) };
    }
    case 'file-count': {
      const files = sim.device(m.udid).fs.entries().filter((e) => e.type === 'file');
      return { files: files.length, bytes: files.reduce((s, e) => s + e.size, 0) };
    }
    case 'wipe':
      await sim.device(m.udid).fs.wipe();
      return {};
    case 'close':
      await sim.close();
      return {};
  }
}

async function main(): Promise<void> {
  const cfg = JSON.parse(process.argv[2] ?? '{}') as SimServerConfig;
  const device = (): SimDeviceOptions => ({
    dataset: cfg.dataset,
    seed: cfg.seed ?? 1,
    sessionSSL: cfg.sessionSSL,
    serviceSSL: { 'com.apple.mobilebackup2': cfg.serviceSSL },
    // Restores: the device hashes what it receives instead of writing it to the disk the host reads the backup from.
    restoreContent: 'size',
  });
  const sim = await startSimulator({
    socketPath: cfg.socketPath,
    stateDir: cfg.stateDir,
    devices: Array.from({ length: Math.max(1, cfg.devices) }, device),
  });
  process.on('message', (raw) => {
    const m = raw as SimCommand;
    handle(sim, m).then(
      (result) => {
        process.send?.({ id: m.id, ok: true, result } satisfies SimReply);
        if (m.cmd === 'close') process.disconnect();
      },
      (err: unknown) => process.send?.({ id: m.id, ok: false, error: String((err as Error)?.stack ?? err) } satisfies SimReply),
    );
  });
  process.on('disconnect', () => {
    // The benchmark is gone (finished or killed): close, but never linger on a tool's open connection.
    setTimeout(() => process.exit(0), 2000).unref();
    void sim.close().finally(() => process.exit(0));
  });
  process.send?.({ type: 'ready', address: sim.address, udids: sim.devices.map((d) => d.udid), pid: process.pid } satisfies SimReady);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench simulator: ${String((err as Error)?.stack ?? err)}\n`);
  process.exit(1);
});
