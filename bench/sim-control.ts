// Parent side of the benchmark simulator: fork sim-server.js, wait for 'ready', send commands, read its CPU time.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { procCpuSeconds } from './measure.js';
import { simServerJs } from './tools.js';
import type { SimCommand, SimReady, SimReply, SimServerConfig } from './sim-server.js';

type Command = SimCommand extends infer C ? (C extends { id: number } ? Omit<C, 'id'> : never) : never;

export interface BackupReport {
  mode: 'full' | 'incremental';
  filesUploaded: number;
  bytesUploaded: number;
  filesRemoved: number;
}
export interface RestoreReport {
  filesRestored: number;
  bytesRestored: number;
}

export interface SimStats {
  backups: number;
  restores: number;
  backup?: BackupReport;
  restore?: RestoreReport;
  /** The TLS suite of the last mobilebackup2 connection over service TLS (none without service TLS). */
  tlsSuite?: string;
}

export class BenchSimulator {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  private constructor(
    private readonly child: ChildProcess,
    readonly address: string,
    readonly udids: string[],
    readonly config: SimServerConfig,
  ) {
    child.on('message', (raw) => {
      const m = raw as SimReply;
      const w = this.waiting.get(m.id);
      if (!w) return;
      this.waiting.delete(m.id);
      if (m.ok) w.resolve(m.result);
      else w.reject(new Error(`simulator: ${m.error}`));
    });
    child.on('exit', () => {
      for (const w of this.waiting.values()) w.reject(new Error('the benchmark simulator exited'));
      this.waiting.clear();
    });
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  /** Environment for a tool: USBMUXD_SOCKET_ADDRESS pointing at this simulator. */
  env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return { ...process.env, USBMUXD_SOCKET_ADDRESS: this.address, ...extra };
  }

  static async start(cfg: SimServerConfig): Promise<BenchSimulator> {
    mkdirSync(cfg.stateDir, { recursive: true });
    mkdirSync(dirname(cfg.socketPath), { recursive: true });
    const child = fork(simServerJs(), [JSON.stringify(cfg)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], execArgv: cfg.nodeFlags ?? [] });
    const ready = await new Promise<SimReady>((resolve, reject) => {
      const onMsg = (m: unknown) => {
        if ((m as SimReady).type === 'ready') {
          child.off('exit', onExit);
          resolve(m as SimReady);
        }
      };
      const onExit = (code: number | null) => reject(new Error(`the benchmark simulator exited (${code}) before it was ready`));
      child.on('message', onMsg);
      child.once('exit', onExit);
    });
    return new BenchSimulator(child, ready.address, ready.udids, cfg);
  }

  send<T = unknown>(cmd: Command): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ ...cmd, id });
    });
  }

  /** What the simulated BackupAgent2 of `udid` has done so far (counts and the last reports). */
  stats(udid: string): Promise<SimStats> {
    return this.send<SimStats>({ cmd: 'stats', udid });
  }

  /** CPU seconds the simulator process has used so far. */
  cpuSeconds(): number {
    const c = procCpuSeconds(this.pid);
    return c ? c.user + c.sys : 0;
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    await this.send({ cmd: 'close' }).catch(() => undefined);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}
