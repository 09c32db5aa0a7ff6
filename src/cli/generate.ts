import fs from 'node:fs';
import path from 'node:path';
import { familyBundle, generateFamily } from '../bench/generate';
import { parseCommandLine, runCommand, UsageError, wholeNumber } from './command';

const USAGE = `Usage: npm run generate -- --persons N [--seed S] [--days D] [--as-of YYYY-MM-DD] --out DIR [--format bundle|ndjson|both] [--split-at P1,P2,...]
Writes a deterministic synthetic insured population: DIR/bundles/family-*.json (transaction Bundles)
and/or DIR/ndjson/<Type>.ndjson. --days sets the days of wearable readings per person (default 30).
--split-at writes the NDJSON in person-ordered parts, DIR/ndjson/part-1/ up to P1 persons, part-2/ up
to P2 and so on, the last part up to N: whole families, so each part's references resolve within it
or in the parts before it.`;

function main(argv: string[]): number {
  const { values } = parseCommandLine(argv, {
    persons: { type: 'string' },
    seed: { type: 'string', default: '1' },
    days: { type: 'string', default: '30' },
    'as-of': { type: 'string', default: '2026-11-01' },
    out: { type: 'string' },
    format: { type: 'string', default: 'both' },
    'split-at': { type: 'string' },
  });
  if (values.persons === undefined) throw new UsageError('--persons is required');
  if (!values.out) throw new UsageError('--out is required');
  const persons = wholeNumber('persons', values.persons, 1) as number;
  wholeNumber('seed', values.seed, 0);
  wholeNumber('days', values.days, 0);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(values['as-of']) || Number.isNaN(Date.parse(values['as-of']))) throw new UsageError(`--as-of takes a date YYYY-MM-DD, got "${values['as-of']}"`);
  if (!['bundle', 'ndjson', 'both'].includes(values.format)) throw new UsageError(`--format must be bundle, ndjson or both, got "${values.format}"`);
  const splitAt = values['split-at'] ? values['split-at'].split(',').map(Number) : [];
  const marksOk = splitAt.every((p, i) => Number.isInteger(p) && p > (splitAt[i - 1] ?? 0) && p < persons);
  if (!marksOk) throw new UsageError(`--split-at takes increasing whole numbers of persons below --persons (${persons}), got "${values['split-at']}"`);
  const opts = { seed: Number(values.seed), monitoringDays: Number(values.days), asOf: `${values['as-of']}T00:00:00Z` };
  const out = values.out;
  const bundles = values.format !== 'ndjson';
  const ndjson = values.format !== 'bundle';
  if (bundles) fs.mkdirSync(path.join(out, 'bundles'), { recursive: true });
  const streams = new Map<string, number>();
  const closeStreams = () => {
    for (const fd of streams.values()) fs.closeSync(fd);
    streams.clear();
  };
  let part = 0;
  const ndjsonDir = () => (splitAt.length ? path.join(out, 'ndjson', `part-${part + 1}`) : path.join(out, 'ndjson'));
  if (ndjson) fs.mkdirSync(ndjsonDir(), { recursive: true });
  const seenShared = new Set<string>();
  let people = 0;
  let resources = 0;
  let partStart = { people: 0, resources: 0 };
  const reportPart = () => {
    if (splitAt.length) console.log(`part-${part + 1}: ${people - partStart.people} persons, ${resources - partStart.resources} resources (${people} persons, ${resources} in all so far)`);
    partStart = { people, resources };
  };
  for (let family = 0; people < persons; family++) {
    if (part < splitAt.length && people >= splitAt[part]) {
      reportPart();
      closeStreams();
      part++;
      if (ndjson) fs.mkdirSync(ndjsonDir(), { recursive: true });
    }
    const list = generateFamily(family, opts);
    people += list.filter((r) => r.resourceType === 'Patient').length;
    if (bundles) fs.writeFileSync(path.join(out, 'bundles', `family-${String(family).padStart(6, '0')}.json`), JSON.stringify(familyBundle(list)));
    for (const r of list) {
      // shared organizations and practitioners once, in the first family (and part) that uses them
      const shared = r.resourceType === 'Organization' || r.resourceType === 'Practitioner';
      if (shared && seenShared.has(`${r.resourceType}/${r.id}`)) continue;
      if (shared) seenShared.add(`${r.resourceType}/${r.id}`);
      resources++;
      if (!ndjson) continue;
      let fd = streams.get(r.resourceType);
      if (fd === undefined) streams.set(r.resourceType, (fd = fs.openSync(path.join(ndjsonDir(), `${r.resourceType}.ndjson`), 'w')));
      fs.writeSync(fd, `${JSON.stringify(r)}\n`);
    }
  }
  reportPart();
  closeStreams();
  console.log(`${people} persons, ${resources} resources written to ${out}`);
  return 0;
}

runCommand(USAGE, main);
