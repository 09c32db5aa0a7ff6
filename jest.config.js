/** @type {import('jest').Config} */
const base = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.(t|j|mj)s$': ['@swc/jest', { jsc: { target: 'es2023' }, module: { type: 'commonjs' } }],
  },
  // jose and uuid ship ESM only; jest's module system needs them transformed to CommonJS.
  transformIgnorePatterns: ['/node_modules/(?!(jose|uuid)/)'],
};

/**
 * Two projects: every suite on the default (embedded SQLite) store, and the suites that exercise the
 * store through HTTP once more on the MongoDB adapter over its in-process stand-in
 * (test/storage/mongo-standin.ts), so every query the adapter builds runs in CI.
 */
module.exports = {
  testTimeout: 30000,
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
        '<rootDir>/test/ig/server.test.ts',
        '<rootDir>/test/access/*.test.ts',
        // large.test.ts stays on SQLite: the stand-in copies whole collections per transaction, 20k documents take minutes
        '<rootDir>/test/export/{kickoff,access}.test.ts',
      ],
      setupFiles: ['<rootDir>/test/helpers/mongo-standin-env.ts'],
    },
  ],
};
