// The benchmark harness's pure parts: statistics, plan, options, result JSON shape, tables, chart, doc update.
// Nothing here is timed; the benchmark itself runs only with `npm run bench`.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBenchArgs } from '../../bench/args.js';
import { ratioChartSvg } from '../../bench/chart.js';
import { markers, updateDoc } from '../../bench/doc.js';
import { KEEP_BUDGET_BYTES, KEEP_FROM_FILES, KeptBackups } from '../../bench/kept-backups.js';
import { buildPlan } from '../../bench/plan.js';
import { ceilingTable, resultsTable, targetsTable } from '../../bench/report.js';
import { ceilingSplit, pairOf, summarise, type RunContext } from '../../bench/scenario-runner.js';
import { mbPerSecond, median, perSecond, round, speedup } from '../../bench/stats.js';
import type { ScenarioSpec, ToolRun } from '../../bench/types.js';

function run(tool: 'ours' | 'theirs', wall: number, rss: number, bytes = 2_000_000_000, files = 10): ToolRun {
  return {
    tool,
    exit_code: 0,
    wall_s: wall,
    user_s: wall / 4,
    sys_s: wall / 8,
    cpu_s: (wall * 3) / 8,
    peak_rss_mb: rss,
    bytes,
    files,
    mbps: round(mbPerSecond(bytes, wall), 1),
    files_per_s: round(perSecond(files, wall), 1),
    sim_cpu_s: wall / 2,
    load_1m: 1,
  };
}

const ctx: RunContext = { workDir: '/nonexistent', log: () => undefined, quick: false, machine: 'test machine', date: '2030-01-01T00:00:00.000Z', commit: 'abc1234' };
const spec: ScenarioSpec = { name: 'large', kind: 'backup', dataset: 'large', variant: 'tls', pairs: 3, warmups: 1, ceilingRuns: 2 };

describe('bench statistics', () => {
  it('median of odd and even counts, unsorted input, empty list', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
    expect(median([])).toBeNaN();
  });

  it('throughput in decimal MB/s and the speed-up as theirs wall / ours wall', () => {
    expect(mbPerSecond(3_000_000, 2)).toBe(1.5);
    expect(mbPerSecond(1, 0)).toBe(0);
    expect(perSecond(50_000, 20)).toBe(2500);
    // same bytes: ours 10 s, theirs 15 s → ours is 1.5× faster, which equals the ratio of throughputs
    expect(speedup(10, 15)).toBe(1.5);
    expect(speedup(10, 15)).toBeCloseTo(mbPerSecond(1e9, 10) / mbPerSecond(1e9, 15), 12);
    expect(speedup(0, 15)).toBeNaN();
  });
});

