// Turns results into the stdout/Markdown tables (pure functions, unit-tested for shape).
import { median } from './stats.js';
import type { ScenarioResult, ToolRun } from './types.js';

const fmt = (v: number | undefined, digits = 1): string => (v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(digits));
/** A rate with as many decimals as it needs to stay readable (0.56 files/s, 466 files/s). */
const rate = (v: number | undefined): string => (v === undefined || !Number.isFinite(v) ? '–' : v < 10 ? v.toFixed(2) : v.toFixed(0));

function simShare(runs: ToolRun[]): string {
  const shares = runs.map((r) => (r.wall_s > 0 ? r.sim_cpu_s / r.wall_s : 0));
  return `${Math.round(median(shares) * 100)} %`;
}

/** Median seconds of the `sync -f` after each run (backups only; '–' where not measured). */
function settleMedian(runs: ToolRun[]): string {
  const s = runs.flatMap((r) => (r.settle_s !== undefined ? [r.settle_s] : []));
  return s.length === runs.length && s.length > 0 ? fmt(median(s), 2) : '–';
}

export function scenarioLabel(r: Pick<ScenarioResult, 'scenario' | 'dataset'>): string {
  return r.scenario === r.dataset ? r.scenario : `${r.scenario} (${r.dataset})`;
}

/** The main table: one row per scenario, TLS variant and tool; the ours row carries the pair ratios and median. */
export function resultsTable(results: ScenarioResult[]): string {
  const head = [
    '| Scenario | TLS | Tool | Wall s | MB/s | files/s | CPU s | Peak RSS MB | Sim CPU/wall | Load | Ratio per pair (ours/theirs) | Median ratio | Sync after exit s | On-disk ratio |',
    '|---|---|---|--:|--:|--:|--:|--:|--:|--:|---|--:|--:|--:|',
  ];
  const rows: string[] = [];
  for (const r of results) {
    for (const tool of ['ours', 'theirs'] as const) {
      const runs = r.pairs.map((p) => p[tool]);
      const ours = tool === 'ours';
      rows.push(
        [
          '',
          ours ? scenarioLabel(r) : '',
          ours ? r.variant : '',
          ours ? 'ibackup' : 'idevicebackup2',
          fmt(ours ? r.ours_wall_s : r.theirs_wall_s, 2),
          fmt(ours ? r.ours_mbps : r.theirs_mbps),
          rate(ours ? r.ours_files_per_s : r.theirs_files_per_s),
          fmt(ours ? r.ours_cpu_s : r.theirs_cpu_s, 2),
          fmt(ours ? r.ours_peak_rss_mb : r.theirs_peak_rss_mb),
          simShare(runs),
          fmt(median(runs.map((x) => x.load_1m)), 1),
          ours ? r.pairs.map((p) => fmt(p.speedup, 2)).join(', ') : '',
          ours ? `**${fmt(r.speedup_median, 2)}×**` : '',
          settleMedian(runs),
          ours && r.speedup_on_disk_median !== undefined ? `${fmt(r.speedup_on_disk_median, 2)}×` : '',
          '',
        ].join(' | ').trim(),
      );
    }
  }
  return [...head, ...rows].join('\n');
}

/** The simulator's serving ceiling (sink host; restore source host for restores) against both tools. */
export function ceilingTable(results: ScenarioResult[]): string {
  const withCeiling = results.filter((r) => r.sim_ceiling_mbps !== undefined);
  if (withCeiling.length === 0) return '_The simulator ceiling was not measured in this run._';
  const head = [
    '| Scenario | TLS | Ceiling MB/s (best) | Ceiling files/s | Ceiling ÷ ibackup | Ceiling ÷ idevicebackup2 | Simulator limiting? |',
    '|---|---|--:|--:|--:|--:|---|',
  ];
  const rows = withCeiling.map((r) => {
    const best = [...(r.sim_ceiling_runs ?? [])].sort((a, b) => b.mbps - a.mbps)[0];
    const limiting = Math.min(r.ceiling_over_ours ?? Infinity, r.ceiling_over_theirs ?? Infinity) < 2;
    return `| ${scenarioLabel(r)} | ${r.variant} | ${fmt(r.sim_ceiling_mbps)} | ${rate(best?.files_per_s)} | ${fmt(r.ceiling_over_ours, 2)}× | ${fmt(r.ceiling_over_theirs, 2)}× | ${limiting ? '**yes (< 2×)**' : 'no'} |`;
  });
  return [...head, ...rows].join('\n');
}

/** Targets of issue #7 checked against this run's numbers. */
export function targetsTable(results: ScenarioResult[]): string {
  const find = (name: string) => results.filter((r) => r.scenario === name);
  const lines = ['| Target | Measured | Met? |', '|---|---|---|'];
  const ratioTarget = (name: string) => {
    for (const r of find(name)) {
      lines.push(`| ${name} (${r.variant}) ≥ 1.5× idevicebackup2 | ${fmt(r.speedup_median, 2)}× | ${r.speedup_median >= 1.5 ? 'yes' : 'no'} |`);
    }
  };
  for (const n of ['large', 'many', 'incremental', 'restore', 'small']) ratioTarget(n);
  for (const r of find('large').filter((x) => x.variant === 'tls')) {
    lines.push(`| engine on large over TLS ≥ 1 GB/s | ${fmt(r.ours_mbps)} MB/s | ${r.ours_mbps >= 1000 ? 'yes' : 'no'} |`);
  }
  const peak = Math.max(0, ...results.map((r) => r.ours_peak_rss_mb));
  lines.push(`| our peak RSS ≤ 150 MB in every scenario | max ${fmt(peak)} MB | ${peak <= 150 ? 'yes' : 'no'} |`);
  return lines.join('\n');
}
