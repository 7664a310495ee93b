// Which scenarios a run measures: the full plan of issue #7 or the reduced --quick plan, filtered by --scenario and
// --variant.
import type { ScenarioSpec, TlsVariant } from './types.js';

export interface PlanOptions {
  quick: boolean;
  /** Only these scenario names (empty: all). */
  scenarios: string[];
  /** Override the TLS variants of every scenario (empty: each scenario's defaults). */
  variants: TlsVariant[];
  /** Override the number of measured pairs. */
  pairs?: number;
}

type Base = Omit<ScenarioSpec, 'variant' | 'pairs' | 'warmups' | 'ceilingRuns'> & { variants: TlsVariant[] };

const FULL: Base[] = [
  { name: 'large', kind: 'backup', dataset: 'large', variants: ['plain', 'session-tls', 'tls'] },
  { name: 'many', kind: 'backup', dataset: 'many', variants: ['session-tls', 'tls'] },
  { name: 'photos', kind: 'backup', dataset: 'photos', variants: ['session-tls'] },
  { name: 'incremental', kind: 'incremental', dataset: 'photos', variants: ['session-tls'], changeFraction: 0.01 },
  { name: 'restore', kind: 'restore', dataset: 'photos', variants: ['session-tls'] },
];

const QUICK: Base[] = [
  { name: 'small', kind: 'backup', dataset: 'small', variants: ['plain', 'session-tls', 'tls'] },
  { name: 'incremental', kind: 'incremental', dataset: 'small', variants: ['session-tls'], changeFraction: 0.01 },
  { name: 'restore', kind: 'restore', dataset: 'small', variants: ['session-tls'] },
];

export const SCENARIO_NAMES = [...new Set([...FULL, ...QUICK].map((b) => b.name))];

export function buildPlan(o: PlanOptions): ScenarioSpec[] {
  const bases = (o.quick ? QUICK : FULL).filter((b) => o.scenarios.length === 0 || o.scenarios.includes(b.name));
  const pairs = o.pairs ?? (o.quick ? 1 : 3);
  const out: ScenarioSpec[] = [];
  for (const b of bases) {
    const { variants, ...rest } = b;
    for (const variant of o.variants.length > 0 ? o.variants : variants) {
      out.push({
        ...rest,
        variant,
        pairs,
        warmups: 1,
        ceilingRuns: o.quick ? 1 : 2,
      });
    }
  }
  return out;
}
