// Runs one tool as a child process and measures it: wall time (monotonic clock around spawn → exit), CPU time
// (user + system) and peak RSS. With GNU time (/usr/bin/time) the kernel's rusage of the child is exact; without
// it /proc/<pid>/stat and /proc/<pid>/status (VmHWM) are polled every 20 ms (CPU may then miss the last < 20 ms).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export const GNU_TIME = '/usr/bin/time';

export interface Measured {
  exitCode: number;
  wallSeconds: number;
  userSeconds: number;
  sysSeconds: number;
  cpuSeconds: number;
  peakRssBytes: number;
  stdoutTail: string;
  stderrTail: string;
  method: 'gnu-time' | 'proc-poll';
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Where to put GNU time's output file. */
  scratchDir: string;
  /** Kill the child after this long (default 2 h). */
  timeoutMs?: number;
  /** Kill the child (SIGTERM) when this aborts (Ctrl-C of the benchmark). */
  signal?: AbortSignal;
}

const TAIL = 4000;
const CLK_TCK = 100;

function hasGnuTime(): boolean {
  return existsSync(GNU_TIME);
}

function keepTail(prev: string, chunk: Buffer): string {
  const s = prev + chunk.toString('utf8');
  return s.length > TAIL ? s.slice(-TAIL) : s;
}

/** utime + stime of a process in seconds, from /proc (undefined once it is gone). */
export function procCpuSeconds(pid: number): { user: number; sys: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state); utime is field 14, stime field 15.
    return { user: Number(fields[11]) / CLK_TCK, sys: Number(fields[12]) / CLK_TCK };
  } catch {
    return undefined;
  }
}

function procPeakRss(pid: number): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Run `cmd args…`, wait for it, and measure it. Output is kept only as a tail (for error messages). */
export function runMeasured(cmd: string, args: string[], opts: RunOptions): Promise<Measured> {
  const gnu = hasGnuTime();
  const timeFile = join(opts.scratchDir, `time-${process.pid}-${Date.now()}.txt`);
  const argv = gnu ? ['-f', '%U %S %M', '-o', timeFile, cmd, ...args] : args;
  const started = process.hrtime.bigint();
  const child = spawn(gnu ? GNU_TIME : cmd, argv, { env: opts.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdoutTail = '';
  let stderrTail = '';
  child.stdout.on('data', (c: Buffer) => (stdoutTail = keepTail(stdoutTail, c)));
  child.stderr.on('data', (c: Buffer) => (stderrTail = keepTail(stderrTail, c)));

  let polled = { user: 0, sys: 0, rss: 0 };
  const poll = gnu
    ? undefined
    : setInterval(() => {
        if (child.pid === undefined) return;
        const cpu = procCpuSeconds(child.pid);
        const rss = procPeakRss(child.pid);
        if (cpu) polled = { ...polled, ...cpu };
        if (rss !== undefined) polled.rss = Math.max(polled.rss, rss);
      }, 20);
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 2 * 3600_000);
  const onAbort = (): void => {
    child.kill('SIGTERM');
  };
  opts.signal?.addEventListener('abort', onAbort, { once: true });

  return new Promise<Measured>((resolve, reject) => {
    child.once('error', (err) => {
      clearTimeout(timer);
      if (poll) clearInterval(poll);
      reject(err);
    });
    child.once('close', (code, signal) => {
      const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (poll) clearInterval(poll);
      let user = polled.user;
      let sys = polled.sys;
      let rss = polled.rss;
      if (gnu) {
        try {
          const text = readFileSync(timeFile, 'utf8').trim().split('\n');
          // GNU time prefixes "Command exited with non-zero status N" on failure; the numbers are the last line.
          const [u, s, m] = (text.at(-1) ?? '').split(' ').map(Number);
          user = u ?? 0;
          sys = s ?? 0;
          rss = (m ?? 0) * 1024;
        } catch {
          // leave zeros: the run is reported as failed below anyway when time could not write its file
        }
        rmSync(timeFile, { force: true });
      }
      resolve({
        exitCode: code ?? (signal ? 128 : 1),
        wallSeconds,
        userSeconds: user,
        sysSeconds: sys,
        cpuSeconds: user + sys,
        peakRssBytes: rss,
        stdoutTail,
        stderrTail,
        method: gnu ? 'gnu-time' : 'proc-poll',
      });
    });
  });
}

export function measurementMethod(): string {
  return hasGnuTime()
    ? 'GNU time (/usr/bin/time -f "%U %S %M"): kernel rusage of the child — user+sys CPU and peak RSS (ru_maxrss); wall time from the monotonic clock around spawn→exit'
    : '/proc polling every 20 ms: utime+stime from /proc/<pid>/stat and VmHWM from /proc/<pid>/status; wall time from the monotonic clock around spawn→exit (install GNU time for exact CPU figures: apt-get install time)';
}
