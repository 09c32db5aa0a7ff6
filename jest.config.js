/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/src', '<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.(t|j|mj)s$': ['@swc/jest', { jsc: { target: 'es2023' }, module: { type: 'commonjs' } }],
  },
  // jose and uuid ship ESM only; jest's module system needs them transformed to CommonJS.
  transformIgnorePatterns: ['/node_modules/(?!(jose|uuid)/)'],
  testTimeout: 30000,
};
