// `npm run bench` (issue #7): ibackup vs Debian's idevicebackup2 against the simulated iPhone. See
// docs/benchmarks.md for the method. Prints tables on stdout, progress on stderr, writes bench/results/*.json, and
// (for unfiltered runs) updates docs/benchmarks.md and its chart.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseBenchArgs, USAGE, type BenchArgs } from './args.js';
import { ratioChartSvg } from './chart.js';
import { updateDoc } from './doc.js';
import { KEEP_FROM_FILES, KeptBackups } from './kept-backups.js';
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
  const ctx: RunContext = { workDir, log, quick: args.quick, machine, date: now.toISOString(), commit, kept: new KeptBackups() };
  log(`bench: ${plan.length} scenario runs on ${machine}`);
  log(`bench: backups go to ${workDir} (deleted after each measurement; backups of ${KEEP_FROM_FILES.toLocaleString('en-US')}+ files at the end)`);

  const started = Date.now();
  const results: ScenarioResult[] = [];
  const failures: string[] = [];
  const stop = new AbortController();
  ctx.signal = stop.signal;
  const onSignal = (): void => {
    log('bench: stopping (results so far are kept)…');
    stop.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const resultsDir = join(REPO_ROOT, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const jsonPath = join(resultsDir, resultName(args, date));
  const kind = args.quick ? 'quick' : 'full';
  const chartFile = kind === 'quick' ? 'benchmarks-chart-quick.svg' : 'benchmarks-chart.svg';
  const updatesDoc = args.doc && !jsonPath.endsWith('-partial.json');
  /** Written after every scenario, so a long run that is stopped still leaves its data. */
  const publish = (final: boolean): void => {
    writeFileSync(jsonPath, `${JSON.stringify(results, null, 2)}\n`);
    if (!updatesDoc || results.length === 0) return;
    const pending = plan.length - results.length - failures.length;
    const status = final ? [...failures] : [...failures, `run in progress or stopped: ${pending} scenario run(s) not finished`];
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
      failures: status,
    });
  };
  try {
    for (const spec of plan) {
      if (stop.signal.aborted) break;
      try {
        results.push(await runScenario(ctx, spec));
      } catch (err) {
        const why = stop.signal.aborted ? 'stopped (Ctrl-C/SIGTERM) during this scenario' : (err as Error).message;
        const msg = `${spec.name} (${spec.variant}): ${why}`;
        failures.push(msg);
        log(`  FAILED ${msg}`);
      }
      publish(false);
    }
  } finally {
    ctx.kept?.disposeAll();
    if (ownWork) rmSync(workDir, { recursive: true, force: true });
  }
  const unfinished = plan.length - results.length - failures.length;
  if (unfinished > 0) failures.push(`stopped before ${unfinished} scenario run(s)`);
  publish(true);
  log(`bench: done in ${((Date.now() - started) / 1000).toFixed(0)} s`);

  const out = [
    '',
    resultsTable(results),
    '',
    'Simulator ceiling (backups: sink host that discards the data; restore: source host that sends it from memory):',
    '',
    ceilingTable(results),
    '',
    'Targets (issue #7):',
    '',
    targetsTable(results),
    '',
    ...(failures.length > 0 ? ['FAILED:', ...failures.map((f) => `  ${f}`), ''] : []),
    `Results: ${relative(process.cwd(), jsonPath)}`,
    ...(updatesDoc && results.length > 0 ? [`Updated docs/benchmarks.md and docs/${chartFile}`] : []),
  ];
  process.stdout.write(`${out.join('\n')}\n`);
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
