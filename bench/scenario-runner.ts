// Runs one scenario: its own simulator process, the sink ceiling, warm-up, then ours/theirs pairs (A B A B) into
// fresh folders that are deleted (and synced away) after each measurement — backups of many files only when the
// benchmark ends (kept-backups.ts).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { basename, join } from 'node:path';
import { syncFileSystem } from '../src/backup/fs-durable.js';
import type { KeptBackups } from './kept-backups.js';
import { runMeasured, type Measured } from './measure.js';
import { BenchSimulator } from './sim-control.js';
import { MB, mbPerSecond, median, perSecond, round, speedup } from './stats.js';
import { commandFor, OPENSSL_DEFAULT_TLS13_SUITES, restoreSourceCommand, sinkCommand, type CommandLine, type Operation, type Tool } from './tools.js';
import type { CeilingRun, PairResult, ScenarioResult, ScenarioSpec, ToolRun } from './types.js';

export interface RunContext {
  workDir: string;
  log: (line: string) => void;
  quick: boolean;
  machine: string;
  date: string;
  commit: string;
  /** Aborted on Ctrl-C/SIGTERM: the running tool is stopped and the scenario fails. */
  signal?: AbortSignal;
  /** Backups of many files stay here until the benchmark ends instead of being deleted after their run (kept-backups.ts). */
  kept?: KeptBackups;
}

class RunFailed extends Error {}

function freshDir(ctx: RunContext, label: string): string {
  mkdirSync(ctx.workDir, { recursive: true });
  return mkdtempSync(join(ctx.workDir, `${label}-`));
}

function syncQuietly(): void {
  try {
    execFileSync('sync');
  } catch {
    // sync is best effort
  }
}

/**
 * Seconds a syncfs of the file system holding `dir` takes (the engine's own `syncFileSystem`): how long writing
 * out what a tool left in the page cache takes. undefined where it is not available (not Linux, no `sync -f`).
 */
