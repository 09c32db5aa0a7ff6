import { chooseOffThread } from './anon-choose';
import { BENCHMARKS, DIMENSIONS, SENSITIVE, type PersonQi } from './anon-qi';
import { choose } from './anon-risk';

const person = (i: number, year: number): PersonQi => ({
  id: `p${i}`,
  birth: [String(year), `${year - (year % 5)}..${year - (year % 5) + 4}`, `${year - (year % 10)}..${year - (year % 10) + 9}`],
  decade: `${year - (year % 10)}s`,
  sex: i % 2 ? 'male' : 'female',
  region: ['1101', '11', ''],
  visits: '1',
  rare: 'no',
  diagnosis: 'EIJ'[i % 3],
});

describe('chooseOffThread', () => {
  it('decides on a worker thread what choose decides in process', async () => {
    const population = Array.from({ length: 60 }, (_, i) => person(i, 1970 + (i % 7)));
    const policy = { k: 5, maxAverageRisk: 0.2, l: 3, maxSuppression: 0.05, dates: 'month' as const };
    const here = choose(population, DIMENSIONS, SENSITIVE.value, policy, BENCHMARKS);
    const there = await chooseOffThread({ population, policy });
    expect(there).toEqual({ levels: here.levels, met: here.met, measurement: here.measurement, suppressed: here.suppressed.map((p) => p.id) });
    expect(there.levels).toEqual([1, 0, 0, 0, 0]);
    expect(there.met).toBe(true);
  });
});
