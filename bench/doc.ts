// Writes the latest tables into docs/benchmarks.md between markers (one block for full runs, one for --quick runs),
// leaving the hand-written text around them alone.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { ceilingTable, resultsTable, targetsTable } from './report.js';
import type { ScenarioResult } from './types.js';

export interface DocBlock {
  kind: 'full' | 'quick';
  date: string;
  machine: string;
  commit: string;
  method: string;
  jsonPath: string;
  chartFile: string;
  results: ScenarioResult[];
  failures: string[];
}

export function markers(kind: 'full' | 'quick'): { start: string; end: string } {
  return { start: `<!-- bench:${kind}:start -->`, end: `<!-- bench:${kind}:end -->` };
}

export function renderBlock(b: DocBlock): string {
  const pairs = b.results[0]?.pairs.length ?? 0;
  const notes = [...new Set(b.results.flatMap((r) => r.notes.map((n) => `- ${r.scenario}: ${n}`)))];
  return [
    `### Latest ${b.kind === 'quick' ? '`--quick`' : 'full'} run — ${b.date}`,
    '',
    `Machine: ${b.machine}. Code: commit ${b.commit} (work tree as built at the start of the run).`,
    `${pairs} measured pair(s) per scenario after one warm-up pair; medians shown; peak RSS is the highest over all runs.`,
    `Measured with ${b.method}. Raw data: \`${b.jsonPath}\`.`,
    '',
    resultsTable(b.results),
    '',
    '**Simulator ceiling** (backups: sink host that discards the data; restore: source host that sends it from memory):',
    '',
    ceilingTable(b.results),
    '',
    '**Targets (issue #7):**',
    '',
    targetsTable(b.results),
    '',
    ...(notes.length > 0 ? ['Notes:', '', ...notes, ''] : []),
    ...(b.failures.length > 0 ? ['**Not completed in this run:**', '', ...b.failures.map((f) => `- ${f.replace(/\s*\n\s*/g, ' — ')}`), ''] : []),
    `![ratio chart](${b.chartFile})`,
  ].join('\n');
}

/** Replace (or append) the block of this kind in the document. */
export function updateDoc(path: string, b: DocBlock): void {
  const { start, end } = markers(b.kind);
  const block = `${start}\n${renderBlock(b)}\n${end}`;
  const text = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmarks\n';
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  const next = i >= 0 && j > i ? `${text.slice(0, i)}${block}${text.slice(j + end.length)}` : `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(path, next);
}
