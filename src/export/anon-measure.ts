import { createHash } from 'node:crypto';
import type { AnonymisedPolicy } from '../config';
import type { Resource } from '../fhir/types';
import type { GuardedStore } from '../guard/guarded-store';
import { chooseOffThread } from './anon-choose';
import { diagnosisCategories, DIMENSIONS, diagnosisChapters, primaryChapter, SENSITIVE, visitBand, type PersonQi } from './anon-qi';
import type { Measurement } from './anon-risk';
import type { Anonymiser, Release } from './deid-anonymise';
import { personOf } from './deid-pseudonymise';
import { typeWhere, type PlanContext } from './plan';
import type { ExportRequest } from './request';

/** The risk report of an anonymised release: the policy, what was measured, and whether it holds. */
export interface RiskReport extends Measurement {
  policy: AnonymisedPolicy;
  quasiIdentifiers: string[];
  sensitiveAttribute: string;
  /** Whether l-diversity was required: only when the sensitive attribute is released (Conditions are exported). */
  lApplied: boolean;
  /** Every threshold holds: the files are released. */
  met: boolean;
}

/** What the job row keeps of the decision, so a resumed job releases exactly what it measured. */
export interface PersistedRelease {
  /** SHA-256 of the population measured (each person's id and class key parts). */
  digest: string;
  birthLevel: number;
  regionLevel: number;
  suppressed: string[];
  report: RiskReport;
}

type Counting = Omit<PersonQi, 'visits' | 'rare' | 'diagnosis'> & { months: Set<string>; chapters: Record<string, number>; categories?: Set<string> };

/**
 * The measuring pass: page by page over the export's Patients, Encounters and Conditions (as the
 * export would select them, under the job's guarded store), keeping per person the class key parts
 * only, then the least generalised release that meets the policy. `renew` runs after every page (the
 * job's lease; a cancelled job stops there).
 */
export async function measureRelease(args: {
  store: GuardedStore;
  ctx: PlanContext;
  req: ExportRequest;
  anonymiser: Anonymiser;
  policy: AnonymisedPolicy;
  pageSize: number;
  renew(): Promise<void>;
}): Promise<{ release: Release; persisted: PersistedRelease }> {
  const { store, ctx, req, anonymiser, policy } = args;
  const people = new Map<string, Counting>();
  const each = async (type: string, visit: (r: Resource) => void) => {
    let after: string | undefined;
    do {
      const page = await store.search({ resourceTypes: [type], where: typeWhere(ctx, req, type), count: args.pageSize, after, total: 'none' });
      for (const record of page.records) if (record.json) visit(JSON.parse(record.json) as Resource);
      after = page.next;
      await args.renew();
    } while (after);
  };
  const personIn = (r: Resource) => {
    const person = personOf(r);
    return person.startsWith('Patient/') ? people.get(person.slice('Patient/'.length)) : undefined;
  };
  await each('Patient', (p) => people.set(p.id as string, { ...anonymiser.personQi(p), months: new Set(), chapters: {} }));
  if (req.types.includes('Encounter')) {
    await each('Encounter', (e) => {
      const start = (e as { period?: { start?: string } }).period?.start;
      const who = personIn(e);
      // the month as the files will show it: a recipient counts months on released dates
      if (who && start) who.months.add(anonymiser.date(start, 'start', `Patient/${who.id}`).slice(0, 7));
    });
  }
  // persons per ICD-10 category, each counted once: a category fewer than k persons have is rare
  const holders = new Map<string, number>();
  if (req.types.includes('Condition')) {
    await each('Condition', (c) => {
      const who = personIn(c);
      if (!who) return;
      const coded = c as { code?: { coding?: { system?: string; code?: string }[] } };
      for (const ch of diagnosisChapters(coded)) who.chapters[ch] = (who.chapters[ch] ?? 0) + 1;
      for (const cat of diagnosisCategories(coded)) {
        who.categories ??= new Set();
        if (who.categories.has(cat)) continue;
        who.categories.add(cat);
        holders.set(cat, (holders.get(cat) ?? 0) + 1);
      }
    });
  }
  const population: PersonQi[] = [];
  for (const { months, chapters, categories, ...p } of people.values()) {
    const rare = [...(categories ?? [])].some((cat) => (holders.get(cat) ?? 0) < policy.k) ? 'yes' : 'no';
    population.push({ ...p, visits: visitBand(months.size), rare, diagnosis: primaryChapter(chapters) });
  }
  people.clear();
  population.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const hash = createHash('sha256');
  for (const p of population) hash.update(JSON.stringify(p)).update('\n');
  // without Conditions in the files the diagnosis is not released: no class can give it away
  const lApplied = req.types.includes('Condition');
  const decision = await chooseOffThread({ population, policy: lApplied ? policy : { ...policy, l: 1 } });
  const report: RiskReport = { policy, quasiIdentifiers: DIMENSIONS.map((d) => d.name), sensitiveAttribute: SENSITIVE.name, lApplied, met: decision.met, ...decision.measurement };
  const suppressed = [...decision.suppressed].sort();
  const [birthLevel, , regionLevel] = decision.levels;
  return {
    release: { birthLevel, regionLevel, population: new Set(population.map((p) => p.id)), suppressed: new Set(suppressed) },
    persisted: { digest: hash.digest('hex'), birthLevel, regionLevel, suppressed, report },
  };
}

/** Whether a measurement repeated on a resumed job found the population the first one did, and decided the same. */
export function sameRelease(a: PersistedRelease, b: PersistedRelease): boolean {
  return a.digest === b.digest && a.birthLevel === b.birthLevel && a.regionLevel === b.regionLevel && a.report.met === b.report.met && a.suppressed.join('\n') === b.suppressed.join('\n');
}