async function timedSyncFs(dir: string): Promise<number | undefined> {
  const t0 = process.hrtime.bigint();
  if (!(await syncFileSystem(dir))) return undefined;
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/** Delete a run's folder (the next measured run syncs before it starts, see runTool). */
function dispose(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

function failure(what: string, m: Measured): RunFailed {
  const out = `${m.stderrTail}\n${m.stdoutTail}`.trim().split('\n').slice(-8).join('\n');
  return new RunFailed(`${what} exited with ${m.exitCode}:\n${out}`);
}

interface Moved {
  bytes: number;
  files: number;
}

/** Run one tool once, measured; returns the run and what the simulator says it moved. */
async function runTool(
  ctx: RunContext,
  sim: BenchSimulator,
  tool: Tool,
  op: Operation,
  udid: string,
  root: string,
  expectMode?: 'full' | 'incremental',
): Promise<ToolRun> {
  const before = await sim.stats(udid);
  const c = commandFor(tool, op, udid, root);
  // Every measured run starts with nothing dirty on the disk: otherwise a tool that flushes (ours) also pays for
  // what the tool before it left unflushed (idevicebackup2 never syncs) — incremental runs follow each other.
  syncQuietly();
  const cpu0 = sim.cpuSeconds();
  const m = await runMeasured(c.cmd, c.args, {
    env: sim.env({ IBACKUP_PAIR_RECORD_DIR: join(ctx.workDir, 'pair-records') }),
    scratchDir: ctx.workDir,
    signal: ctx.signal,
  });
  const simCpu = sim.cpuSeconds() - cpu0;
  if (m.exitCode !== 0) throw failure(`${tool} ${op}`, m);
  // Right after the exit, before anything else writes: what the tool left unflushed (not part of wall_s).
  const settle = op === 'backup' ? await timedSyncFs(root) : undefined;
  const after = await sim.stats(udid);
  let moved: Moved;
  if (op === 'backup') {
    const r = after.backup;
    if (!r || after.backups !== before.backups + 1) throw new RunFailed(`${tool} backup: the simulator recorded no finished backup`);
    if (expectMode && r.mode !== expectMode) throw new RunFailed(`${tool} backup was ${r.mode}, expected ${expectMode}`);
    moved = { bytes: r.bytesUploaded, files: r.filesUploaded };
  } else {
    const r = after.restore;
    if (!r || after.restores !== before.restores + 1) throw new RunFailed(`${tool} restore: the simulator recorded no finished restore`);
    moved = { bytes: r.bytesRestored, files: r.filesRestored };
  }
  const run: ToolRun = {
    tool,
    exit_code: m.exitCode,
    wall_s: round(m.wallSeconds, 3),
    user_s: round(m.userSeconds, 2),
    sys_s: round(m.sysSeconds, 2),
    cpu_s: round(m.cpuSeconds, 2),
    peak_rss_mb: round(m.peakRssBytes / MB, 1),
    bytes: moved.bytes,
    files: moved.files,
    mbps: round(mbPerSecond(moved.bytes, m.wallSeconds), 1),
    files_per_s: round(perSecond(moved.files, m.wallSeconds), 1),
    sim_cpu_s: round(simCpu, 2),
    load_1m: round(loadavg()[0] ?? 0, 2),
    ...(settle !== undefined ? { settle_s: round(settle, 3) } : {}),
    ...(after.tlsSuite !== undefined ? { tls_suite: after.tlsSuite } : {}),
  };
  ctx.log(
    `    ${tool.padEnd(6)} ${op.padEnd(7)} ${run.wall_s.toFixed(2).padStart(8)} s  ${run.mbps.toFixed(1).padStart(7)} MB/s  ` +
      `${String(run.files_per_s).padStart(6)} files/s  cpu ${run.cpu_s.toFixed(2)} s  rss ${run.peak_rss_mb} MB  sim cpu ${run.sim_cpu_s} s  load ${run.load_1m}` +
      (run.settle_s !== undefined ? `  then sync ${run.settle_s.toFixed(2)} s` : '') +
      (run.tls_suite !== undefined ? `  ${run.tls_suite}` : ''),
  );
  return run;
}

/**
 * The simulator's ceiling: `runs` runs of the sink host (backups; with `from`, incremental against the metadata
 * kept there) or, given `command`, of another minimal host (the restore source); `hooks.before` runs ahead of
 * each run, `hooks.after` checks each run's outcome.
 */
async function measureCeiling(
  ctx: RunContext,
  sim: BenchSimulator,
  udid: string,
  runs: number,
  from?: string,
  command: () => CommandLine = () => sinkCommand(udid, from),
  hooks: { before?: () => Promise<void>; after?: (who: string) => Promise<void> } = {},
): Promise<CeilingRun[]> {
  const out: CeilingRun[] = [];
  for (let i = 0; i < runs; i++) {
    await hooks.before?.();
    // Like the tools' runs: what an earlier run left unflushed (the restore's 12.5 GB source backup) is written out
    // first, not during the ceiling run (2026-12-07: 20.8 s and 12.0 s vs 4.7–6.4 s for the restore source).
    syncQuietly();
    const c = command();
    const cpu0 = sim.cpuSeconds();
    const m = await runMeasured(c.cmd, c.args, { env: sim.env(), scratchDir: ctx.workDir, signal: ctx.signal });
    const simCpu = sim.cpuSeconds() - cpu0;
    const host = basename(c.args[0] ?? 'sink', '.js');
    const suites = c.args.find((a) => a.startsWith('--tls13-suites='))?.slice('--tls13-suites='.length);
    if (m.exitCode !== 0) throw failure(host, m);
    await hooks.after?.(host);
    const r = JSON.parse(m.stdoutTail.trim().split('\n').at(-1) ?? '{}') as { files: number; bytes: number; seconds: number };
    const run: CeilingRun = {
      mbps: round(mbPerSecond(r.bytes, r.seconds), 1),
      files_per_s: round(perSecond(r.files, r.seconds), 1),
      seconds: round(r.seconds, 3),
      sink_cpu_s: round(m.cpuSeconds, 2),
      sim_cpu_s: round(simCpu, 2),
      ...(suites !== undefined ? { tls13_suites: suites } : {}),
    };
    ctx.log(
      `    ${host === 'sink' ? 'sink  ' : 'source'} ceiling ${run.seconds.toFixed(2).padStart(8)} s  ${run.mbps.toFixed(1).padStart(7)} MB/s  ${String(run.files_per_s).padStart(6)} files/s  host cpu ${run.sink_cpu_s} s  sim cpu ${run.sim_cpu_s} s` +
        (suites !== undefined ? `  offering ${suites.split(':')[0]} first` : ''),
    );
    out.push(run);
  }
  return out;
}

/**
 * How many of a scenario's ceiling runs come before its pairs and how many after: this VM's speed changes within
 * minutes (2026-12-07: the same `many`/tls backup used 2.6–2.9 s of simulator CPU during the ceiling runs and
 * 1.4–1.5 s ten seconds later), so a ceiling measured only at the start can be one of a slower machine.
 */
export function ceilingSplit(runs: number): { before: number; after: number } {
  const before = Math.ceil(runs / 2);
  return { before, after: runs - before };
}

/** `theirsCeiling`: over service TLS, the sink's runs offering idevicebackup2's suite order (its own ceiling). */
export function summarise(
  spec: ScenarioSpec,
  ctx: RunContext,
  pairs: PairResult[],
  allRuns: ToolRun[],
  ceiling: CeilingRun[],
  notes: string[],
  theirsCeiling: CeilingRun[] = [],
): ScenarioResult {
  const pick = (tool: 'ours' | 'theirs') => pairs.map((p) => p[tool]);
  const med = (tool: 'ours' | 'theirs', f: (r: ToolRun) => number) => round(median(pick(tool).map(f)), 2);
  const peak = (tool: 'ours' | 'theirs') => round(Math.max(0, ...allRuns.filter((r) => r.tool === tool).map((r) => r.peak_rss_mb)), 1);
  const oursMbps = med('ours', (r) => r.mbps);
  const theirsMbps = med('theirs', (r) => r.mbps);
  const ceilingMbps = ceiling.length > 0 ? Math.max(...ceiling.map((c) => c.mbps)) : undefined;
  const theirsSuiteMbps = theirsCeiling.length > 0 ? Math.max(...theirsCeiling.map((c) => c.mbps)) : undefined;
  const theirsCeilingMbps = theirsSuiteMbps ?? ceilingMbps;
  if (theirsSuiteMbps !== undefined) {
    notes = [
      ...notes,
      `simulator ceiling with idevicebackup2's suite order (the sink offering ${theirsCeiling[0]?.tls13_suites?.split(':')[0] ?? '?'} first): ${theirsSuiteMbps} MB/s; "Ceiling ÷ idevicebackup2" uses it`,
    ];
  }
  const onDisk = pairs.flatMap((p) => (p.speedup_on_disk !== undefined ? [p.speedup_on_disk] : []));
  const suites = (tool: ToolRun['tool']): string => [...new Set(allRuns.filter((r) => r.tool === tool).flatMap((r) => (r.tls_suite ? [r.tls_suite] : [])))].join(' / ');
  if (suites('ours') || suites('theirs')) {
    notes = [
      ...notes,
      `service TLS suite agreed with the simulator (which follows the client's order): ibackup ${suites('ours') || '?'}, idevicebackup2 ${suites('theirs') || '?'}`,
    ];
  }
  return {
    scenario: spec.name,
    variant: spec.variant,
    kind: spec.kind,
    dataset: spec.dataset,
    bytes: pairs[0]?.ours.bytes ?? 0,
    files: pairs[0]?.ours.files ?? 0,
    ours_mbps: oursMbps,
    theirs_mbps: theirsMbps,
    ours_files_per_s: med('ours', (r) => r.files_per_s),
    theirs_files_per_s: med('theirs', (r) => r.files_per_s),
    ours_wall_s: med('ours', (r) => r.wall_s),
    theirs_wall_s: med('theirs', (r) => r.wall_s),
    ours_cpu_s: med('ours', (r) => r.cpu_s),
    theirs_cpu_s: med('theirs', (r) => r.cpu_s),
    ours_peak_rss_mb: peak('ours'),
    theirs_peak_rss_mb: peak('theirs'),
    speedup_median: round(median(pairs.map((p) => p.speedup)), 3),
    ...(onDisk.length === pairs.length && onDisk.length > 0 ? { speedup_on_disk_median: round(median(onDisk), 3) } : {}),
    pairs,
    sim_ceiling_mbps: ceilingMbps,
    sim_ceiling_runs: ceiling.length > 0 ? ceiling : undefined,
    ceiling_over_ours: ceilingMbps !== undefined && oursMbps > 0 ? round(ceilingMbps / oursMbps, 2) : undefined,
    ...(theirsSuiteMbps !== undefined ? { sim_ceiling_theirs_suite_mbps: theirsSuiteMbps, sim_ceiling_theirs_suite_runs: theirsCeiling } : {}),
    ceiling_over_theirs: theirsCeilingMbps !== undefined && theirsMbps > 0 ? round(theirsCeilingMbps / theirsMbps, 2) : undefined,
    notes,
    date: ctx.date,
    quick: ctx.quick,
    machine: ctx.machine,
    commit: ctx.commit,
  };
}

export function pairOf(i: number, ours: ToolRun, theirs: ToolRun): PairResult {
  const pair: PairResult = { pair: i, ours, theirs, speedup: round(speedup(ours.wall_s, theirs.wall_s), 3) };
  if (ours.settle_s !== undefined && theirs.settle_s !== undefined) {
    pair.speedup_on_disk = round(speedup(ours.wall_s + ours.settle_s, theirs.wall_s + theirs.settle_s), 3);
  }
  return pair;
}

/**
 * The warm-up rounds (not counted), then the measured pairs. `round(k)` runs ours, then theirs, once; k counts the
 * rounds from 0, warm-ups included.
 */
async function warmUpThenPairs(
  ctx: RunContext,
  spec: ScenarioSpec,
  round: (k: number) => Promise<[ToolRun, ToolRun]>,
): Promise<PairResult[]> {
  for (let w = 0; w < spec.warmups; w++) {
    ctx.log('  warm-up');
    await round(w);
  }
  const pairs: PairResult[] = [];
  for (let i = 1; i <= spec.pairs; i++) {
    ctx.log(`  pair ${i}`);
    const [ours, theirs] = await round(spec.warmups + i - 1);
    pairs.push(pairOf(i, ours, theirs));
  }
  return pairs;
}

async function startSim(ctx: RunContext, spec: ScenarioSpec, devices: number): Promise<{ sim: BenchSimulator; dir: string }> {
  const dir = freshDir(ctx, `sim-${spec.name}-${spec.variant}`);
  const sim = await BenchSimulator.start({
    socketPath: join(dir, 'mux.sock'),
    stateDir: join(dir, 'state'),
    dataset: spec.dataset,
    devices,
    sessionSSL: spec.variant !== 'plain',
    serviceSSL: spec.variant === 'tls',
    // A 1 MB young generation for the restore's simulator. Chosen when the simulator got every socket read in a
    // new 64 KiB Buffer (freed only by full collections of its large heap: simulator CPU 39 → 23 s with it). Its
    // reads now land in one reused buffer (mocks/usbmuxd/reused-reads.ts) and alternating runs showed the same
    // simulator CPU with and without it, but two restore runs without it came out lower (1.23×, 1.36× vs
    // 1.57–1.66×; within this VM's noise), so it stays. Serving backups it is slower (many: sink 2.0 → 3.0 s).
    nodeFlags: spec.kind === 'restore' ? ['--max-semi-space-size=1'] : [],
  });
  return { sim, dir };
}

/** large / many / photos / small: full backups into fresh folders. */
async function backupScenario(ctx: RunContext, spec: ScenarioSpec): Promise<ScenarioResult> {
  const { sim, dir } = await startSim(ctx, spec, 1);
  const udid = sim.udids[0] as string;
  try {
    // Over service TLS each tool gets its own first choice of suite (the simulator follows the client's order):
    // the ceiling idevicebackup2 meets is measured with its order.
    const split = ceilingSplit(spec.ceilingRuns);
    const ceiling: CeilingRun[] = [];
    const theirsCeiling: CeilingRun[] = [];
    const measureCeilings = async (runs: number): Promise<void> => {
      ceiling.push(...(await measureCeiling(ctx, sim, udid, runs)));
      if (spec.variant === 'tls') {
        theirsCeiling.push(...(await measureCeiling(ctx, sim, udid, runs, undefined, () => sinkCommand(udid, undefined, OPENSSL_DEFAULT_TLS13_SUITES))));
      }
    };
    await measureCeilings(split.before);
    const all: ToolRun[] = [];
    const once = async (tool: Tool): Promise<ToolRun> => {
      const root = freshDir(ctx, `${tool}-backup`);
      let moved = { files: 0, bytes: 0 };
      try {
        const r = await runTool(ctx, sim, tool, 'backup', udid, root, 'full');
        moved = r;
        all.push(r);
        return r;
      } finally {
        if (!ctx.kept?.keep(root, moved.files, moved.bytes)) dispose(root);
      }
    };
    const pairs = await warmUpThenPairs(ctx, spec, async () => [await once('ours'), await once('theirs')]);
    if (split.after > 0) {
      ctx.log('  ceiling again, after the pairs');
      await measureCeilings(split.after);
    }
    return summarise(spec, ctx, pairs, all, ceiling, [], theirsCeiling);
  } finally {
    await sim.close();
    dispose(dir);
  }
}

/**
 * incremental: identical simulated devices, one per tool, so each tool's previous backup is the one the device
 * remembers, and a third for the sink host (its ceiling), which keeps the backup's metadata files in its own root.
 * After one full backup each, every round changes the same `changeFraction` of files on every device (same
 * mutation seed) and times one incremental backup per tool, then (in the last `ceilingRuns` rounds) the sink.
 */
async function incrementalScenario(ctx: RunContext, spec: ScenarioSpec): Promise<ScenarioResult> {
  const withSink = spec.ceilingRuns > 0;
  const { sim, dir } = await startSim(ctx, spec, withSink ? 3 : 2);
  const [oursUdid, theirsUdid, sinkUdid] = sim.udids as [string, string, string | undefined];
  const roots = { ours: freshDir(ctx, 'ours-incr'), theirs: freshDir(ctx, 'theirs-incr'), sink: freshDir(ctx, 'sink-incr') };
  const udidOf = { ours: oursUdid, theirs: theirsUdid };
  try {
    const count = await sim.send<{ files: number }>({ cmd: 'file-count', udid: oursUdid });
    const modify = Math.max(1, Math.ceil(count.files * (spec.changeFraction ?? 0.01)));
    ctx.log(`  full backups first (not timed); then ${modify} of ${count.files} files change before each run`);
    const all: ToolRun[] = [];
    for (const tool of ['ours', 'theirs'] as const) all.push(await runTool(ctx, sim, tool, 'backup', udidOf[tool], roots[tool], 'full'));
    if (sinkUdid !== undefined) await measureCeiling(ctx, sim, sinkUdid, 1, roots.sink);
    const ceiling: CeilingRun[] = [];
    const totalRounds = spec.warmups + spec.pairs;
    const round1 = async (k: number): Promise<[ToolRun, ToolRun]> => {
      for (const udid of [oursUdid, theirsUdid, sinkUdid]) if (udid !== undefined) await sim.send({ cmd: 'mutate', udid, seed: 7000 + k, modify });
      const ours = await runTool(ctx, sim, 'ours', 'backup', oursUdid, roots.ours, 'incremental');
      const theirs = await runTool(ctx, sim, 'theirs', 'backup', theirsUdid, roots.theirs, 'incremental');
      all.push(ours, theirs);
      if (sinkUdid !== undefined) {
        const runs = await measureCeiling(ctx, sim, sinkUdid, 1, roots.sink);
        if (k >= totalRounds - spec.ceilingRuns) ceiling.push(...runs);
      }
      return [ours, theirs];
    };
    const pairs = await warmUpThenPairs(ctx, spec, round1);
    return summarise(spec, ctx, pairs, all, ceiling, [
      `${modify} of ${count.files} files (${round((spec.changeFraction ?? 0.01) * 100, 1)} %) changed before each measured backup; each tool backs up its own identical simulated device`,
      ...(sinkUdid !== undefined ? ['the ceiling is the sink host backing up a third identical device incrementally (it keeps only the metadata files)'] : []),
    ]);
  } finally {
    await sim.close();
    dispose(roots.ours);
    dispose(roots.theirs);
    dispose(roots.sink);
    dispose(dir);
  }
}

/** restore: one source backup (made by idevicebackup2, not timed); before each run the device is wiped. */
async function restoreScenario(ctx: RunContext, spec: ScenarioSpec): Promise<ScenarioResult> {
  const { sim, dir } = await startSim(ctx, spec, 1);
  const udid = sim.udids[0] as string;
  const source = freshDir(ctx, 'restore-source');
  try {
    ctx.log('  source backup (idevicebackup2, not timed)');
    await runTool(ctx, sim, 'theirs', 'backup', udid, source, 'full');
    // The device keeps only each restored file's size ('size' in bench/sim-server.ts): after every restore it
    // must hold as many files and bytes as it had when the source backup was made.
    type Count = { files: number; bytes: number };
    const expected = await sim.send<Count>({ cmd: 'file-count', udid });
    const wipe = async (): Promise<void> => {
      await sim.send({ cmd: 'wipe', udid });
    };
    const check = async (who: string): Promise<void> => {
      const got = await sim.send<Count>({ cmd: 'file-count', udid });
      if (got.files !== expected.files || got.bytes !== expected.bytes) {
        throw new RunFailed(`${who} restore: the device holds ${got.files} files / ${got.bytes} bytes, expected ${expected.files} / ${expected.bytes}`);
      }
    };
    const split = ceilingSplit(spec.ceilingRuns);
    const measureSourceCeiling = (runs: number): Promise<CeilingRun[]> =>
      measureCeiling(ctx, sim, udid, runs, undefined, () => restoreSourceCommand(udid, source), { before: wipe, after: check });
    const ceiling = await measureSourceCeiling(split.before);
    const all: ToolRun[] = [];
    const once = async (tool: Tool): Promise<ToolRun> => {
      await wipe();
      const r = await runTool(ctx, sim, tool, 'restore', udid, source);
      await check(tool);
      all.push(r);
      return r;
    };
    const pairs = await warmUpThenPairs(ctx, spec, async () => [await once('ours'), await once('theirs')]);
    if (split.after > 0) {
      ctx.log('  ceiling again, after the pairs');
      ceiling.push(...(await measureSourceCeiling(split.after)));
    }
    return summarise(spec, ctx, pairs, all, ceiling, [
      'both tools restore the same idevicebackup2-made backup (--system --no-reboot) into a wiped simulated device, which records each file and the number of bytes it received, without writing (or hashing) them; after every restore the device must hold as many files and bytes as before the wipe',
    ]);
  } finally {
    await sim.close();
    dispose(source);
    dispose(dir);
  }
}

export async function runScenario(ctx: RunContext, spec: ScenarioSpec): Promise<ScenarioResult> {
  ctx.log(`${spec.name} (${spec.dataset}, ${spec.variant}): ${spec.warmups} warm-up + ${spec.pairs} pairs`);
  switch (spec.kind) {
    case 'backup':
      return backupScenario(ctx, spec);
    case 'incremental':
      return incrementalScenario(ctx, spec);
    case 'restore':
      return restoreScenario(ctx, spec);
  }
}
