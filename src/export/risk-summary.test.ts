import type { RiskReport } from './anon-measure';
import { summariseRisk } from './risk-summary';

const report = (over: Partial<RiskReport>): RiskReport => ({
  policy: { k: 3, maxAverageRisk: 0.34, l: 2, maxSuppression: 0.1, dates: 'month' },
  quasiIdentifiers: ['birth', 'sex'],
  sensitiveAttribute: 'diagnosis chapter',
  lApplied: false,
  met: true,
  generalisation: { birth: { level: 1, releases: '5-year band', informationLoss: 0.5 }, sex: { level: 0, releases: 'sex', informationLoss: 0 } },
  persons: 31,
  released: 30,
  suppressed: 1,
  suppressedBelowK: 1,
  suppressionRate: 0.032258,
  classes: 6,
  kMin: 3,
  maxRisk: 0.333333,
  averageRisk: 0.2,
  lMin: 0,
  tMax: 0,
  informationLoss: 0.25,
  benchmarks: [],
  maxRelativeError: 0,
  failed: [],
  ...over,
});

describe('summariseRisk', () => {
  it('says whether the policy holds, the counts against their thresholds, and the levels released', () => {
    const text = summariseRisk(report({}));
    expect(text).toMatch(/^Risk report: policy met\n/);
    expect(text).toContain('suppressed 1 (3.2%, at most 10%)');
    expect(text).toContain('k-min 3 (k = 3), max risk 0.333333, average risk 0.2 (at most 0.34)');
    expect(text).toContain('released as birth: 5-year band, sex: sex');
    expect(text).not.toContain('l-min');
  });

  it('names every threshold that failed, and l only where it applied', () => {
    const text = summariseRisk(report({ met: false, lApplied: true, lMin: 1, failed: ['average prosecutor risk 0.5 exceeds 0.34'] }));
    expect(text).toMatch(/^Risk report: policy NOT met/);
    expect(text).toContain(', l-min 1 (l = 2)');
    expect(text).toContain('  failed: average prosecutor risk 0.5 exceeds 0.34');
  });
});
