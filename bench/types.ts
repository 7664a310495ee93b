// Shapes of the benchmark's plan and results (the JSON under bench/results/ is an array of ScenarioResult).
import type { DatasetName } from '../mocks/fs/index.js';

/**
 * TLS configuration of the simulated iPhone: `plain` = no TLS at all; `session-tls` = TLS on the lockdown session
 * only (the simulator's default: file data flows unencrypted); `tls` = TLS on the session and on mobilebackup2.
 */
export type TlsVariant = 'plain' | 'session-tls' | 'tls';
export const TLS_VARIANTS: readonly TlsVariant[] = ['plain', 'session-tls', 'tls'];

export type ScenarioKind = 'backup' | 'incremental' | 'restore';

export interface ScenarioSpec {
  /** Scenario name as in issue #7: large, many, photos, incremental, restore (quick runs: small, …). */
  name: string;
  kind: ScenarioKind;
  dataset: DatasetName;
  variant: TlsVariant;
  pairs: number;
  warmups: number;
  /** Sink runs measuring the simulator's serving ceiling (0 = not measured). */
  ceilingRuns: number;
  /** incremental: share of files changed before each measured backup. */
  changeFraction?: number;
}

export interface ToolRun {
  tool: 'ours' | 'theirs';
  exit_code: number;
  wall_s: number;
  user_s: number;
  sys_s: number;
  cpu_s: number;
  peak_rss_mb: number;
  /** Data bytes the device sent (backup) or stored (restore), as counted by the simulator. */
  bytes: number;
  files: number;
  mbps: number;
  files_per_s: number;
  /** CPU the simulator process spent during this run (it competes with the tool for the 2 cores). */
  sim_cpu_s: number;
  /** The machine's 1-minute load average when the run ended (other work on the machine skews the figures). */
  load_1m: number;
  /**
   * Backups: seconds a `sync -f` of the backup's file system took right after the tool exited — writing out what
   * the tool left in the page cache (ibackup flushes before it exits, idevicebackup2 never does). wall_s + settle_s
   * is the time until the backup is on disk. Absent for restores and where `sync -f` is not available.
   */
  settle_s?: number;
  /**
   * Over service TLS: the suite this tool's mobilebackup2 connection agreed on with the simulator (which follows
   * the client's order, as an OpenSSL server does by default), e.g. TLS_AES_128_GCM_SHA256.
   */
  tls_suite?: string;
}

export interface PairResult {
  pair: number;
  ours: ToolRun;
  theirs: ToolRun;
  /** theirs wall / ours wall (= ours throughput / theirs throughput); > 1: we are faster. */
  speedup: number;
  /** Backups: the same ratio for the time until the backup is on disk (wall_s + settle_s of each run). */
  speedup_on_disk?: number;
}

export interface CeilingRun {
  mbps: number;
  files_per_s: number;
  seconds: number;
  sink_cpu_s: number;
  sim_cpu_s: number;
  /** Over service TLS, when the sink offered other TLS 1.3 suites than the engine's own order. */
  tls13_suites?: string;
}

export interface ScenarioResult {
  scenario: string;
  variant: TlsVariant;
  kind: ScenarioKind;
  dataset: string;
  /** Data per run (bytes/files the device moved in a measured run). */
  bytes: number;
  files: number;
  ours_mbps: number;
  theirs_mbps: number;
  ours_files_per_s: number;
  theirs_files_per_s: number;
  ours_wall_s: number;
  theirs_wall_s: number;
  ours_cpu_s: number;
  theirs_cpu_s: number;
  /** Highest peak RSS over all measured and warm-up runs. */
  ours_peak_rss_mb: number;
  theirs_peak_rss_mb: number;
  /** Median of the per-pair speed-ups (ours/theirs throughput). */
  speedup_median: number;
  /** Backups: median of the per-pair on-disk speed-ups (see ToolRun.settle_s); the targets use speedup_median. */
  speedup_on_disk_median?: number;
  pairs: PairResult[];
  /** Best sink throughput: how fast the simulator can serve this scenario (undefined: not measured). */
  sim_ceiling_mbps?: number;
  sim_ceiling_runs?: CeilingRun[];
  /**
   * Over service TLS: the best sink throughput with idevicebackup2's suite order (AES-256-GCM first), the ceiling
   * idevicebackup2 meets; sim_ceiling_mbps is the one with the engine's order (AES-128-GCM first).
   */
  sim_ceiling_theirs_suite_mbps?: number;
  sim_ceiling_theirs_suite_runs?: CeilingRun[];
  /** Ceiling / tool throughput (each tool's own ceiling where they differ); < 2 means the simulator may be limiting that tool. */
  ceiling_over_ours?: number;
  ceiling_over_theirs?: number;
  notes: string[];
  date: string;
  quick: boolean;
  machine: string;
  /** git HEAD of the work tree when the run started (the build measured may include uncommitted work). */
  commit: string;
}