describe('bench result JSON', () => {
  it('one object per scenario with the fields issue #7 asks for, medians over pairs and peak RSS over every run', () => {
    const warm = [run('ours', 30, 140), run('theirs', 20, 9)];
    const pairs = [pairOf(1, run('ours', 10, 90), run('theirs', 12, 7)), pairOf(2, run('ours', 8, 95), run('theirs', 16, 8)), pairOf(3, run('ours', 12, 91), run('theirs', 12, 7))];
    const all = [...warm, ...pairs.flatMap((p) => [p.ours, p.theirs])];
    const ceiling = [
      { mbps: 300, files_per_s: 1.5, seconds: 6.7, sink_cpu_s: 2, sim_cpu_s: 5 },
      { mbps: 500, files_per_s: 2.5, seconds: 4, sink_cpu_s: 2, sim_cpu_s: 4 },
    ];
    const r = summarise(spec, ctx, pairs, all, ceiling, []);
    const json = JSON.parse(JSON.stringify(r)) as Record<string, unknown>;
    for (const k of ['scenario', 'ours_mbps', 'theirs_mbps', 'speedup_median', 'ours_peak_rss_mb', 'theirs_peak_rss_mb', 'pairs']) {
      expect(json).toHaveProperty(k);
    }
    expect(r.scenario).toBe('large');
    expect(r.variant).toBe('tls');
    expect(pairs.map((p) => p.speedup)).toEqual([1.2, 2, 1]);
    expect(r.speedup_median).toBe(1.2);
    expect(r.ours_mbps).toBe(200); // median of 200, 250, 166.7
    expect(r.theirs_mbps).toBe(166.7); // median of 166.7, 125, 166.7
    expect(r.ours_peak_rss_mb).toBe(140); // the warm-up run counts for the peak
    expect(r.theirs_peak_rss_mb).toBe(9);
    expect(r.sim_ceiling_mbps).toBe(500);
    expect(r.ceiling_over_ours).toBe(2.5);
    expect(r.ceiling_over_theirs).toBe(3);
    expect((json.pairs as unknown[]).length).toBe(3);
    expect(json).toMatchObject({ quick: false, machine: 'test machine', commit: 'abc1234', bytes: 2_000_000_000, files: 10 });
  });

  it('tables: two rows per scenario, ceiling verdict, targets', () => {
    const pairs = [pairOf(1, run('ours', 10, 90), run('theirs', 20, 7))];
    const fast = summarise(spec, ctx, pairs, [pairs[0]!.ours, pairs[0]!.theirs], [{ mbps: 300, files_per_s: 1, seconds: 6.7, sink_cpu_s: 1, sim_cpu_s: 5 }], []);
    const table = resultsTable([fast]);
    expect(table.split('\n')).toHaveLength(4);
    expect(table).toContain('**2.00×**');
    // ours runs at 200 MB/s, the sink at 300: within 2× → the simulator may be limiting
    expect(ceilingTable([fast])).toContain('**yes (< 2×)**');
    const targets = targetsTable([fast]);
    expect(targets).toMatch(/large \(tls\) ≥ 1\.5× idevicebackup2 \| 2\.00× \| yes/);
    expect(targets).toMatch(/engine on large over TLS ≥ 1 GB\/s \| 200\.0 MB\/s \| no/);
    expect(targets).toMatch(/peak RSS ≤ 150 MB in every scenario \| max 90\.0 MB \| yes/);
  });

  it('on-disk ratio: wall time plus the sync after exit, per pair and as a median, only when every run has it', () => {
    const settled = (r: ToolRun, settle: number): ToolRun => ({ ...r, settle_s: settle });
    // ours 10 s + 0.1 s sync, theirs 12 s + 3 s sync: 1.20× at exit, 15 / 10.1 = 1.49× on disk
    const p1 = pairOf(1, settled(run('ours', 10, 90), 0.1), settled(run('theirs', 12, 7), 3));
    expect(p1.speedup).toBe(1.2);
    expect(p1.speedup_on_disk).toBe(1.485);
    const p2 = pairOf(2, settled(run('ours', 8, 90), 0), settled(run('theirs', 8, 7), 4)); // 12 / 8
    const p3 = pairOf(3, settled(run('ours', 10, 90), 0), settled(run('theirs', 10, 7), 0)); // 1.00
    const r = summarise(spec, ctx, [p1, p2, p3], [], [], []);
    expect(r.speedup_median).toBe(1);
    expect(r.speedup_on_disk_median).toBe(1.485);
    const table = resultsTable([r]);
    expect(table).toContain('| 1.49× |');
    expect(table).toMatch(/idevicebackup2 \|.*\| 3\.00 \|/); // theirs' median sync after exit
    // a pair without the sync measurement (restores, no `sync -f`) has no on-disk ratio, nor has the scenario
    const bare = pairOf(4, run('ours', 10, 90), settled(run('theirs', 12, 7), 3));
    expect(bare.speedup_on_disk).toBeUndefined();
    expect(summarise(spec, ctx, [p1, bare], [], [], []).speedup_on_disk_median).toBeUndefined();
  });

  it('names the service TLS suite each tool agreed on, only where runs recorded one', () => {
    const withSuite = (r: ToolRun, suite: string): ToolRun => ({ ...r, tls_suite: suite });
    const p = pairOf(1, withSuite(run('ours', 5, 90), 'TLS_AES_128_GCM_SHA256'), withSuite(run('theirs', 6, 7), 'TLS_AES_256_GCM_SHA384'));
    const r = summarise(spec, ctx, [p], [p.ours, p.theirs], [], ['an earlier note']);
    expect(r.notes).toEqual([
      'an earlier note',
      "service TLS suite agreed with the simulator (which follows the client's order): ibackup TLS_AES_128_GCM_SHA256, idevicebackup2 TLS_AES_256_GCM_SHA384",
    ]);
    const plain = pairOf(1, run('ours', 5, 90), run('theirs', 6, 7));
    expect(summarise(spec, ctx, [plain], [plain.ours, plain.theirs], [], []).notes).toEqual([]);
  });

  it("over service TLS, idevicebackup2's ceiling is the sink with its own suite order where that was measured", () => {
    const p = pairOf(1, run('ours', 5, 90), run('theirs', 10, 7)); // 400 and 200 MB/s
    const ceiling = (mbps: number, suites?: string) => ({ mbps, files_per_s: 1, seconds: 1, sink_cpu_s: 1, sim_cpu_s: 1, ...(suites ? { tls13_suites: suites } : {}) });
    const r = summarise(spec, ctx, [p], [], [ceiling(900)], [], [ceiling(300, 'TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256'), ceiling(350, 'TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256')]);
    expect(r.sim_ceiling_mbps).toBe(900);
    expect(r.sim_ceiling_theirs_suite_mbps).toBe(350);
    expect(r.ceiling_over_ours).toBe(2.25);
    expect(r.ceiling_over_theirs).toBe(1.75);
    expect(r.notes.join('\n')).toMatch(/offering TLS_AES_256_GCM_SHA384 first\): 350 MB\/s/);
    expect(ceilingTable([r])).toContain('| 2.25× | 1.75× | **yes (< 2×)** |');
    // without it, both ratios use the one ceiling
    expect(summarise(spec, ctx, [p], [], [ceiling(900)], []).ceiling_over_theirs).toBe(4.5);
  });

  it('ceiling runs: the first half before the pairs, the rest after them', () => {
    expect([0, 1, 2, 3].map(ceilingSplit)).toEqual([
      { before: 0, after: 0 },
      { before: 1, after: 0 },
      { before: 1, after: 1 },
      { before: 2, after: 1 },
    ]);
  });

  it('chart: an SVG with one bar per scenario and one dot per pair', () => {
    const pairs = [pairOf(1, run('ours', 10, 90), run('theirs', 20, 7)), pairOf(2, run('ours', 10, 90), run('theirs', 5, 7))];
    const r = summarise(spec, ctx, pairs, [], [], []);
    const svg = ratioChartSvg([r, { ...r, variant: 'plain' }], 'title <&>');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('title &lt;&amp;&gt;');
    expect(svg.match(/<circle /g)).toHaveLength(4);
    expect(svg).toContain('large · plain');
  });

  it('doc update replaces only its own marked block', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ibk-bench-doc-'));
    try {
      const path = join(dir, 'benchmarks.md');
      const { start, end } = markers('quick');
      writeFileSync(path, `# Benchmarks\n\nhand-written\n\n${start}\nold table\n${end}\n\ntail text\n`);
      const r = summarise({ ...spec, name: 'small', dataset: 'small' }, ctx, [pairOf(1, run('ours', 1, 90), run('theirs', 1.5, 7))], [], [], []);
      const block = { kind: 'quick' as const, date: '2030-01-01', machine: 'm', commit: 'c', method: 'GNU time', jsonPath: 'bench/results/x.json', chartFile: 'c.svg', results: [r], failures: [] };
      updateDoc(path, block);
      updateDoc(path, block);
      const text = readFileSync(path, 'utf8');
      expect(text).not.toContain('old table');
      expect(text.split(start)).toHaveLength(2);
      expect(text).toContain('hand-written');
      expect(text).toContain('tail text');
      expect(text).toContain('**1.50×**');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('bench plan and options', () => {
  it('the full plan covers the issue #7 scenarios with ≥ 3 pairs after a warm-up, TLS on and off for large', () => {
    const plan = buildPlan({ quick: false, scenarios: [], variants: [] });
    expect([...new Set(plan.map((s) => s.name))]).toEqual(['large', 'many', 'photos', 'incremental', 'restore']);
    expect(plan.every((s) => s.pairs >= 3 && s.warmups >= 1)).toBe(true);
    expect(plan.every((s) => s.ceilingRuns >= 1)).toBe(true); // restore too (the restore source host)
    expect(plan.filter((s) => s.name === 'large').map((s) => s.variant)).toEqual(['plain', 'session-tls', 'tls']);
    expect(plan.find((s) => s.name === 'incremental')).toMatchObject({ dataset: 'photos', changeFraction: 0.01 });
  });

  it('--quick uses small datasets and one pair; filters and overrides apply', () => {
    const quick = buildPlan({ quick: true, scenarios: [], variants: [] });
    expect(quick.every((s) => s.pairs === 1 && (s.dataset === 'small' || s.dataset === 'tiny'))).toBe(true);
    const only = buildPlan({ quick: false, scenarios: ['many'], variants: ['plain'], pairs: 5 });
    expect(only).toEqual([expect.objectContaining({ name: 'many', variant: 'plain', pairs: 5 })]);
  });

  it('parses options and rejects unknown scenarios, variants and bad pair counts', () => {
    expect(parseBenchArgs(['--quick', '--scenario', 'large,many', '--variant', 'tls'])).toMatchObject({ quick: true, scenarios: ['large', 'many'], variants: ['tls'], doc: true });
    expect(parseBenchArgs(['--no-doc', '--pairs', '4'])).toMatchObject({ doc: false, pairs: 4 });
    expect(() => parseBenchArgs(['--scenario', 'huge'])).toThrow(/unknown scenario/);
    expect(() => parseBenchArgs(['--variant', 'ssl'])).toThrow(/unknown variant/);
    expect(() => parseBenchArgs(['--pairs', '0'])).toThrow(/positive integer/);
  });
});

describe('bench keeps backups of many files until it ends', () => {
  it('keeps only backups of many files, within the byte budget, and deletes them all at the end', () => {
    const root = mkdtempSync(join(tmpdir(), 'ibackup-kept-'));
    try {
      const dir = (name: string): string => {
        const d = join(root, name);
        mkdirSync(join(d, 'ab'), { recursive: true });
        writeFileSync(join(d, 'ab', 'f'), 'x');
        return d;
      };
      const kept = new KeptBackups();
      const many = dir('many');
      expect(kept.keep(dir('large'), 5, 2 * 1024 ** 3)).toBe(false); // few inodes: deleted at once as before
      expect(kept.keep(many, 50_000, 205_000_000)).toBe(true);
      expect(kept.keep(dir('just-under'), KEEP_FROM_FILES - 1, 1000)).toBe(false);
      expect(kept.keep(dir('too-big'), KEEP_FROM_FILES, KEEP_BUDGET_BYTES)).toBe(false); // over the budget with the first
      expect(kept.count).toBe(1);
      expect(existsSync(many)).toBe(true);
      kept.disposeAll();
      expect(existsSync(many)).toBe(false);
      expect(kept.count).toBe(0);
      expect(kept.keep(dir('again'), KEEP_FROM_FILES, KEEP_BUDGET_BYTES)).toBe(true); // the budget is free again
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
