import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from '../log.js';

/** A writeback starts once this many files were stored since the last one started (and none is running)… */
const EVERY_FILES = 5000;
/** …or this many bytes of small files. */
const EVERY_BYTES = 64 * 1024 * 1024;
/**
 * Only files up to this size count towards EVERY_BYTES: they are the ones left in the page cache (a staging
 * folder's small files). Larger ones are written with direct I/O, or get an fdatasync every 64 MiB while they
 * stream (staged-file.ts); a writeback per 256 MiB of every kind of file was measured slower on `large`
 * (2026-11-22, docs/backup-design.md).
 */
const SMALL_FILE_BYTES = 512 * 1024;

/**
 * The helper: one `sh` for the whole backup that runs `sync -f DIR` (syncfs of DIR's file system) for each line
 * it reads and answers with the exit code. Spawning `sync` from Node each time would block the event loop for
 * the fork of a ~100 MB process (7 ms a time here); the shell's fork of itself is small and off this thread.
 */
const HELPER_SCRIPT = 'while read -r _; do sync -f "$1" >/dev/null 2>&1; echo $?; done';

export interface BackgroundWritebackOptions {
  everyBytes?: number;
  everyFiles?: number;
  log?: Logger;
  /** For tests: the platform check (syncfs through `sync -f` exists on Linux only). */
  platform?: NodeJS.Platform;
}

/**
 * Starts writing a backup's new files to disk while the device is still sending: the kernel would otherwise keep
 * them in memory until the flush before the swap, which then wrote everything at once while the user waited
 * (≈ 0.6 s for 50,000 small files here, against ≈ 10 ms left when the data had been written back during the
 * backup). Best effort and Linux only: if the helper cannot run, nothing changes — the flush before the swap is
 * what makes the backup durable, never this.
 */
export class BackgroundWriteback {
  private helper: ChildProcess | undefined;
  private running = false;
  private off: boolean;
  private bytes = 0;
  private files = 0;
  private readonly everyBytes: number;
  private readonly everyFiles: number;
  /** Writebacks finished so far (for the log and tests). */
  completed = 0;

  constructor(
    private readonly dir: string,
    private readonly opts: BackgroundWritebackOptions = {},
  ) {
    this.off = (opts.platform ?? process.platform) !== 'linux';
    this.everyBytes = opts.everyBytes ?? EVERY_BYTES;
    this.everyFiles = opts.everyFiles ?? EVERY_FILES;
  }

  /** A file of `bytes` was stored in the folder. */
  stored(bytes: number): void {
    if (this.off) return;
    if (bytes <= SMALL_FILE_BYTES) this.bytes += bytes;
    this.files++;
    if (this.running || (this.bytes < this.everyBytes && this.files < this.everyFiles)) return;
    this.bytes = 0;
    this.files = 0;
    const helper = this.helper ?? this.startHelper();
    if (!helper?.stdin?.writable) return;
    this.running = true;
    helper.stdin.write('\n');
  }

  /** Stop the helper. With `wait`, resolves once a writeback still running has finished (so a flush after it has less to do). */
  async stop(wait = true): Promise<void> {
    this.off = true;
    const helper = this.helper;
    this.helper = undefined;
    if (!helper || helper.pid === undefined || helper.exitCode !== null || helper.signalCode !== null) return;
    // 'close' (not 'exit'): after the helper's last answer has been read.
    const exited = new Promise<void>((resolve) => helper.once('close', () => resolve()));
    helper.ref(); // (unref'd while it ran: now the wait for it must keep the process alive)
    if (wait) helper.stdin?.end();
    else helper.kill();
    await exited;
  }

  private startHelper(): ChildProcess | undefined {
    let helper: ChildProcess;
    try {
      helper = spawn('sh', ['-c', HELPER_SCRIPT, 'ibackup-writeback', this.dir], { stdio: ['pipe', 'pipe', 'ignore'], windowsHide: true });
    } catch (err) {
      this.disable(`could not start: ${(err as Error).message}`);
      return undefined;
    }
    helper.on('error', (err) => this.disable(`failed: ${err.message}`));
    helper.stdin?.on('error', () => undefined); // (an exited helper: 'exit'/'error' say so)
    let pending = '';
    helper.stdout?.setEncoding('utf8');
    helper.stdout?.on('data', (text: string) => {
      pending += text;
      for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
        const code = pending.slice(0, nl).trim();
        pending = pending.slice(nl + 1);
        this.running = false;
        if (code === '0') this.completed++;
        else this.disable(`sync -f exited with ${code}`);
      }
    });
    // Never what keeps the process alive (stop() ends it; an exiting process takes it along).
    helper.unref();
    (helper.stdout as unknown as { unref?: () => void } | null)?.unref?.();
    (helper.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    this.helper = helper;
    return helper;
  }

  private disable(why: string): void {
    if (!this.off) this.opts.log?.debug({ why }, 'background writeback off');
    this.off = true;
    this.running = false;
  }
}
