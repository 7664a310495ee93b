// `npm run bench` (issue #7): ibackup vs Debian's idevicebackup2 against the simulated iPhone. See
// docs/benchmarks.md for the method. Prints tables on stdout, progress on stderr, writes bench/results/*.json, and
// (for unfiltered runs) updates docs/benchmarks.md and its chart.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseBenchArgs, USAGE, type BenchArgs } from './args.js';
import { ratioChartSvg } from './chart.js';
import { updateDoc } from './doc.js';
import { describeMachine, gitHead } from './machine.js';
import { GNU_TIME, measurementMethod } from './measure.js';
import { buildPlan } from './plan.js';
import { ceilingTable, resultsTable, targetsTable } from './report.js';
import { runScenario, type RunContext } from './scenario-runner.js';
import { haveIdevicebackup2, IBACKUP_BIN, REPO_ROOT, snapshotBuild } from './tools.js';
import type { ScenarioResult } from './types.js';

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

function resultName(a: BenchArgs, date: string): string {
  const filtered = a.scenarios.length > 0 || a.variants.length > 0 || a.pairs !== undefined;
  const kind = a.quick ? 'quick' : 'full';
  return filtered ? `${date}-${kind}-partial.json` : `${date}-${kind}.json`;
}

async function main(argv: string[]): Promise<number> {
  let args: BenchArgs;
  try {
    args = parseBenchArgs(argv);
  } catch (err) {
    log(`bench: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (!haveIdevicebackup2()) {
    log('bench: /usr/bin/idevicebackup2 is missing — install Debian\'s libimobiledevice-utils (apt-get install libimobiledevice-utils).');
    return 2;
  }
  if (!existsSync(IBACKUP_BIN)) {
    log(`bench: ${IBACKUP_BIN} is missing; run from the repository (npm run bench).`);
    return 2;
  }
  if (!existsSync(GNU_TIME)) {
    log('bench: GNU time (/usr/bin/time) is not installed; falling back to polling /proc every 20 ms (CPU figures may miss the last 20 ms).');
    log('       For exact figures: sudo apt-get install time');
  }
  const plan = buildPlan({ quick: args.quick, scenarios: args.scenarios, variants: args.variants, pairs: args.pairs });
  const ownWork = args.workDir === undefined;
  const workDir = args.workDir ?? mkdtempSync(join(tmpdir(), 'ibackup-bench-'));
  mkdirSync(workDir, { recursive: true });
  const now = new Date();
  const date = now.toISOString().slice(0, 10);
  snapshotBuild(join(workDir, 'code'));
  const machine = describeMachine(workDir);
  const commit = gitHead(REPO_ROOT);
  const ctx: RunContext = { workDir, log, quick: args.quick, machine, date: now.toISOString(), commit };
  log(`bench: ${plan.length} scenario runs on ${machine}`);
  log(`bench: backups go to ${workDir} (deleted after each measurement)`);

  const started = Date.now();
  const results: ScenarioResult[] = [];
  const failures: string[] = [];
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  try {
    for (const spec of plan) {
      if (stop.signal.aborted) break;
      try {
        results.push(await runScenario(ctx, spec));
      } catch (err) {
        const msg = `${spec.name} (${spec.variant}): ${(err as Error).message}`;
        failures.push(msg);
        log(`  FAILED ${msg}`);
      }
    }
  } finally {
    if (ownWork) rmSync(workDir, { recursive: true, force: true });
  }
  log(`bench: done in ${((Date.now() - started) / 1000).toFixed(0)} s`);

  const resultsDir = join(REPO_ROOT, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const jsonPath = join(resultsDir, resultName(args, date));
  writeFileSync(jsonPath, `${JSON.stringify(results, null, 2)}\n`);

  const out = [
    '',
    resultsTable(results),
    '',
    'Simulator ceiling (sink host that discards the data):',
    '',
    ceilingTable(results),
    '',
    'Targets (issue #7):',
    '',
    targetsTable(results),
    '',
    ...(failures.length > 0 ? ['FAILED:', ...failures.map((f) => `  ${f}`), ''] : []),
    `Results: ${relative(process.cwd(), jsonPath)}`,
  ];
  process.stdout.write(`${out.join('\n')}\n`);

  const filtered = jsonPath.endsWith('-partial.json');
  if (args.doc && !filtered && results.length > 0) {
    const kind = args.quick ? 'quick' : 'full';
    const chartFile = kind === 'quick' ? 'benchmarks-chart-quick.svg' : 'benchmarks-chart.svg';
    writeFileSync(join(REPO_ROOT, 'docs', chartFile), ratioChartSvg(results, `ibackup vs idevicebackup2 — ${kind} run ${date}`));
    updateDoc(join(REPO_ROOT, 'docs', 'benchmarks.md'), {
      kind,
      date,
      machine,
      commit,
      method: measurementMethod(),
      jsonPath: relative(REPO_ROOT, jsonPath),
      chartFile,
      results,
      failures,
    });
    process.stdout.write(`Updated docs/benchmarks.md and docs/${chartFile}\n`);
  }
  return failures.length > 0 ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    log(`bench: ${String((err as Error)?.stack ?? err)}`);
    process.exitCode = 1;
  },
);
