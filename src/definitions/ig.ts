import fs from 'node:fs';
import path from 'node:path';
import { loadDataType } from '@medplum/core';
import type { CodeSystem, OperationDefinition, Resource, SearchParameter, StructureDefinition, ValueSet } from '../fhir/types';

/** The implementation guide as the server loads it from profiles/ (what `npm run ig:build` writes). */
export interface ImplementationGuide {
  structureDefinitions: StructureDefinition[];
  searchParameters: SearchParameter[];
  valueSets: ValueSet[];
  codeSystems: CodeSystem[];
  operationDefinitions: OperationDefinition[];
  examples: Resource[];
}

export const PROFILES_DIR = path.resolve(__dirname, '..', '..', 'profiles');

export function loadImplementationGuide(dir = PROFILES_DIR): ImplementationGuide {
  const read = (folder: string) =>
    fs.existsSync(path.join(dir, folder))
      ? fs
          .readdirSync(path.join(dir, folder))
          .filter((f) => f.endsWith('.json'))
          .sort()
          .map((f) => JSON.parse(fs.readFileSync(path.join(dir, folder, f), 'utf8')) as Resource)
      : [];
  const definitions = read('definitions');
  const of = <T extends Resource>(type: T['resourceType']) => definitions.filter((r): r is T => r.resourceType === type);
  return {
    structureDefinitions: of<StructureDefinition>('StructureDefinition'),
    searchParameters: of<SearchParameter>('SearchParameter'),
    valueSets: of<ValueSet>('ValueSet'),
    codeSystems: of<CodeSystem>('CodeSystem'),
    operationDefinitions: of<OperationDefinition>('OperationDefinition'),
    examples: read('examples'),
  };
}

/**
 * Profiles by canonical URL, parsed once for the validator (extensions first, profiles using them
 * after): the guide's, loaded at start, and those stored through the API, which take precedence for
 * their URL while they are stored (a deleted one gives the URL back to the guide, if it has it).
 */
export class ProfileRegistry {
  private readonly guide = new Map<string, StructureDefinition>();
  private readonly stored = new Map<string, StructureDefinition>();
  /** Stored profiles' URLs by resource id (a delete names only the id). */
  private readonly storedUrls = new Map<string, string>();
  /** Changes whenever the profiles do (what was derived from them, e.g. the CapabilityStatement, is stale). */
  version = 0;

  add(sds: StructureDefinition[]): void {
    for (const sd of load(sds)) this.guide.set(sd.url as string, sd);
    this.version++;
  }

  /** Profiles stored through the API (already checked usable), by their resource id. */
  putStored(sds: StructureDefinition[]): void {
    const loaded = load(sds);
    if (loaded.length === 0) return;
    for (const sd of loaded) {
      const before = sd.id ? this.storedUrls.get(sd.id) : undefined;
      if (before && before !== sd.url) this.stored.delete(before);
      this.stored.set(sd.url as string, sd);
      if (sd.id) this.storedUrls.set(sd.id, sd.url as string);
    }
    this.version++;
  }

  /** The stored profile of this resource id is no longer used (it was deleted). */
  removeStored(id: string): void {
    const url = this.storedUrls.get(id);
    if (!url) return;
    this.storedUrls.delete(id);
    this.stored.delete(url);
    const guide = this.guide.get(url);
    if (guide) loadDataType(guide);
    this.version++;
  }

  isGuide(url: string): boolean {
    return this.guide.has(url.split('|')[0]);
  }

  get(url: string): StructureDefinition | undefined {
    const key = url.split('|')[0];
    return this.stored.get(key) ?? this.guide.get(key);
  }

  /** Profile URLs per resource type (for the CapabilityStatement's supportedProfile). */
  byType(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const sd of new Map([...this.guide, ...this.stored]).values()) {
      if (sd.kind !== 'resource' || sd.type === 'Extension' || !sd.url) continue;
      (out[sd.type] ??= []).push(sd.url);
    }
    return out;
  }
}

/** Loads the definitions into @medplum/core (extensions first, for the profiles that use them); those with a URL. */
function load(sds: StructureDefinition[]): StructureDefinition[] {
  const ordered = [...sds].filter((sd) => sd.url).sort((a, b) => Number(b.type === 'Extension') - Number(a.type === 'Extension'));
  for (const sd of ordered) loadDataType(sd);
  return ordered;
}
