import type { RiskReport } from './anon-measure';

/** An anonymised release's risk report in a few lines, for a person at a terminal (the command-line export). */
export function summariseRisk(report: RiskReport): string {
  const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;
  const levels = Object.entries(report.generalisation)
    .map(([name, g]) => `${name}: ${g.releases}`)
    .join(', ');
  const l = report.lApplied ? `, l-min ${report.lMin} (l = ${report.policy.l})` : '';
  return [
    `Risk report: ${report.met ? 'policy met' : 'policy NOT met'}`,
    `  persons ${report.persons}, released ${report.released}, suppressed ${report.suppressed} (${pct(report.suppressionRate)}, at most ${pct(report.policy.maxSuppression)})`,
    `  classes ${report.classes}, k-min ${report.kMin} (k = ${report.policy.k}), max risk ${report.maxRisk}, average risk ${report.averageRisk} (at most ${report.policy.maxAverageRisk})${l}`,
    ...(levels ? [`  released as ${levels}`] : []),
    ...report.failed.map((f) => `  failed: ${f}`),
  ].join('\n');
}
