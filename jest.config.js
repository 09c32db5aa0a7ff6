const fs = require('node:fs');
const path = require('node:path');

/**
 * The entry file of an ESM-only package whose `exports` offer no `require` path jest could follow
 * (fhir-kit-client 2), wherever Node would look for the package; undefined when it is not installed.
 */
function esmEntry(name, file) {
  for (const dir of require.resolve.paths(name) ?? []) {
    const entry = path.join(dir, name, file);
    if (fs.existsSync(entry)) return entry;
  }
  return undefined;
}
const fhirKitClient = esmEntry('fhir-kit-client', 'dist/index.js');

/** @type {import('jest').Config} */
const base = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.(t|j|mj)s$': ['@swc/jest', { jsc: { target: 'es2023' }, module: { type: 'commonjs' } }],
  },
  // jose, uuid and fhir-kit-client ship ESM only; jest's module system needs them transformed to CommonJS.
  transformIgnorePatterns: ['/node_modules/(?!(jose|uuid|fhir-kit-client)/)'],
  moduleNameMapper: fhirKitClient ? { '^fhir-kit-client$': fhirKitClient } : {},
};

/**
 * Two projects: every suite on the default (embedded SQLite) store, and the suites that exercise the
 * store through HTTP once more on the MongoDB adapter over its in-process stand-in
 * (test/storage/mongo-standin.ts), so every query the adapter builds runs in CI.
 */
module.exports = {
  testTimeout: 30000,
  // worker processes even on 2 cores (jest would run everything in its own process there), each
  // replaced once it holds this much after a suite: what one suite leaves behind never adds up to
  // the whole run's heap
  maxWorkers: 2,
  workerIdleMemoryLimit: '1500MB',
  projects: [
    { ...base, displayName: 'sqlite', roots: ['<rootDir>/src', '<rootDir>/test'], testMatch: ['**/*.test.ts'] },
    {
      ...base,
      displayName: 'mongodb-adapter',
      roots: ['<rootDir>/test'],
      testMatch: [
        '<rootDir>/test/rest/*.test.ts',
        '<rootDir>/test/search/{date-number-quantity,meta-timing,paging-result,reference-chain,string-token,reindex,access,operators-as-data}.test.ts',
        '<rootDir>/test/bundles/{transaction,document}.test.ts',
        '<rootDir>/test/operations/*.test.ts',
        '<rootDir>/test/ig/{server,stored-profiles}.test.ts',
        '<rootDir>/test/access/*.test.ts',
        '<rootDir>/test/audit/*.test.ts',
        '<rootDir>/test/clients/*.test.ts',
        '<rootDir>/test/subscriptions/{lifecycle,delivery,access}.test.ts',
        '<rootDir>/test/monitoring/{alerts,notify}.test.ts',
        // large.test.ts stays on SQLite: the stand-in copies whole collections per transaction, 20k documents take minutes
        '<rootDir>/test/export/{kickoff,access,anonymised,fatal}.test.ts',
      ],
      setupFiles: ['<rootDir>/test/helpers/mongo-standin-env.ts'],
    },
  ],
};
