// Test helper: start a simulated iPhone on a unix socket in a fresh temp dir, and run Debian's
// libimobiledevice tools against it.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator, type Simulator, type StartSimulatorOptions } from '../../mocks/index.js';

export interface TestSimulator extends Simulator {
  /** Environment for child processes: USBMUXD_SOCKET_ADDRESS pointing at this simulator. */
  env: NodeJS.ProcessEnv;
  /** The temp dir holding the socket and the state (removed by stop()). */
  dir: string;
  /** Closes the simulator and removes its temp dir. */
  stop(): Promise<void>;
}

export async function startTestSimulator(
  options: Omit<StartSimulatorOptions, 'socketPath' | 'stateDir'> = {},
): Promise<TestSimulator> {
  const dir = mkdtempSync(join(tmpdir(), 'ibk-sim-'));
  let sim: Simulator;
  try {
    sim = await startSimulator({ ...options, socketPath: join(dir, 'mux.sock'), stateDir: join(dir, 'state') });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const env = { ...process.env, USBMUXD_SOCKET_ADDRESS: sim.address };
  return {
    ...sim,
    env,
    dir,
    async stop(): Promise<void> {
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface ToolResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (killed after `timeoutMs`), collecting its output. */
export function runTool(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs = 30_000,
): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Parses `ideviceinfo` output (`Key: value` lines) into a map. */
export function parseIdeviceinfo(out: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of out.split('\n')) {
    const i = line.indexOf(': ');
    if (i > 0 && !line.startsWith(' ')) m.set(line.slice(0, i), line.slice(i + 2));
  }
  return m;
}
