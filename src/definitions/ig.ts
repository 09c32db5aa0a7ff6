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

/** Profiles by canonical URL, parsed once for the validator (extensions first, profiles using them after). */
export class ProfileRegistry {
  private readonly byUrl = new Map<string, StructureDefinition>();

  add(sds: StructureDefinition[]): void {
    const ordered = [...sds].sort((a, b) => Number(b.type === 'Extension') - Number(a.type === 'Extension'));
    for (const sd of ordered) {
      loadDataType(sd);
      if (sd.url) this.byUrl.set(sd.url, sd);
    }
  }

  get(url: string): StructureDefinition | undefined {
    return this.byUrl.get(url.split('|')[0]);
  }

  /** Profile URLs per resource type (for the CapabilityStatement's supportedProfile). */
  byType(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const sd of this.byUrl.values()) {
      if (sd.kind !== 'resource' || sd.type === 'Extension' || !sd.url) continue;
      (out[sd.type] ??= []).push(sd.url);
    }
    return out;
  }
}
