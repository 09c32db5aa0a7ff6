import type { Config } from '../config';
import type { DefinitionRegistry } from '../definitions/registry';
import type { Basic, Extension, Resource } from '../fhir/types';
import { matches, matchable, type IndexedVersion } from '../guard/match';
import { parseSearch } from '../search/parse';
import type { Predicate } from '../search/plan';

/**
 * SubscriptionTopics as the Subscriptions R5 Backport IG (STU 1.1) carries them on R4: `Basic` with
 * code fhir-types#SubscriptionTopic and the cross-version extensions
 * (http://hl7.org/fhir/5.0/StructureDefinition/extension-SubscriptionTopic.*; the 4.3 spelling is
 * read too). Query criteria are compiled once into plan predicates and judged on one version's index
 * rows (guard/match.ts), so no trigger runs a query.
 */
export type Interaction = 'create' | 'update' | 'delete';

export interface ResourceTrigger {
  resourceType: string;
  interactions: Set<Interaction>;
  previous?: Predicate[];
  current?: Predicate[];
  resultForCreate: boolean;
  resultForDelete: boolean;
  requireBoth: boolean;
}

export interface Topic {
  url: string;
  title?: string;
  triggers: ResourceTrigger[];
  /** Filter parameters per resource type (canFilterBy). */
  filters: Map<string, Set<string>>;
  resource: Basic;
}

const PREFIX = /^http:\/\/hl7\.org\/fhir\/(5\.0|4\.3)\/StructureDefinition\/extension-SubscriptionTopic\./;

const element = (e: Extension) => e.url.replace(PREFIX, '');
const sub = (e: Extension, name: string) => (e.extension ?? []).filter((x) => x.url === name);
const str = (e: Extension | undefined): string | undefined =>
  (e?.valueString ?? e?.valueUri ?? e?.valueCode ?? e?.valueCanonical ?? e?.valueMarkdown) as string | undefined;
/** `http://hl7.org/fhir/StructureDefinition/Observation` or `Observation`. */
const typeOf = (uri: string | undefined) => uri?.replace(/^http:\/\/hl7\.org\/fhir\/StructureDefinition\//, '');

export function isTopicResource(r: Resource): r is Basic {
  return r.resourceType === 'Basic' && !!r.code?.coding?.some((c) => c.code === 'SubscriptionTopic' && c.system === 'http://hl7.org/fhir/fhir-types');
}

type Deps = { registry: DefinitionRegistry; config: Pick<Config, 'defaultCount' | 'maxCount'>; baseUrl: string };

/** Compiles a search query of one type into matchable predicates; throws on an unknown parameter. */
export function compileCriteria(deps: Deps, type: string, query: string): Predicate[] {
  const where = parseSearch(deps.registry, [type], [...new URLSearchParams(query)], deps.config, { handling: 'strict', baseUrl: deps.baseUrl, now: Date.now() }).where;
  if (!where.every(matchable)) throw new Error(`criteria "${query}" need other resources to be judged (chains, _has)`);
  return where;
}

export function parseTopic(deps: Deps, basic: Basic): Topic {
  const ext = basic.extension ?? [];
  const url = str(ext.find((e) => element(e) === 'url'));
  if (!url) throw new Error(`topic ${basic.id} has no url`);
  const triggers: ResourceTrigger[] = ext
    .filter((e) => element(e) === 'resourceTrigger')
    .map((t) => {
      const resourceType = typeOf(str(sub(t, 'resource')[0]));
      if (!resourceType || !deps.registry.isResourceType(resourceType)) throw new Error(`topic ${url}: unknown trigger resource`);
      if (sub(t, 'fhirPathCriteria').length) throw new Error(`topic ${url}: fhirPathCriteria are not supported`);
      const q = sub(t, 'queryCriteria')[0];
      const crit = (name: string) => str(q && sub(q, name)[0]);
      return {
        resourceType,
        interactions: new Set(sub(t, 'supportedInteraction').map((i) => str(i) as Interaction)),
        previous: crit('previous') !== undefined ? compileCriteria(deps, resourceType, crit('previous') as string) : undefined,
        current: crit('current') !== undefined ? compileCriteria(deps, resourceType, crit('current') as string) : undefined,
        resultForCreate: crit('resultForCreate') !== 'test-fails',
        resultForDelete: crit('resultForDelete') === 'test-passes',
        requireBoth: !!(q && sub(q, 'requireBoth')[0]?.valueBoolean),
      };
    });
  const filters = new Map<string, Set<string>>();
  for (const f of ext.filter((e) => element(e) === 'canFilterBy')) {
    const type = typeOf(str(sub(f, 'resource')[0])) ?? triggers[0]?.resourceType;
    const param = str(sub(f, 'filterParameter')[0]);
    if (type && param) (filters.get(type) ?? filters.set(type, new Set()).get(type))?.add(param);
  }
  return { url, title: str(ext.find((e) => element(e) === 'title')), triggers, filters, resource: basic };
}

/** Whether a trigger fires for a change from `previous` to `current` (undefined: none, as on create or delete). */
export function fires(t: ResourceTrigger, interaction: Interaction, previous: IndexedVersion | undefined, current: IndexedVersion | undefined): boolean {
  if (t.interactions.size && !t.interactions.has(interaction)) return false;
  const tests: boolean[] = [];
  if (t.previous) tests.push(interaction === 'create' ? t.resultForCreate : !!previous && matches(t.previous, previous));
  if (t.current) tests.push(interaction === 'delete' ? t.resultForDelete : !!current && matches(t.current, current));
  if (tests.length === 0) return true;
  return t.requireBoth ? tests.every(Boolean) : tests.some(Boolean);
}

/** The topics the server offers, by canonical URL and by the resource type that triggers them. */
export class TopicRegistry {
  private readonly byUrl = new Map<string, Topic>();
  private readonly byType = new Map<string, { topic: Topic; trigger: ResourceTrigger }[]>();

  constructor(topics: Topic[]) {
    for (const topic of topics) {
      this.byUrl.set(topic.url, topic);
      for (const trigger of topic.triggers) (this.byType.get(trigger.resourceType) ?? this.byType.set(trigger.resourceType, []).get(trigger.resourceType))?.push({ topic, trigger });
    }
  }

  get(url: string): Topic | undefined {
    return this.byUrl.get(url.split('|')[0]);
  }

  all(): Topic[] {
    return [...this.byUrl.values()];
  }

  triggersFor(resourceType: string): { topic: Topic; trigger: ResourceTrigger }[] {
    return this.byType.get(resourceType) ?? [];
  }
}
