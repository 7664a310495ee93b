// Command-line options of `npm run bench -- …`.
import { parseArgs } from 'node:util';
import { SCENARIO_NAMES } from './plan.js';
import { TLS_VARIANTS, type TlsVariant } from './types.js';

export interface BenchArgs {
  quick: boolean;
  scenarios: string[];
  variants: TlsVariant[];
  pairs?: number;
  workDir?: string;
  /** Write docs/benchmarks.md and the chart (default true; --no-doc turns it off). */
  doc: boolean;
  help: boolean;
}

export const USAGE = `npm run bench -- [--quick] [--scenario NAME[,NAME…]] [--variant plain|session-tls|tls[,…]] [--pairs N]
                  [--work DIR] [--no-doc]
  --quick      reduced run (small datasets, 1 pair after a warm-up; a few minutes at most)
  --scenario   only these scenarios (${SCENARIO_NAMES.join(', ')})
  --variant    TLS of the simulated iPhone: plain (none), session-tls (lockdown session only), tls (session + mobilebackup2)
  --pairs      measured ours/theirs pairs per scenario (default 3; quick 1)
  --work DIR   where backups are written (default: a new folder in the system temp dir; same disk for both tools)
  --no-doc     do not update docs/benchmarks.md and the chart`;

function list(v: string | string[] | undefined): string[] {
  const all = Array.isArray(v) ? v : v === undefined ? [] : [v];
  return all.flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
}

export function parseBenchArgs(argv: string[]): BenchArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean' },
      scenario: { type: 'string', multiple: true },
      variant: { type: 'string', multiple: true },
      pairs: { type: 'string' },
      work: { type: 'string' },
      'no-doc': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  const scenarios = list(values.scenario);
  for (const s of scenarios) if (!SCENARIO_NAMES.includes(s)) throw new Error(`unknown scenario '${s}' (one of: ${SCENARIO_NAMES.join(', ')})`);
  const variants = list(values.variant);
  for (const v of variants) if (!(TLS_VARIANTS as readonly string[]).includes(v)) throw new Error(`unknown variant '${v}' (one of: ${TLS_VARIANTS.join(', ')})`);
  let pairs: number | undefined;
  if (values.pairs !== undefined) {
    pairs = Number(values.pairs);
    if (!Number.isSafeInteger(pairs) || pairs < 1) throw new Error(`--pairs must be a positive integer, got '${values.pairs}'`);
  }
  return {
    quick: values.quick === true,
    scenarios,
    variants: variants as TlsVariant[],
    pairs,
    workDir: values.work,
    doc: values['no-doc'] !== true,
    help: values.help === true,
  };
}
