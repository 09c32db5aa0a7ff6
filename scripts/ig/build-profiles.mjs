// Compiles the implementation guide (implementation-guide/, FHIR Shorthand) with SUSHI and writes what
// the server loads into profiles/: one JSON file per conformance resource and example, plus the IG as
// a FHIR NPM package (profiles/package.tgz). Deterministic, so `--check` can compare with what is committed.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const check = process.argv.includes('--check');
const out = check ? fs.mkdtempSync(path.join(os.tmpdir(), 'profiles-')) : path.join(root, 'profiles');

execFileSync(process.execPath, [path.join(root, 'scripts', 'ig', 'build-fhir-cache.mjs')], { stdio: 'inherit' });
const igDir = path.join(root, 'implementation-guide');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sushi-'));
fs.cpSync(igDir, work, { recursive: true, filter: (src) => !src.includes('fsh-generated') });
execFileSync(process.execPath, [path.join(root, 'node_modules', 'fsh-sushi', 'dist', 'app.js'), 'build', work, '-s'], { stdio: ['ignore', 'ignore', 'inherit'] });
const generated = path.join(work, 'fsh-generated', 'resources');
const resources = fs.readdirSync(generated).sort().map((f) => JSON.parse(fs.readFileSync(path.join(generated, f), 'utf8')));

// @medplum/core's validator needs the children of each extension slice in the snapshot (SUSHI leaves
// them out): copy the extension definition's own elements under its slice.
const byUrl = new Map(resources.filter((r) => r.resourceType === 'StructureDefinition').map((r) => [r.url, r]));
for (const sd of byUrl.values()) {
  if (sd.type === 'Extension' || !sd.snapshot) continue;
  const elements = [];
  for (const el of sd.snapshot.element) {
    elements.push(el);
    const m = /^([A-Za-z]+)\.extension:([A-Za-z0-9_-]+)$/.exec(el.id ?? '');
    const ext = m && byUrl.get(el.type?.[0]?.profile?.[0]);
    if (!ext) continue;
    if (sd.snapshot.element.some((e) => e.id?.startsWith(`${el.id}.`))) continue;
    for (const child of ext.snapshot.element.slice(1)) {
      if (child.path.split('.').length !== 2) continue;
      const name = child.path.split('.')[1];
      elements.push({ ...child, id: `${el.id}.${name}`, path: `${m[1]}.extension.${name}` });
    }
  }
  sd.snapshot.element = elements;
}

fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(out, { recursive: true });
const index = [];
for (const r of resources) {
  const folder = r.resourceType === 'StructureDefinition' || r.resourceType === 'SearchParameter' || r.resourceType === 'OperationDefinition' || r.resourceType === 'ValueSet' || r.resourceType === 'CodeSystem' ? 'definitions' : 'examples';
  const file = `${r.resourceType}-${r.id}.json`;
  fs.mkdirSync(path.join(out, folder), { recursive: true });
  fs.writeFileSync(path.join(out, folder, file), JSON.stringify(r, null, 2) + '\n');
  index.push({ filename: file, resourceType: r.resourceType, id: r.id, ...(r.url ? { url: r.url } : {}), ...(r.version ? { version: r.version } : {}), ...(r.type ? { type: r.type } : {}), ...(r.kind ? { kind: r.kind } : {}) });
}

// the FHIR NPM package: package/package.json, package/.index.json and the resources
const pkgDir = fs.mkdtempSync(path.join(os.tmpdir(), 'igpkg-'));
fs.mkdirSync(path.join(pkgDir, 'package'));
const manifest = { name: 'insured.fhir.ig', version: '0.1.0', canonical: 'http://insured.example.org/fhir', fhirVersions: ['4.0.1'], type: 'IG', dependencies: { 'hl7.fhir.r4.core': '4.0.1' }, title: 'Insured Person Implementation Guide', license: 'Apache-2.0' };
fs.writeFileSync(path.join(pkgDir, 'package', 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
fs.writeFileSync(path.join(pkgDir, 'package', '.index.json'), JSON.stringify({ 'index-version': 1, files: index }, null, 2) + '\n');
for (const r of resources) fs.writeFileSync(path.join(pkgDir, 'package', `${r.resourceType}-${r.id}.json`), JSON.stringify(r, null, 2) + '\n');
const tarball = path.join(out, 'package.tgz');
execFileSync('sh', ['-c', `tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "${pkgDir}" -cf - package | gzip -n -9 > "${tarball}"`]);
fs.rmSync(pkgDir, { recursive: true, force: true });
fs.rmSync(work, { recursive: true, force: true });

if (check) {
  try {
    execFileSync('diff', ['-r', out, path.join(root, 'profiles')], { stdio: 'inherit' });
    console.log('profiles/ is in sync with implementation-guide/');
  } catch {
    console.error('profiles/ is out of sync with implementation-guide/: run npm run ig:build and commit the result');
    process.exit(1);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
} else {
  console.log(`profiles/ written: ${resources.length} resources and package.tgz`);
}
