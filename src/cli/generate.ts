import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { familyBundle, generateFamily } from '../bench/generate';

const USAGE = `Usage: npm run generate -- --persons N [--seed S] [--days D] [--as-of YYYY-MM-DD] --out DIR [--format bundle|ndjson|both]
Writes a deterministic synthetic insured population: DIR/bundles/family-*.json (transaction Bundles)
and/or DIR/ndjson/<Type>.ndjson. --days sets the days of wearable readings per person (default 30).`;

function main(): number {
  const { values } = parseArgs({
    options: {
      persons: { type: 'string' },
      seed: { type: 'string', default: '1' },
      days: { type: 'string', default: '30' },
      'as-of': { type: 'string', default: '2026-11-01' },
      out: { type: 'string' },
      format: { type: 'string', default: 'both' },
    },
  });
  const persons = Number(values.persons);
  if (!values.out || !Number.isInteger(persons) || persons < 1 || !['bundle', 'ndjson', 'both'].includes(values.format as string)) {
    console.error(USAGE);
    return 2;
  }
  const opts = { seed: Number(values.seed), monitoringDays: Number(values.days), asOf: `${values['as-of']}T00:00:00Z` };
  const out = values.out;
  const bundles = values.format !== 'ndjson';
  const ndjson = values.format !== 'bundle';
  if (bundles) fs.mkdirSync(path.join(out, 'bundles'), { recursive: true });
  if (ndjson) fs.mkdirSync(path.join(out, 'ndjson'), { recursive: true });
  const streams = new Map<string, number>();
  const seenShared = new Set<string>();
  let people = 0;
  let resources = 0;
  for (let family = 0; people < persons; family++) {
    const list = generateFamily(family, opts);
    people += list.filter((r) => r.resourceType === 'Patient').length;
    resources += list.length;
    if (bundles) fs.writeFileSync(path.join(out, 'bundles', `family-${String(family).padStart(6, '0')}.json`), JSON.stringify(familyBundle(list)));
    if (ndjson) {
      for (const r of list) {
        const key = `${r.resourceType}/${r.id}`;
        if (seenShared.has(key)) continue; // shared organizations and practitioners once
        seenShared.add(key);
        let fd = streams.get(r.resourceType);
        if (fd === undefined) streams.set(r.resourceType, (fd = fs.openSync(path.join(out, 'ndjson', `${r.resourceType}.ndjson`), 'w')));
        fs.writeSync(fd, `${JSON.stringify(r)}\n`);
      }
    }
  }
  for (const fd of streams.values()) fs.closeSync(fd);
  console.log(`${people} persons, ${resources} resources written to ${out}`);
  return 0;
}

process.exit(main());
