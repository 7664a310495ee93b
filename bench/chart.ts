// An SVG chart of the ours/theirs ratios: one bar per scenario and TLS variant (the median), a dot per pair, and
// reference lines at 1× (parity) and 1.5× (the issue #7 target). Pure string output, no dependencies.
import { scenarioLabel } from './report.js';
import type { ScenarioResult } from './types.js';

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function ratioChartSvg(results: ScenarioResult[], title: string): string {
  const rowH = 30;
  const left = 210;
  const right = 40;
  const top = 50;
  const plotW = 520;
  const width = left + plotW + right;
  const height = top + Math.max(1, results.length) * rowH + 50;
  const maxRatio = Math.max(2, ...results.flatMap((r) => [r.speedup_median, ...r.pairs.map((p) => p.speedup)]).filter(Number.isFinite));
  const xMax = Math.ceil(maxRatio * 2) / 2;
  const x = (v: number): number => left + (Math.max(0, Math.min(v, xMax)) / xMax) * plotW;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="${width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`);
  out.push(`<text x="${width / 2}" y="36" text-anchor="middle" fill="#555">ibackup throughput ÷ idevicebackup2 throughput (bar = median, dots = pairs; &gt; 1 = ibackup faster)</text>`);
  const bottom = top + results.length * rowH;
  for (let t = 0; t <= xMax + 1e-9; t += 0.5) {
    out.push(`<line x1="${x(t)}" y1="${top - 4}" x2="${x(t)}" y2="${bottom}" stroke="#eee"/>`);
    out.push(`<text x="${x(t)}" y="${bottom + 16}" text-anchor="middle" fill="#555">${t.toFixed(1)}×</text>`);
  }
  results.forEach((r, i) => {
    const y = top + i * rowH;
    const med = Number.isFinite(r.speedup_median) ? r.speedup_median : 0;
    const color = med >= 1.5 ? '#2e7d32' : med >= 1 ? '#f9a825' : '#c62828';
    out.push(`<text x="${left - 8}" y="${y + rowH / 2 + 4}" text-anchor="end">${esc(`${scenarioLabel(r)} · ${r.variant}`)}</text>`);
    out.push(`<rect x="${left}" y="${y + 6}" width="${Math.max(1, x(med) - left)}" height="${rowH - 12}" fill="${color}" opacity="0.8"/>`);
    out.push(`<text x="${x(med) + 6}" y="${y + rowH / 2 + 4}" fill="#222">${med.toFixed(2)}×</text>`);
    for (const p of r.pairs) {
      if (Number.isFinite(p.speedup)) out.push(`<circle cx="${x(p.speedup)}" cy="${y + rowH / 2}" r="3" fill="#000" opacity="0.7"/>`);
    }
  });
  out.push(`<line x1="${x(1)}" y1="${top - 4}" x2="${x(1)}" y2="${bottom}" stroke="#333" stroke-width="1.5"/>`);
  out.push(`<line x1="${x(1.5)}" y1="${top - 4}" x2="${x(1.5)}" y2="${bottom}" stroke="#2e7d32" stroke-width="1.5" stroke-dasharray="5,4"/>`);
  out.push(`<text x="${x(1.5) + 4}" y="${bottom + 32}" fill="#2e7d32">target 1.5×</text>`);
  out.push(`<text x="${x(1) - 4}" y="${bottom + 32}" text-anchor="end" fill="#333">parity</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
